/// Unique identifiers as PS3.5 §9.1 allows them.
public enum DicomUID {
    /// Digits and dots, at most 64 characters, not starting with a dot, no `..`. Anything else (`/`,
    /// letters) is refused before a UID reaches a store, a path or a cache key, so none can escape.
    public static func isValid(_ uid: String) -> Bool {
        !uid.isEmpty && uid.utf8.count <= 64 && uid.first != "."
            && uid.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }
            && !uid.contains("..")
    }
}
