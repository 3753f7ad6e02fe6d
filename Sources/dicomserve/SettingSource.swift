/// Where the value of a `serve` setting came from: what an error names, so the operator knows what to
/// fix, and what the start-up line reports beside each value.
enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    /// `--port`.
    case flag(String)
    /// `DICOMSERVE_PORT`.
    case environment(String)
    /// The JSON config file and the key in it.
    case file(path: String, key: String)
    /// Not given anywhere: the built-in default.
    case builtIn

    var description: String {
        switch self {
        case .flag(let name): "--\(name)"
        case .environment(let variable): "environment variable \(variable)"
        case .file(let path, let key): "config file \(path), key \"\(key)\""
        case .builtIn: "default"
        }
    }

    /// The source and the value as the operator wrote it: `--port 70000`,
    /// `environment variable DICOMSERVE_PORT="abc"`, `config file serve.json, key "port" = "abc"`.
    func showing(_ value: String) -> String {
        switch self {
        case .flag: "\(self) \(value)"
        case .environment: "\(self)=\(value)"
        case .file, .builtIn: "\(self) = \(value)"
        }
    }
}
