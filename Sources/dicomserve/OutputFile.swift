import Foundation

/// Writes command output atomically: a temporary file beside the target, then rename.
enum OutputFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure.other("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
