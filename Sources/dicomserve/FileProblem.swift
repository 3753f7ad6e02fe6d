import Foundation

/// Why a path cannot be used, in words an operator acts on (Foundation's errors print their domain and
/// code instead).
enum FileProblem {
    /// For a file that could not be read.
    static func reason(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "there is no such file" }
        if isDirectory.boolValue { return "it is a directory, not a file" }
        return FileManager.default.isReadableFile(atPath: path) ? "it cannot be read" : "permission denied"
    }

    /// For a directory that could not be created or used.
    static func directoryReason(_ path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if !isDirectory.boolValue { return "it is a file, not a directory" }
            return FileManager.default.isWritableFile(atPath: path) ? "it cannot be used" : "permission denied (it must be writable)"
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), !isDirectory.boolValue {
            return "\(parent) is a file, not a directory"
        }
        return "permission denied, or a parent is not a directory"
    }
}
