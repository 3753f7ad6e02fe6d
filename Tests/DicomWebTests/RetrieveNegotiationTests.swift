import Testing

@testable import DicomWeb

/// Accept headers real clients send for frames and instances, and what each must get.
struct RetrieveNegotiationTests {
    static let jpegLS = "1.2.840.10008.1.2.4.80"

    static func frames(_ accept: String?, native: Bool = false) -> (RetrieveNegotiation.FrameRepresentation, String)? {
        RetrieveNegotiation.frames(
            AcceptHeader(accept),
            storedTransferSyntax: native ? "1.2.840.10008.1.2.1" : jpegLS,
            storedMediaType: native ? nil : "image/jls"
        ).map { ($0.0, $0.1.description) }
    }

    @Test func framesForWhatClientsSend() {
        // OHIF / Cornerstone: whatever is stored, untouched.
        #expect(Self.frames("multipart/related; type=application/octet-stream; transfer-syntax=*")?.0 == .stored)
        #expect(
            Self.frames(#"multipart/related; type="application/octet-stream"; transfer-syntax=*"#)?.1
                == "application/octet-stream; transfer-syntax=\(Self.jpegLS)"
        )
        // dicomweb-client's default and no header at all: uncompressed.
        #expect(Self.frames(#"multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1"#)?.0 == .uncompressed)
        #expect(Self.frames(nil)?.0 == .uncompressed)
        #expect(Self.frames("multipart/related")?.0 == .uncompressed, "type defaults to application/octet-stream")
        // dicomweb-client's default: any part type.
        #expect(Self.frames(#"multipart/related; type="*/*""#)?.1 == "image/jls; transfer-syntax=\(Self.jpegLS)")
        #expect(Self.frames(#"multipart/related; type="*/*""#, native: true)?.0 == .uncompressed)
        #expect(Self.frames(#"multipart/related; type="*/*"; transfer-syntax=1.2.840.10008.1.2.1"#)?.0 == .uncompressed)
        // The stored media type, by name or wildcard.
        #expect(Self.frames("multipart/related; type=image/jls")?.1 == "image/jls; transfer-syntax=\(Self.jpegLS)")
        #expect(Self.frames("multipart/related; type=\"image/*\"")?.0 == .stored)
        // q-values decide between acceptable entries.
        #expect(Self.frames("multipart/related; type=image/jls; q=0.2, multipart/related; type=application/octet-stream")?.0 == .uncompressed)
        #expect(Self.frames("multipart/related; type=image/jls, multipart/related; type=application/octet-stream; q=0.5")?.0 == .stored)
        // What cannot be produced without transcoding.
        #expect(Self.frames("multipart/related; type=image/jpeg") == nil)
        #expect(Self.frames("multipart/related; type=application/octet-stream; transfer-syntax=1.2.840.10008.1.2.2") == nil)
        #expect(Self.frames("image/png") == nil)
        #expect(Self.frames("multipart/related; type=image/jls", native: true) == nil)
        #expect(Self.frames("multipart/related; type=application/octet-stream; transfer-syntax=*", native: true)?.0 == .uncompressed)
    }

    @Test func instancesAreServedAsStored() {
        let stored: Set = ["1.2.840.10008.1.2.1"]
        #expect(RetrieveNegotiation.instances(AcceptHeader(#"multipart/related; type="application/dicom""#), storedTransferSyntaxes: stored))
        #expect(
            RetrieveNegotiation.instances(
                AcceptHeader("multipart/related; type=application/dicom; transfer-syntax=*"),
                storedTransferSyntaxes: stored
            )
        )
        #expect(RetrieveNegotiation.instances(AcceptHeader(nil as String?), storedTransferSyntaxes: stored))
        #expect(
            RetrieveNegotiation.instances(
                AcceptHeader("multipart/related; type=application/dicom; transfer-syntax=1.2.840.10008.1.2.1"),
                storedTransferSyntaxes: stored
            )
        )
        #expect(
            !RetrieveNegotiation.instances(
                AcceptHeader("multipart/related; type=application/dicom; transfer-syntax=1.2.840.10008.1.2.1"),
                storedTransferSyntaxes: stored.union([Self.jpegLS])
            ),
            "one instance would not be in the syntax asked for"
        )
        #expect(!RetrieveNegotiation.instances(AcceptHeader("multipart/related; type=application/dicom+json"), storedTransferSyntaxes: stored))
        #expect(!RetrieveNegotiation.instances(AcceptHeader("multipart/related; type=application/dicom; q=0"), storedTransferSyntaxes: stored))
    }
}
