import DicomImaging
import Foundation

/// The window/level presets loaded from `presets/*.json`, looked up by id or alias (case-insensitive).
public struct PresetLibrary: Sendable {
    public let presets: [Preset]
    private let index: [String: Int]

    public init(presets: [Preset]) throws(PresetError) {
        var index: [String: Int] = [:]
        for (position, preset) in presets.enumerated() {
            for name in [preset.id] + preset.aliases {
                let key = name.lowercased()
                if index[key] != nil { throw PresetError(file: preset.id, field: "id", reason: "the name \"\(name)\" is used twice") }
                index[key] = position
            }
        }
        self.presets = presets
        self.index = index
    }

    public func preset(named name: String) -> Preset? {
        index[name.lowercased()].map { presets[$0] }
    }

    /// Loads every `*.json` file of a directory (each a single preset or an array of presets) and
    /// validates them. A bad file is an error naming the file and the field.
    public static func load(directory: String) throws(PresetError) -> PresetLibrary {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw PresetError(file: directory, field: nil, reason: "no such directory, or it cannot be read")
        }
        var presets: [Preset] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            presets += try load(file: path)
        }
        return try PresetLibrary(presets: presets)
    }

    static func load(file path: String) throws(PresetError) -> [Preset] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PresetError(file: path, field: nil, reason: "cannot read the file")
        }
        let decoded: [Preset]
        do {
            let isArray = data.first { !" \t\r\n".utf8.contains($0) } == UInt8(ascii: "[")
            decoded = isArray ? try JSONDecoder().decode([Preset].self, from: data) : [try JSONDecoder().decode(Preset.self, from: data)]
        } catch let DecodingError.keyNotFound(key, context) {
            throw PresetError(
                file: path,
                field: (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."),
                reason: "is missing"
            )
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.dataCorrupted(context)
        {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            // At the top, a decoding failure means the text is not JSON at all.
            throw PresetError(file: path, field: field.isEmpty ? nil : field, reason: field.isEmpty ? "is not valid JSON" : context.debugDescription)
        } catch {
            throw PresetError(file: path, field: nil, reason: "\(error)")
        }
        for preset in decoded {
            try validate(preset, file: path)
        }
        return decoded
    }

    static func validate(_ preset: Preset, file: String) throws(PresetError) {
        let idCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        guard !preset.id.isEmpty, preset.id.allSatisfy(idCharacters.contains) else {
            throw PresetError(file: file, field: "id", reason: "\"\(preset.id)\" must be lower-case letters, digits, - or _")
        }
        switch (preset.center, preset.width) {
        case (nil, nil):
            break
        case (let center?, let width?):
            let window = Window(center: center, width: width, function: preset.function ?? .linear)
            guard window.isValid else {
                throw PresetError(
                    file: file,
                    field: "width",
                    reason: "\(width) is not a valid width for \((preset.function ?? .linear).rawValue) in preset \"\(preset.id)\""
                )
            }
        default:
            throw PresetError(
                file: file,
                field: preset.center == nil ? "center" : "width",
                reason: "preset \"\(preset.id)\" must give both center and width, or neither"
            )
        }
    }
}

/// A preset file that could not be used.
public struct PresetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var field: String?
    public var reason: String

    public var description: String {
        file + (field.map { ", field \"\($0)\"" } ?? "") + ": \(reason)"
    }
}
