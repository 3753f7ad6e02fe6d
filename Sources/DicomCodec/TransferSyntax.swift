import DicomWeb

/// The transfer syntaxes dicomserve reads, with readable names for messages and summaries.
public struct TransferSyntax: Sendable, Equatable, CustomStringConvertible {
    public let uid: String

    public init(uid: String) { self.uid = uid }

    public static let known: [String: String] = [
        TransferSyntaxUID.implicitLittleEndian: "Implicit VR Little Endian",
        TransferSyntaxUID.explicitLittleEndian: "Explicit VR Little Endian",
        TransferSyntaxUID.deflatedExplicitLittleEndian: "Deflated Explicit VR Little Endian",
        TransferSyntaxUID.explicitBigEndian: "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
        "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless (Process 14)",
        "1.2.840.10008.1.2.4.70": "JPEG Lossless SV1 (Process 14, Selection Value 1)",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
        "1.2.840.10008.1.2.4.91": "JPEG 2000",
        "1.2.840.10008.1.2.4.201": "HTJ2K Lossless",
        "1.2.840.10008.1.2.4.202": "HTJ2K Lossless RPCL",
        "1.2.840.10008.1.2.4.203": "HTJ2K",
        "1.2.840.10008.1.2.5": "RLE Lossless",
    ]

    public var name: String { Self.known[uid] ?? "unknown transfer syntax" }

    public var description: String { "\(name) (\(uid))" }

    /// Whether pixel data is stored native (uncompressed, frames sliceable by offset).
    public var isNative: Bool {
        [
            TransferSyntaxUID.implicitLittleEndian, TransferSyntaxUID.explicitLittleEndian,
            TransferSyntaxUID.deflatedExplicitLittleEndian, TransferSyntaxUID.explicitBigEndian,
        ].contains(uid)
    }

    /// JPEG 2000 or HTJ2K: decodable at a reduced resolution.
    public var isWaveletCoded: Bool {
        ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"]
            .contains(uid)
    }

    /// The media type of one encapsulated frame (PS3.18 Table 8.7.3-2), nil for native syntaxes.
    public var frameMediaType: String? {
        switch uid {
        case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70": "image/jpeg"
        case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81": "image/jls"
        case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91": "image/jp2"
        case "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203": "image/jphc"
        case "1.2.840.10008.1.2.5": "image/dicom-rle"
        default: isNative ? nil : "application/octet-stream"
        }
    }
}
