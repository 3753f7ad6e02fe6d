import Foundation
import TestSupport
import Testing

/// The fetched corpus (.testdata, made by scripts/fetch-test-data) and its reference manifest.
enum TestData {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let root = repositoryRoot.appendingPathComponent(".testdata")

    static var isPresent: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("manifest.json").path) }

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// One reference frame: see scripts/testdata/make_references.py.
    struct Entry: Decodable, Sendable, CustomTestStringConvertible {
        var name: String
        var file: String
        var frame: Int
        var frames: Int
        var transferSyntax: String
        var photometric: String
        var set: String
        var kind: String
        var bitsAllocated: Int
        var storedTolerance: Int?
        var renderTolerance: Int
        var why: String?

        var testDescription: String { "\(name) [\(transferSyntax) \(photometric)]" }
        var referenceStem: String { TestData.path("reference/\(name)") }
    }

    static let manifest: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("manifest.json")) else { return [] }
        return (try? JSONDecoder().decode([Entry].self, from: data)) ?? []
    }()

    static func bytes(_ path: String) -> [UInt8] {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
    }

    static func int32s(_ path: String) -> [Int32] {
        let raw = bytes(path)
        return stride(from: 0, to: raw.count - 3, by: 4).map {
            Int32(bitPattern: UInt32(raw[$0]) | UInt32(raw[$0 + 1]) << 8 | UInt32(raw[$0 + 2]) << 16 | UInt32(raw[$0 + 3]) << 24)
        }
    }

    /// A scratch directory removed at process exit is not needed: each test cleans its own files.
    static func temporaryFile(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dicomserve-test-\(UUID().uuidString)\(suffix)").path
    }
}

/// Runs a program and returns its exit status and standard output.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try TestChildren.run(process)
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, outputData, String(decoding: errorData, as: UTF8.self))
}

/// Reads a binary PGM (P5, 8-bit) as dcmj2pnm writes it.
func readPGM(_ data: Data) -> (width: Int, height: Int, pixels: [UInt8])? {
    let bytes = [UInt8](data)
    var fields: [String] = []
    var index = 0
    while fields.count < 4 && index < bytes.count {
        while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D) { index += 1 }
        var field = ""
        while index < bytes.count && !(bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D) {
            field.append(Character(UnicodeScalar(bytes[index])))
            index += 1
        }
        fields.append(field)
    }
    guard fields.count == 4, fields[0] == "P5", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255" else { return nil }
    index += 1
    guard bytes.count - index >= width * height else { return nil }
    return (width, height, Array(bytes[index..<(index + width * height)]))
}
