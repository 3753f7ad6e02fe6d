import Foundation
import Testing

@testable import LocalStorage

/// Temporary files of uploads in progress belong to their writer: at start-up only those whose writer
/// process is gone (or was an earlier process with this pid) are removed, never a live writer's.
struct StaleTemporaryFileTests {
    @Test func onlyFilesOfWritersThatAreGoneAreRemoved() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("stale-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try FileObjectStore(root: root)
        let incoming = FileObjectStore.temporaryDirectory(root)
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)

        // A live writer (a real process, still running) and a dead one (a real process that has exited).
        let live = Process()
        live.executableURL = URL(fileURLWithPath: "/bin/sleep")
        live.arguments = ["60"]
        try live.run()
        defer { live.terminate() }
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let names = [
            "live": "\(live.processIdentifier)-\(UUID().uuidString).part",
            "dead": "\(dead.processIdentifier)-\(UUID().uuidString).part",
            "ours": "\(getpid())-\(UUID().uuidString).part",  // this pid's before it: a process that crashed
            "unnamed": "garbage.part",
            "other": "\(dead.processIdentifier)-notes.txt",  // not a temporary file of the store
        ]
        for name in names.values { _ = FileManager.default.createFile(atPath: incoming + "/" + name, contents: Data("x".utf8)) }

        #expect(store.removeStaleTemporaryFiles() == 3)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: incoming))
        #expect(left == [names["live"]!, names["other"]!], "\(left)")
    }
}
