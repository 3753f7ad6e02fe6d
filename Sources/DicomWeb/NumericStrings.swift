/// Strict parsers for the numeric string VRs (PS3.5 6.2): IS as an integer, never through `Double`
/// (so "1e15" or "999999999999999.5" are not integers), DS as a finite decimal (so "nan", "inf" and
/// hexadecimal floats, which `Double(_:)` accepts, are refused).
public enum IntegerString {
    /// An IS value: optional sign and 1–12 digits (the VR allows 12 characters), surrounding spaces
    /// ignored; nil for anything else.
    public static func parse(_ text: some StringProtocol) -> Int? {
        let trimmed = text.trimmingSpaceCharacters()
        var digits = Substring(trimmed)
        if digits.first == "+" || digits.first == "-" { digits.removeFirst() }
        guard (1...12).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(trimmed.first == "+" ? String(trimmed.dropFirst()) : String(trimmed))
    }
}

public enum DecimalString {
    /// A DS value: a decimal or exponent-notation number of at most 16 characters (PS3.5 Table 6.2-1),
    /// finite; nil for anything else.
    public static func parse(_ text: some StringProtocol) -> Double? {
        let trimmed = text.trimmingSpaceCharacters()
        guard !trimmed.isEmpty, trimmed.utf8.count <= 16,
            trimmed.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 == 0x45 || $0 == 0x65 }),
            let value = Double(trimmed), value.isFinite
        else { return nil }
        return value
    }
}

extension StringProtocol {
    func trimmingSpaceCharacters() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " || text.last == "\0" { text.removeLast() }
        return String(text)
    }
}
