import Foundation

/// Tools some suites need (nginx, chromium, systemd-analyze). On a developer's machine a missing tool
/// skips its suite with the reason; under CI (`CI` set, as `.ci/run` does) it fails the run naming the
/// tool, because `scripts/bootstrap` installs every one and a silent skip would hide a broken setup.
public enum RequiredTools {
    public static var underCI: Bool { !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty }

    /// Whether a suite needing `paths` runs: always under CI (where `require` then fails it), else only
    /// when all are installed.
    public static func runnable(_ paths: [String]) -> Bool {
        underCI || missing(paths).isEmpty
    }

    /// Throws naming every missing tool.
    public static func require(_ paths: [String]) throws {
        let absent = missing(paths)
        guard absent.isEmpty else { throw Missing(tools: absent) }
    }

    static func missing(_ paths: [String]) -> [String] {
        paths.filter { !FileManager.default.isExecutableFile(atPath: $0) }
    }

    public struct Missing: Error, CustomStringConvertible {
        public var tools: [String]
        public var description: String { "missing \(tools.joined(separator: ", ")) (scripts/bootstrap installs it)" }
    }
}
