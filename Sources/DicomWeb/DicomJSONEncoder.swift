/// Encodes a dataset in the DICOM JSON model (PS3.18 F.2).
public struct DicomJSONEncoder: Sendable {
    /// How bulk data (pixel data, long binary values) appears.
    public enum BulkData: Sendable {
        /// `"BulkDataURI"` built from the element's tag: the WADO-RS form.
        case uri(@Sendable (DicomTag) -> String)
        /// A `"BulkDataURI"` naming no server: `bulkdata:GGGGEEEE`, for offline output such as `dicomserve info`.
        case placeholder
    }

    public var bulkData: BulkData

    public init(bulkData: BulkData = .placeholder) {
        self.bulkData = bulkData
    }

    public func encode(_ dataSet: DicomDataSet) -> JSONValue {
        .object(dataSet.elements.map { ($0.tag.hexKey, encode($0)) })
    }

    public func encode(_ element: DicomElement) -> JSONValue {
        var members: [(String, JSONValue)] = [("vr", .string(element.vr))]
        switch element.value {
        case .sequence(let items):
            if !items.isEmpty { members.append(("Value", .array(items.map(encode)))) }
        case .bulk:
            let uri =
                switch bulkData {
                case .uri(let make): make(element.tag)
                case .placeholder: "bulkdata:\(element.tag.hexKey)"
                }
            members.append(("BulkDataURI", .string(uri)))
        case .binary(let bytes):
            if let values = binaryValues(bytes, vr: element.vr) {
                if !values.isEmpty { members.append(("Value", .array(values))) }
            } else if !bytes.isEmpty {
                members.append(("InlineBinary", .string(Base64.encode(bytes))))
            }
        case .text(let values):
            let encoded = textValues(values, vr: element.vr)
            if !encoded.isEmpty { members.append(("Value", .array(encoded))) }
        }
        return .object(members)
    }

    /// Binary numeric VRs as JSON numbers, AT as "GGGGEEEE" strings; nil for the inline-binary VRs.
    func binaryValues(_ bytes: [UInt8], vr: String) -> [JSONValue]? {
        switch vr {
        case "AT":
            let words = BinaryValues.read(bytes, as: UInt16.self)
            return stride(from: 0, to: words.count - 1, by: 2).map {
                .string(DicomTag(words[$0], words[$0 + 1]).hexKey)
            }
        case "US", "SS", "UL", "SL", "FL", "FD", "SV", "UV":
            return BinaryValues.numbers(bytes, vr: vr).map { .number($0) }
        default:
            return nil
        }
    }

    func textValues(_ values: [String], vr: String) -> [JSONValue] {
        if values.isEmpty || values == [""] { return [] }
        return values.map { value in
            if value.isEmpty { return .null }
            switch vr {
            case "PN":
                let groups = value.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
                var name: [(String, JSONValue)] = []
                for (key, group) in zip(["Alphabetic", "Ideographic", "Phonetic"], groups) where !group.isEmpty {
                    name.append((key, .string(group)))
                }
                return .object(name)
            case "IS", "DS":
                if let number = Double(value.trimmingCharacters(in: " ")), number.isFinite { return .number(number) }
                return .string(value)
            default:
                return .string(value)
            }
        }
    }
}

/// Base64 (RFC 4648) for InlineBinary values: small and not on a hot path.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int((chunk >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            let chunk = UInt32(bytes[index]) << 16 | (remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output.append(alphabet[Int((chunk >> 18) & 63)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            output.append(remaining == 2 ? alphabet[Int((chunk >> 6) & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
