import DicomCodec
import DicomImaging
import Foundation
import Testing

struct ImageEncoderTests {
    static let image = RenderedImage(width: 3, height: 2, channels: 3, pixels: (0..<18).map { UInt8($0 * 14) })

    @Test func dataURLCarriesTheEncodedBytes() throws {
        let png = try ImageEncoder().encodePNG(Self.image)
        let url = ImageEncoder.dataURL(png, mediaType: ImageFormat.png.mediaType)
        #expect(url.hasPrefix("data:image/png;base64,iVBORw0KGgo"))
        let payload = try #require(Data(base64Encoded: String(url.dropFirst("data:image/png;base64,".count))))
        #expect([UInt8](payload) == png)
    }

    @Test func jpegQualityIsValidated() {
        do {
            _ = try ImageEncoder().encode(Self.image, as: .jpeg, jpeg: JPEGOptions(quality: 0))
            Issue.record("quality 0 was accepted")
        } catch {
            #expect(error.kind == .invalidRenderParameters)
        }
    }

    @Test func concurrentJPEGEncodesShareNoHandle() async throws {
        let encoder = ImageEncoder()
        let expected = try encoder.encodeJPEG(Self.image)
        let progressive = try encoder.encodeJPEG(Self.image, options: JPEGOptions(progressive: true))
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for index in 0..<32 {
                group.addTask { try encoder.encodeJPEG(Self.image, options: JPEGOptions(progressive: index % 2 == 1)) }
            }
            for try await jpeg in group { #expect(jpeg == expected || jpeg == progressive) }
        }
        #expect(try encoder.encodeJPEG(Self.image) == expected)
    }
}
