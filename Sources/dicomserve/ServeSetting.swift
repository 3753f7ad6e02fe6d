import ArgumentParser
import Configuration

/// One setting of `serve`, written once: its key in the JSON config file (camelCase), from which its
/// flag (`--kebab-case`) and its environment variable (`DICOMSERVE_SNAKE_CASE`) follow, what it means,
/// and its default. The flag's help, the reading of the value and its error messages are all made from
/// it, so a key, a default or a range is never restated.
struct ServeSetting: Sendable {
    let key: String
    let summary: String
    /// The default as the help shows it (nil: none).
    let defaultText: String?
    /// Hidden in logs and messages (a password in a URL, key digests).
    let isSecret: Bool

    init(_ key: String, _ summary: String, default defaultText: String?, isSecret: Bool = false) {
        self.key = key
        self.summary = summary
        self.defaultText = defaultText
        self.isSecret = isSecret
    }

    /// `--max-upload-mb`'s name: the key with each capital as a dash and a lowercase letter.
    var flag: String {
        var name = ""
        for character in key {
            if character.isUppercase {
                name += "-" + character.lowercased()
            } else {
                name.append(character)
            }
        }
        return name
    }

    /// `DICOMSERVE_MAX_UPLOAD_MB`.
    var variable: String { "DICOMSERVE_" + flag.uppercased().replacingOccurrences(of: "-", with: "_") }

    /// The flag's help: the summary, the variable and the default.
    var help: ArgumentHelp {
        // "default 8080", but "default: the number of cores".
        let shown = defaultText.map { $0.contains(" ") ? "; default: \($0)" : "; default \($0)" } ?? ""
        return ArgumentHelp("\(summary) (\(variable)\(shown)).")
    }

    /// The key as readers look it up, and as the flags' provider holds it.
    var configKey: ConfigKey { ConfigKey([key]) }
    var absoluteKey: AbsoluteConfigKey { AbsoluteConfigKey([key]) }
}

/// A whole-number setting with its default and the range it must lie in.
struct IntegerSetting: Sendable {
    let setting: ServeSetting
    let defaultValue: Int?
    let range: ClosedRange<Int>

    init(_ key: String, _ summary: String, default defaultValue: Int?, range: ClosedRange<Int>, defaultText: String? = nil) {
        setting = ServeSetting(key, summary, default: defaultText ?? defaultValue.map(String.init))
        self.defaultValue = defaultValue
        self.range = range
    }

    var help: ArgumentHelp { setting.help }

    /// What the setting takes, as refusals say it.
    var allowed: String { "a whole number from \(range.lowerBound) to \(range.upperBound)" }

    /// `value` if it lies in the range; the error names the flag (for commands that take the value
    /// from their own flags, not from a `SettingsReader`).
    func checked(_ value: Int) throws -> Int {
        guard range.contains(value) else { throw CommandFailure.usage("--\(setting.flag) \(value): must be \(allowed)") }
        return value
    }
}
