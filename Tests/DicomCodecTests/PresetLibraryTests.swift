import DicomCodec
import DicomImaging
import Foundation
import Testing

struct PresetLibraryTests {
    static let directory = TestData.repositoryRoot.appendingPathComponent("presets").path

    @Test func shippedPresetsHaveTheOHIFValues() throws {
        let library = try PresetLibrary.load(directory: Self.directory)
        let expected: [(String, Double, Double)] = [
            ("lung", -600, 1500), ("soft-tissue", 40, 400), ("liver", 90, 150),
            ("bone", 480, 2500), ("brain", 40, 80),
        ]
        for (id, center, width) in expected {
            let preset = try #require(library.preset(named: id))
            #expect(preset.voiRequest == .window(Window(center: center, width: width)), "\(id)")
        }
        for id in ["mediastinum", "abdomen", "stroke", "subdural"] { #expect(library.preset(named: id) != nil) }
        #expect(library.preset(named: "default")?.voiRequest == .automatic)
        #expect(library.preset(named: "soft_tissue")?.id == "soft-tissue")
        #expect(library.preset(named: "LUNG")?.id == "lung")
    }

    func load(_ json: String) -> PresetError? {
        let directory = TestData.temporaryFile("-presets")
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/bad.json", contents: Data(json.utf8))
        do {
            _ = try PresetLibrary.load(directory: directory)
            return nil
        } catch {
            return error
        }
    }

    @Test func badPresetFilesNameTheFileAndField() {
        let missingName = load(#"{"id": "x", "center": 1, "width": 2}"#)
        #expect(missingName?.field == "name")
        #expect(missingName?.file.hasSuffix("bad.json") == true)
        #expect(load(#"{"id": "x", "name": "X", "center": "high", "width": 2}"#)?.field == "center")
        #expect(load(#"{"id": "x", "name": "X", "center": 1, "width": 0}"#)?.field == "width")
        #expect(load(#"{"id": "x", "name": "X", "center": 1}"#)?.field == "width")
        #expect(load(#"{"id": "Bad Id", "name": "X"}"#)?.field == "id")
        #expect(load(#"{"id": "x", "name": "X", "function": "CUBIC", "center": 1, "width": 2}"#)?.field == "function")
        #expect(load(#"[{"id": "x", "name": "X"}, {"id": "y", "name": "Y", "aliases": ["X"]}]"#)?.reason.contains("twice") == true)
        #expect(load("{not json")?.description.contains("bad.json") == true)
        #expect(load(#"{"id": "x", "name": "X", "center": 1, "width": 2, "function": "SIGMOID"}"#) == nil)
    }
}
