import Configuration
import Foundation
import SystemPackage

/// `serve`'s settings from flags, `DICOMSERVE_*` variables and the JSON config file, in that order of
/// precedence, read strictly: a value that cannot be what its setting needs, a value out of range, an
/// unknown config key and an unknown `DICOMSERVE_*` variable each stop start-up (exit 2) with one line
/// naming the source, the value and what is allowed. Lookup and conversion are swift-configuration's;
/// this adds what that library leaves to its caller: a value it could not convert (its getters answer
/// nil then, as for a missing one) is an error here, and every value knows where it came from.
struct SettingsReader: Sendable {
    private let reader: ConfigReader
    /// The values as given, by setting key, for messages and the start-up report.
    private let flags: [String: String]
    /// The `DICOMSERVE_*` variables that are set and not empty (an empty one is unset, as in
    /// systemd environment files).
    private let environment: [String: String]
    private let configFile: String?
    private let fileValues: [String: String]

    /// `DICOMSERVE_*` variables that other dicomserve commands and tools read, which `serve` passes over.
    static let otherCommandsVariables: Set = ["DICOMSERVE_DEMO_SOURCE", "DICOMSERVE_FUZZ_TARGET", "DICOMSERVE_FUZZ_ITERATIONS"]

    /// - Parameters:
    ///   - flags: the flags given on the command line, with their values.
    ///   - environment: the process environment; only `DICOMSERVE_*` variables are read.
    ///   - configFile: the JSON config file's path, if one is named.
    init(flags given: [(ServeSetting, ConfigContent)], environment all: [String: String], configFile: String?) async throws {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        var flags: [String: String] = [:]
        for (setting, content) in given {
            flagValues[setting.absoluteKey] = ConfigValue(content, isSecret: setting.isSecret)
            flags[setting.key] = Self.text(of: content)
        }
        let known = Set(ServeSettings.all.map(\.variable))
        let environment = all.filter { $0.key.hasPrefix("DICOMSERVE_") && !$0.value.isEmpty }
        for variable in environment.keys.sorted() where !known.contains(variable) && !Self.otherCommandsVariables.contains(variable) {
            let nearest = Self.nearest(variable, among: known).map { " (did you mean \($0)?)" } ?? ""
            throw CommandFailure.usage("environment variable \(variable) is not a setting of serve\(nearest); `dicomserve serve --help` lists them")
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: flagValues),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "dicomserve"),
        ]
        var fileValues: [String: String] = [:]
        if let configFile {
            fileValues = try Self.keys(ofConfigFile: configFile)
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configFile)))
            } catch {
                throw CommandFailure.usage("cannot read the config file \(configFile): \(error)")
            }
        }
        reader = ConfigReader(providers: providers)
        self.flags = flags
        self.environment = environment
        self.configFile = configFile
        self.fileValues = fileValues
    }

    // MARK: Values

    func string(_ setting: ServeSetting) throws -> String? {
        try given(setting, reader.string(forKey: setting.configKey, isSecret: setting.isSecret), expected: "text")
    }

    /// A list: comma-separated on the command line and in the environment, an array of strings in the file.
    func strings(_ setting: ServeSetting) throws -> [String]? {
        let expected = configFileHolds(setting) ? "an array of strings" : "a comma-separated list"
        return try given(setting, reader.stringArray(forKey: setting.configKey, isSecret: setting.isSecret), expected: expected)
    }

    /// An on/off setting: false unless given as true.
    func flag(_ setting: ServeSetting) throws -> Bool {
        try given(setting, reader.bool(forKey: setting.configKey), expected: "true or false") ?? false
    }

    /// The value, else the default; either checked against the setting's range.
    func int(_ setting: IntegerSetting) throws -> Int? {
        guard let value = try given(setting.setting, reader.int(forKey: setting.setting.configKey), expected: setting.allowed) ?? setting.defaultValue
        else { return nil }
        guard setting.range.contains(value) else { throw refusal(setting.setting, "must be \(setting.allowed)") }
        return value
    }

    /// For settings with a default: never nil.
    func value(_ setting: IntegerSetting) throws -> Int {
        try int(setting) ?? setting.range.lowerBound
    }

    /// A usage error naming where the setting's value came from and the value: the one line a bad
    /// setting gets, whatever found it bad (`problem` says what is allowed).
    func refusal(_ setting: ServeSetting, _ problem: String) -> CommandFailure {
        .usage("\(source(of: setting).showing(shown(setting))): \(problem)")
    }

    // MARK: Sources

    /// The first source that holds the setting: the flag, its variable, the config file, else the default.
    func source(of setting: ServeSetting) -> SettingSource {
        if flags[setting.key] != nil { return .flag(setting.flag) }
        if environment[setting.variable] != nil { return .environment(setting.variable) }
        if let configFile, configFileHolds(setting) { return .file(path: configFile, key: setting.key) }
        return .builtIn
    }

    /// Every setting given anywhere, `key: value (source)`, secrets hidden: for the start-up log.
    func givenSettings() -> [String: String] {
        var report: [String: String] = [:]
        for setting in ServeSettings.all where source(of: setting) != .builtIn {
            report[setting.key] = "\(setting.isSecret ? "(hidden)" : shown(setting)) (\(source(of: setting)))"
        }
        return report
    }

    // MARK: Helpers

    /// The value as its source holds it, quoted when it is text that could be mistaken.
    private func shown(_ setting: ServeSetting) -> String {
        let text: String? =
            switch source(of: setting) {
            case .flag: flags[setting.key]
            case .environment(let variable): environment[variable].map { "\"\($0)\"" }
            case .file: fileValues[setting.key]
            case .builtIn: setting.defaultText
            }
        return setting.isSecret ? "(hidden)" : text ?? ""
    }

    private func configFileHolds(_ setting: ServeSetting) -> Bool { fileValues[setting.key] != nil }

    /// `value` when the setting was given and converted, or not given at all; an error when it was
    /// given but the library could not convert it (and so answered nil).
    private func given<Value>(_ setting: ServeSetting, _ value: Value?, expected: String) throws -> Value? {
        if value == nil, source(of: setting) != .builtIn { throw refusal(setting, "must be \(expected)") }
        return value
    }

    /// The config file's keys and each value as JSON text; an error for a file that is not a JSON
    /// object or that has a key no setting has (a typo would otherwise be ignored).
    private static func keys(ofConfigFile path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure.usage("cannot read the config file \(path): \(FileProblem.reason(path))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CommandFailure.usage("the config file \(path) is not a JSON object like {\"port\": 8080}")
        }
        let known = Set(ServeSettings.all.map(\.key))
        var values: [String: String] = [:]
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard known.contains(key) else {
                let nearest = Self.nearest(key, among: known).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw CommandFailure.usage("config file \(path): unknown key \"\(key)\"\(nearest); the keys are the flags in camelCase")
            }
            let json = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
            values[key] = json.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        return values
    }

    /// The known name closest to a mistyped one, when it is close (at most two edits).
    static func nearest(_ name: String, among known: Set<String>) -> String? {
        let candidates = known.map { ($0, editDistance(Array(name.lowercased()), Array($0.lowercased()))) }
        guard let best = candidates.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }), best.1 <= 2 else { return nil }
        return best.0
    }

    /// Levenshtein distance, two rows at a time (names are short).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    private static func text(of content: ConfigContent) -> String {
        switch content {
        case .string(let text): text
        case .int(let value): String(value)
        case .bool(let value): String(value)
        case .stringArray(let values): values.joined(separator: ",")
        default: "\(content)"
        }
    }
}
