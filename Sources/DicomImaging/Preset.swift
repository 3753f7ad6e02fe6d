/// A named window/level preset, as `presets/*.json` defines it.
public struct Preset: Sendable, Equatable, Codable, Identifiable {
    /// Lower-case identifier used in URLs and on the command line (`lung`, `soft-tissue`).
    public var id: String
    public var name: String
    /// Window centre and width; both absent for the "default" preset (the file's window, else min/max).
    public var center: Double?
    public var width: Double?
    public var function: VOIFunction?
    /// Modalities the preset is meant for (`CT`, `MR`); empty for any.
    public var modalities: [String]
    public var description: String
    /// Other names the preset answers to, e.g. the replaced service's ids.
    public var aliases: [String]

    public init(
        id: String,
        name: String,
        center: Double?,
        width: Double?,
        function: VOIFunction? = nil,
        modalities: [String] = [],
        description: String = "",
        aliases: [String] = []
    ) {
        self.id = id
        self.name = name
        self.center = center
        self.width = width
        self.function = function
        self.modalities = modalities
        self.description = description
        self.aliases = aliases
    }

    /// The VOI this preset asks for.
    public var voiRequest: VOIRequest {
        guard let center, let width else { return .automatic }
        return .window(Window(center: center, width: width, function: function ?? .linear))
    }

    enum CodingKeys: String, CodingKey {
        case id, name, center, width, function, modalities, description, aliases
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        center = try container.decodeIfPresent(Double.self, forKey: .center)
        width = try container.decodeIfPresent(Double.self, forKey: .width)
        function = try container.decodeIfPresent(VOIFunction.self, forKey: .function)
        modalities = try container.decodeIfPresent([String].self, forKey: .modalities) ?? []
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        aliases = try container.decodeIfPresent([String].self, forKey: .aliases) ?? []
    }
}
