import Foundation

/// The data directory `serve` and `import` work in, made ready: created when missing, an environment
/// failure (exit 4) in words when it cannot be.
enum DataDirectory {
    /// Whether it had to be created.
    @discardableResult
    static func prepare(_ path: String) throws -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return false }
        guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil else {
            throw CommandFailure.environment("cannot use the data directory \(path): \(FileProblem.directoryReason(path))")
        }
        return true
    }
}
