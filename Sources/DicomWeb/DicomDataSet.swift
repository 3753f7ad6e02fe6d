/// The value of one element, as read from a file.
public enum DicomValue: Sendable, Equatable {
    /// Text VRs: the values, split at backslashes where the VR allows several, padding removed.
    case text([String])
    /// Binary VRs: the value bytes in host (little-endian) byte order.
    case binary([UInt8])
    case sequence([DicomDataSet])
    /// Not read: pixel data or a value over the reader's bulk threshold. `length` nil when undefined.
    case bulk(length: UInt32?)
}

/// One data element.
public struct DicomElement: Sendable, Equatable {
    public var tag: DicomTag
    public var vr: String
    public var value: DicomValue

    public init(tag: DicomTag, vr: String, value: DicomValue) {
        self.tag = tag
        self.vr = vr
        self.value = value
    }
}

/// A dataset (or sequence item): elements in ascending tag order, with typed accessors.
public struct DicomDataSet: Sendable, Equatable {
    public private(set) var elements: [DicomElement]

    public init(elements: [DicomElement] = []) {
        self.elements = elements.sorted { $0.tag < $1.tag }
    }

    /// Adds an element, keeping tag order (a later element with the same tag replaces the earlier).
    public mutating func insert(_ element: DicomElement) {
        if let last = elements.last, last.tag < element.tag {
            elements.append(element)
        } else if let index = elements.firstIndex(where: { $0.tag >= element.tag }) {
            if elements[index].tag == element.tag { elements[index] = element } else { elements.insert(element, at: index) }
        } else {
            elements.append(element)
        }
    }

    public subscript(tag: DicomTag) -> DicomElement? {
        var low = 0
        var high = elements.count
        while low < high {
            let middle = (low + high) / 2
            if elements[middle].tag < tag { low = middle + 1 } else { high = middle }
        }
        return low < elements.count && elements[low].tag == tag ? elements[low] : nil
    }

    public func contains(_ tag: DicomTag) -> Bool { self[tag] != nil }

    /// About how many bytes the dataset holds in memory: values plus a per-element overhead, nested
    /// items included (walked with an explicit stack, never recursion).
    public var approximateByteCount: Int {
        var total = 0
        var pending: [DicomDataSet] = [self]
        while let dataSet = pending.popLast() {
            for element in dataSet.elements {
                total += 64
                switch element.value {
                case .text(let values): total += values.reduce(0) { $0 + $1.utf8.count + 16 }
                case .binary(let bytes): total += bytes.count
                case .sequence(let items): pending += items
                case .bulk: break
                }
            }
        }
        return total
    }

    /// All text values of a text element.
    public func strings(_ tag: DicomTag) -> [String] {
        if case .text(let values)? = self[tag]?.value { return values }
        return []
    }

    /// The first value of a text element, nil when absent or empty.
    public func string(_ tag: DicomTag) -> String? {
        strings(tag).first.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Numeric values of DS/IS text or of a binary numeric VR (US, SS, UL, SL, FL, FD, SV, UV).
    public func numbers(_ tag: DicomTag) -> [Double] {
        guard let element = self[tag] else { return [] }
        switch element.value {
        case .text(let values): return values.compactMap { DecimalString.parse($0) }
        case .binary(let bytes): return BinaryValues.numbers(bytes, vr: element.vr)
        case .sequence, .bulk: return []
        }
    }

    public func number(_ tag: DicomTag) -> Double? { numbers(tag).first }

    /// The first value of an integer element: IS text parsed as an integer (never through `Double`),
    /// or a binary integer VR (US, SS, UL, SL, SV, UV) that fits `Int`.
    public func integer(_ tag: DicomTag) -> Int? {
        guard let element = self[tag] else { return nil }
        switch element.value {
        case .text(let values): return values.first.flatMap { IntegerString.parse($0) }
        case .binary(let bytes):
            switch element.vr {
            case "US": return BinaryValues.read(bytes, as: UInt16.self).first.map(Int.init)
            case "SS": return BinaryValues.read(bytes, as: Int16.self).first.map(Int.init)
            case "UL": return BinaryValues.read(bytes, as: UInt32.self).first.map(Int.init)
            case "SL": return BinaryValues.read(bytes, as: Int32.self).first.map(Int.init)
            case "SV": return BinaryValues.read(bytes, as: Int64.self).first.map(Int.init)
            case "UV": return BinaryValues.read(bytes, as: UInt64.self).first.flatMap { Int(exactly: $0) }
            default: return nil
            }
        case .sequence, .bulk: return nil
        }
    }

    public func items(_ tag: DicomTag) -> [DicomDataSet] {
        if case .sequence(let items)? = self[tag]?.value { return items }
        return []
    }

    /// Raw bytes of a binary element.
    public func bytes(_ tag: DicomTag) -> [UInt8]? {
        if case .binary(let bytes)? = self[tag]?.value { return bytes }
        return nil
    }
}

/// Decoding of binary values (host byte order, little-endian here) by VR.
public enum BinaryValues {
    public static func numbers(_ bytes: [UInt8], vr: String) -> [Double] {
        switch vr {
        case "US", "OW": return read(bytes, as: UInt16.self).map(Double.init)
        case "SS": return read(bytes, as: Int16.self).map(Double.init)
        case "UL", "OL": return read(bytes, as: UInt32.self).map(Double.init)
        case "SL": return read(bytes, as: Int32.self).map(Double.init)
        case "FL", "OF": return read(bytes, as: Float.self).map(Double.init)
        case "FD", "OD": return read(bytes, as: Double.self)
        case "SV": return read(bytes, as: Int64.self).map(Double.init)
        case "UV", "OV": return read(bytes, as: UInt64.self).map(Double.init)
        case "OB", "UN": return bytes.map(Double.init)
        default: return []
        }
    }

    public static func read<T: FixedWidthInteger>(_ bytes: [UInt8], as type: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        return (0..<(bytes.count / size)).map { index in
            var value: T = 0
            for offset in (0..<size).reversed() { value = value << 8 | T(truncatingIfNeeded: bytes[index * size + offset]) }
            return value
        }
    }

    public static func read(_ bytes: [UInt8], as type: Float.Type) -> [Float] {
        read(bytes, as: UInt32.self).map { Float(bitPattern: $0) }
    }

    public static func read(_ bytes: [UInt8], as type: Double.Type) -> [Double] {
        read(bytes, as: UInt64.self).map { Double(bitPattern: $0) }
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}
