#if !FUZZING
import Foundation

/// Without libFuzzer: `DicomFuzz TARGET FILE-OR-DIRECTORY…` runs each file through the target once, so
/// the corpus and the crash fixtures are regression tests in every build.
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: DicomFuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE-OR-DIRECTORY…")
            exit(2)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run(Array(data))
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs replayed")
    }

    static func files(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" }
    }
}
#endif
