/// How WADO-RS answers a retrieve, chosen from the Accept header (PS3.18 8.7.3–8.7.5).
///
/// Instances are offered as stored. Frames are offered uncompressed (Explicit VR Little Endian bytes), in
/// their stored encapsulated form, or re-encoded in a syntax the caller says it can produce for them
/// (`transcodable`), but only when the client names that syntax or its media type: a lossy one only
/// when named. `transfer-syntax=*` means "whatever you have", which is what OHIF and Cornerstone send.
public enum RetrieveNegotiation {
    /// Explicit VR Little Endian: the transfer syntax of uncompressed bulk data.
    public static let explicitLittleEndian = TransferSyntaxUID.explicitLittleEndian

    /// What a frames (or pixel bulk data) response contains.
    public enum FrameRepresentation: Sendable, Equatable {
        /// Decoded pixel bytes, little endian, `application/octet-stream`.
        case uncompressed
        /// The stored compressed bitstream of each frame, untouched.
        case stored
        /// Each frame decoded and encoded again in this transfer syntax.
        case transcoded(transferSyntax: String)
    }

    /// The default transfer syntax of a frame media type when the client names none (PS3.18 Table
    /// 8.7.3-5): lossless wherever the standard says so.
    public static let defaultSyntaxes: [String: String] = [
        "image/jpeg": "1.2.840.10008.1.2.4.70", "image/jls": "1.2.840.10008.1.2.4.80", "image/jp2": "1.2.840.10008.1.2.4.90",
        "image/jphc": "1.2.840.10008.1.2.4.201", "image/dicom-rle": "1.2.840.10008.1.2.5",
    ]

    /// The representation and the Content-Type of each part for a frames request, or nil (406).
    /// `storedTransferSyntax` is the instance's; `storedMediaType` its bulk media type when the pixel
    /// data is encapsulated (e.g. `image/jls`), nil when it is native.
    /// `transcodable` maps each syntax the frames can be re-encoded in to its media type.
    public static func frames(
        _ accept: AcceptHeader,
        storedTransferSyntax: String,
        storedMediaType: String?,
        transcodable: [String: String] = [:]
    ) -> (FrameRepresentation, MIMEType)? {
        let uncompressed = (
            FrameRepresentation.uncompressed,
            MIMEType(type: "application", subtype: "octet-stream", parameters: [("transfer-syntax", explicitLittleEndian)])
        )
        for entry in byPreference(accept) {
            let range = entry.range
            if range.type == "*" && range.subtype == "*" { return uncompressed }
            guard range.type == "multipart", range.subtype == "related" || range.subtype == "*" else { continue }
            var partType = range.parameter("type")?.lowercased() ?? "application/octet-stream"
            let syntax = range.parameter("transfer-syntax")
            if partType == "*/*" {
                // Any part type (dicomweb-client's default): the stored encoding when it is compressed
                // and nothing narrower was asked for; otherwise as for application/octet-stream.
                if let storedMediaType, syntax == nil || syntax == "*" || syntax == storedTransferSyntax {
                    partType = storedMediaType
                } else {
                    partType = "application/octet-stream"
                }
            }
            if partType == "application/*" { partType = "application/octet-stream" }
            if partType == "application/octet-stream" {
                switch syntax {
                case nil, explicitLittleEndian?: return uncompressed
                case "*"? where storedMediaType != nil, storedTransferSyntax? where storedMediaType != nil:
                    return (.stored, MIMEType(type: "application", subtype: "octet-stream", parameters: [("transfer-syntax", storedTransferSyntax)]))
                case "*"?: return uncompressed
                case let named? where transcodable[named] != nil:
                    return (
                        .transcoded(transferSyntax: named),
                        MIMEType(type: "application", subtype: "octet-stream", parameters: [("transfer-syntax", named)])
                    )
                default: continue  // another uncompressed syntax (big endian), or one not produced
                }
            }
            if let storedMediaType, let stored = MIMEType(parsing: storedMediaType) {
                let typeMatches = partType == storedMediaType || partType == "*/*" || partType == "\(stored.type)/*"
                if typeMatches, syntax == nil || syntax == "*" || syntax == storedTransferSyntax {
                    return (.stored, MIMEType(type: stored.type, subtype: stored.subtype, parameters: [("transfer-syntax", storedTransferSyntax)]))
                }
            }
            // A media type (and syntax) the frames can be re-encoded in; without a syntax, the type's default.
            guard let wanted = syntax == nil || syntax == "*" ? defaultSyntaxes[partType] : syntax,
                let mediaType = transcodable[wanted], mediaType == partType, let part = MIMEType(parsing: mediaType)
            else { continue }
            return (.transcoded(transferSyntax: wanted), MIMEType(type: part.type, subtype: part.subtype, parameters: [("transfer-syntax", wanted)]))
        }
        return nil
    }

    /// Whether instances stored in `storedTransferSyntaxes` can be returned as
    /// `multipart/related; type="application/dicom"` for this Accept header. A request naming no transfer
    /// syntax gets the instances as stored (the server does not transcode).
    public static func instances(_ accept: AcceptHeader, storedTransferSyntaxes: Set<String>) -> Bool {
        for entry in byPreference(accept) {
            let range = entry.range
            if range.type == "*" && range.subtype == "*" { return true }
            guard range.type == "multipart", range.subtype == "related" || range.subtype == "*" else { continue }
            let partType = range.parameter("type")?.lowercased() ?? "application/dicom"
            guard partType == "application/dicom" || partType == "application/*" || partType == "*/*" else { continue }
            switch range.parameter("transfer-syntax") {
            case nil, "*"?: return true
            case let syntax?: if storedTransferSyntaxes.allSatisfy({ $0 == syntax }) { return true }
            }
        }
        return false
    }

    /// Acceptable ranges, highest q first; equal weights keep the client's order.
    static func byPreference(_ accept: AcceptHeader) -> [AcceptedMediaRange] {
        accept.ranges.enumerated().filter { $0.element.quality > 0 }
            .sorted { $0.element.quality != $1.element.quality ? $0.element.quality > $1.element.quality : $0.offset < $1.offset }
            .map(\.element)
    }
}
