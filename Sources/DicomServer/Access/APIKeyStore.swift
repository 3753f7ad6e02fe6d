import Crypto
import Foundation

/// The configured API keys: each a name, its scopes and the SHA-256 of the key. The keys themselves are
/// never stored; `dicomserve api-key create` prints a new key once, with the line to configure.
///
/// Keys are 32 random bytes, so an unsalted SHA-256 is enough: there is nothing guessable to brute-force
/// (bcrypt-style slowness protects low-entropy passwords and would cost every request milliseconds).
public struct APIKeyStore: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var scopes: Set<AccessScope>
        public var digest: [UInt8]

        public init(name: String, scopes: Set<AccessScope>, digest: [UInt8]) {
            self.name = name
            self.scopes = scopes
            self.digest = digest
        }
    }

    /// A configuration line or file that cannot be used, with where and why.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var source: String
        public var line: Int
        public var reason: String
        public var description: String { "\(source):\(line): \(reason)" }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Reads lines of `name scopes sha256-hex`, e.g. `viewer read 9f86d0…`; `#` starts a comment. Scopes are
    /// comma-separated. Names must be unique: audit rows and rate limits tell callers apart by them.
    public init(parsing text: String, source: String) throws(ParseError) {
        var entries: [Entry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.prefix { $0 != "#" }.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let entry = try Self.entry(line, source: source, line: index + 1)
            guard !entries.contains(where: { $0.name == entry.name }) else {
                throw ParseError(source: source, line: index + 1, reason: "the name \(entry.name) is used twice")
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// One entry, as in a file line or as `name:scopes:sha256-hex` (the environment's comma-separated form).
    public static func entry(_ text: String, source: String = "api key", line: Int = 1) throws(ParseError) -> Entry {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init)
        guard fields.count == 3 else {
            throw ParseError(source: source, line: line, reason: "expected `name scopes sha256-hex`, got \(fields.count) fields")
        }
        let name = fields[0]
        guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@".contains($0)) }) else {
            throw ParseError(source: source, line: line, reason: "names are up to 64 letters, digits and -_.@")
        }
        guard let scopes = AccessScope.parseList(fields[1]), !scopes.isEmpty else {
            throw ParseError(source: source, line: line, reason: "scopes are a comma-separated list of read, write, admin")
        }
        guard let digest = Self.bytes(hex: fields[2]), digest.count == SHA256.byteCount else {
            throw ParseError(source: source, line: line, reason: "the key digest must be 64 hex digits (SHA-256)")
        }
        return Entry(name: name, scopes: scopes, digest: digest)
    }

    /// The principal a presented key belongs to. Every entry is compared in full, whatever matched, so the
    /// time taken says nothing about which bytes were right.
    public func principal(forKey key: String) -> Principal? {
        let presented = Array(SHA256.hash(data: Array(key.utf8)))
        var match: Entry?
        for entry in entries {
            var difference: UInt8 = 0
            for (a, b) in zip(presented, entry.digest) { difference |= a ^ b }
            if difference == 0 { match = entry }
        }
        return match.map { Principal(kind: .apiKey, name: $0.name, scopes: $0.scopes) }
    }

    /// A new key: `dsk_` and 43 base64url characters of 32 random bytes.
    public static func generateKey() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return "dsk_"
            + bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The hex SHA-256 of a key, as configured.
    public static func digestHex(of key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
