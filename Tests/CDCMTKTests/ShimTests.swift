import CDCMTK
import Foundation
import Testing

/// The C boundary itself: null arguments, messages, the encapsulated-frame API.
struct ShimTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".testdata/dicom")

    static func open(_ relative: String) throws -> OpaquePointer {
        var file: OpaquePointer?
        var message = [CChar](repeating: 0, count: 256)
        let status = dcmshim_open_file(root.appendingPathComponent(relative).path, nil, &file, &message, message.count)
        try #require(status == DCMSHIM_OK, "\(text(message))")
        return try #require(file)
    }

    static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func everyStatusHasADescription() {
        for raw in 0...Int(DCMSHIM_ERR_INTERNAL.rawValue) {
            let text = String(cString: dcmshim_strerror(dcmshim_status(rawValue: UInt32(raw))))
            #expect(!text.isEmpty && text != "unknown error")
        }
    }

    @Test func nullArgumentsAreRefusedNotCrashed() {
        var message = [CChar](repeating: 0, count: 64)
        #expect(dcmshim_open_file(nil, nil, nil, &message, message.count) == DCMSHIM_ERR_INTERNAL)
        var info = dcmshim_frame_info()
        #expect(dcmshim_frame_info_get(nil, &info, nil, 0) == DCMSHIM_ERR_INTERNAL)
        #expect(dcmshim_decode_frame(nil, 0, nil, 0, nil, nil, 0) == DCMSHIM_ERR_INTERNAL)
        dcmshim_close(nil)
    }

    @Test func messagesAreTruncatedSafely() {
        var file: OpaquePointer?
        var tiny = [CChar](repeating: 0x7F, count: 8)
        #expect(dcmshim_open_file("/nonexistent", nil, &file, &tiny, tiny.count) == DCMSHIM_ERR_IO)
        #expect(tiny[7] == 0)
        #expect(file == nil)
    }

    @Test func bufferTooSmallIsReported() throws {
        let file = try Self.open("pydicom/CT_small.dcm")
        defer { dcmshim_close(file) }
        var buffer = [UInt8](repeating: 0, count: 100)
        var decoded = dcmshim_frame_info()
        #expect(dcmshim_decode_frame(file, 0, &buffer, buffer.count, &decoded, nil, 0) == DCMSHIM_ERR_BUFFER_TOO_SMALL)
    }

    /// The same codestreams in three fragment layouts: one per frame, several with a Basic Offset Table,
    /// several with an Extended Offset Table (and an empty basic one). Frame n must be the same bytes.
    @Test func encapsulatedFramesAgreeAcrossFragmentLayouts() throws {
        let layouts = ["dcmtk-made/jpegls_fragments_offset_table.dcm", "synthetic/jpegls_extended_offset_table.dcm"]
        let reference = try Self.open("../jpegls_one_fragment_per_frame.dcm")
        defer { dcmshim_close(reference) }
        for layout in layouts {
            let file = try Self.open(layout)
            defer { dcmshim_close(file) }
            for frame: UInt32 in [0, 4, 9] {
                #expect(try Self.frameBytes(file, frame) == Self.frameBytes(reference, frame), "\(layout) frame \(frame + 1)")
            }
        }
    }

    static func frameBytes(_ file: OpaquePointer, _ frame: UInt32) throws -> [UInt8] {
        var size = 0
        try #require(dcmshim_encapsulated_frame(file, frame, nil, &size, nil, 0) == DCMSHIM_OK)
        var bytes = [UInt8](repeating: 0, count: size)
        try #require(dcmshim_encapsulated_frame(file, frame, &bytes, &size, nil, 0) == DCMSHIM_OK)
        // Fragments may carry a trailing pad byte after the JPEG-LS EOI marker; compare up to it.
        if let end = (1..<bytes.count).last(where: { bytes[$0 - 1] == 0xFF && bytes[$0] == 0xD9 }) { bytes.removeLast(bytes.count - end - 1) }
        return bytes
    }
}
