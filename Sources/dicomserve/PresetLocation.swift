import Foundation

/// Where presets are found when --presets is not given.
enum PresetLocation {
    static func defaultDirectory() -> String {
        if let configured = ProcessInfo.processInfo.environment["DICOMSERVE_PRESETS"] { return configured }
        return installed("presets") ?? "presets"
    }

    /// A data folder shipped with dicomserve (`presets`, `web`): in the working directory, installed
    /// beside the binary (`PREFIX/share/dicomserve/…`), or in the repository a build runs from.
    static func installed(_ name: String) -> String? {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            name,
            executable.appendingPathComponent("../share/dicomserve/\(name)").standardized.path,
            executable.appendingPathComponent("../../\(name)").standardized.path,
            executable.appendingPathComponent("../../../\(name)").standardized.path,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
