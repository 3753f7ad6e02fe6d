/// A small scanner for HTTP header grammar (RFC 9110 §5.6): tokens, quoted strings, lists, parameters.
struct HeaderScanner {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    var atEnd: Bool {
        var probe = self
        probe.skipWhitespace()
        return probe.position >= probe.scalars.count
    }

    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~": true
        default: false
        }
    }

    mutating func skipWhitespace() {
        while position < scalars.count, scalars[position] == " " || scalars[position] == "\t" { position += 1 }
    }

    mutating func consume(_ scalar: Unicode.Scalar) -> Bool {
        skipWhitespace()
        guard position < scalars.count, scalars[position] == scalar else { return false }
        position += 1
        return true
    }

    mutating func token() -> String? {
        run(while: Self.isTokenCharacter)
    }

    /// The longest non-empty run of scalars satisfying `predicate`, after white space; nil when empty.
    private mutating func run(while predicate: (Unicode.Scalar) -> Bool) -> String? {
        skipWhitespace()
        let start = position
        while position < scalars.count, predicate(scalars[position]) { position += 1 }
        guard position > start else { return nil }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<position])
        return text
    }

    /// A parameter value without quotes. Stricter than a token would be wrong: clients send
    /// `type=application/dicom` and `transfer-syntax=1.2.840.10008.1.2.1` unquoted, so anything up to
    /// `;`, `,` or white space counts.
    mutating func unquotedValue() -> String? {
        run { !";, \t\"".unicodeScalars.contains($0) }
    }

    /// A quoted-string, unescaped; nil (and no progress) when none starts here or it is unterminated.
    mutating func quotedString() -> String? {
        skipWhitespace()
        guard position < scalars.count, scalars[position] == "\"" else { return nil }
        var index = position + 1
        var text = ""
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\"" {
                position = index + 1
                return text
            }
            if scalar == "\\", index + 1 < scalars.count {
                index += 1
            }
            text.unicodeScalars.append(scalars[index])
            index += 1
        }
        return nil
    }

    /// `type/subtype *( ; name=value )`, stopping before a `,` or the end.
    mutating func mediaType() -> MIMEType? {
        guard let type = token(), consume("/"), let subtype = token() else { return nil }
        var parameters: [(name: String, value: String)] = []
        while consume(";") {
            skipWhitespace()
            // Tolerate an empty parameter (`type/sub;`), as many clients send it.
            if position >= scalars.count || scalars[position] == "," { break }
            guard let name = token(), consume("=") else { return nil }
            guard let value = quotedString() ?? unquotedValue() else { return nil }
            parameters.append((name, value))
        }
        return MIMEType(type: type, subtype: subtype, parameters: parameters)
    }

    /// Skips to just past the next top-level comma (for error recovery in lists).
    mutating func skipPastComma() {
        var inQuotes = false
        while position < scalars.count {
            let scalar = scalars[position]
            position += 1
            if scalar == "\"" { inQuotes.toggle() } else if scalar == "\\" && inQuotes { position += 1 } else if scalar == "," && !inQuotes { return }
        }
    }
}
