import ArgumentParser
import DicomCodec
import DicomImaging
import Foundation

struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render one frame of a DICOM file to PNG or JPEG.",
        discussion: """
            The window is --window, else --preset, else the file's first Window Center/Width, \
            else its VOI LUT, else the frame's min/max.

            Examples:
              dicomserve render ct.dcm --preset lung -o lung.png
              dicomserve render ct.dcm --window -600,1500,SIGMOID --size 256x256 -o thumb.jpg

            Exit status: 0 success, 2 usage, 3 unreadable or unsupported file, 1 other failure.
            """
    )

    @Argument(help: "The DICOM file.") var file: String
    @Option(help: "Frame number, starting at 1.") var frame: Int = 1
    @Option(help: "A window/level preset id or alias (see presets/).") var preset: String?
    @Option(parsing: .unconditional, help: "center,width[,LINEAR|LINEAR_EXACT|SIGMOID], e.g. -600,1500") var window: String?
    @Option(help: "Fit into WIDTHxHEIGHT, keeping the aspect ratio (never enlarges).") var size: String?
    @Option(help: "png or jpeg (default: from the output file's extension, else png).") var format: String?
    @Option(help: "JPEG quality, 1–100.") var quality: Int = 90
    @Option(help: "PNG compression: fast, balanced or small.") var pngCompression: String = PNGCompression.fast.rawValue
    @Option(help: "The presets directory.") var presets: String?
    // Optional to the parser, required by run(): ArgumentParser reports a missing option (and the errors of
    // validate()) before an unknown one, so a mistyped `--out` would be told that --output is missing.
    @Option(name: [.short, .customLong("output")], help: "Output file (.png, .jpg or .jpeg), or - for standard output.")
    var output: String?

    func validate() throws {
        if preset != nil && window != nil { throw ValidationError("give --preset or --window, not both") }
        if frame < 1 { throw ValidationError("--frame starts at 1") }
        if !(1...100).contains(quality) { throw ValidationError("--quality must be 1–100") }
        if PNGCompression(rawValue: pngCompression) == nil { throw ValidationError("--png-compression must be fast, balanced or small") }
    }

    func run() async throws {
        let voi = try voiRequest()
        let viewport = try size.map(Self.parseViewport)
        guard let output else {
            throw CommandFailure.usage("give the output file: -o FILE or --output FILE (- for standard output)")
        }
        let imageFormat = try Self.format(self.format, output: output)

        let encoded: [UInt8]
        do {
            let file = try DicomFile(path: self.file)
            let image = try InstanceRenderer().render(file, frame: frame, request: RenderRequest(voi: voi, viewport: viewport))
            let png = PNGCompression(rawValue: pngCompression) ?? .fast
            encoded = try ImageEncoder(png: png.options).encode(image, as: imageFormat, jpeg: JPEGOptions(quality: quality))
        } catch {
            throw error.kind == .invalidRenderParameters
                ? CommandFailure.usage(error.message)
                : CommandFailure.unusableInput("\(self.file): \(error.message)")
        }
        try OutputFile.write(encoded, to: output)
    }

    func voiRequest() throws -> VOIRequest {
        if let window {
            guard let parsed = Window(parsing: window) else {
                throw CommandFailure.usage("--window must be center,width[,LINEAR|LINEAR_EXACT|SIGMOID], got \"\(window)\"")
            }
            return .window(parsed)
        }
        guard let preset else { return .automatic }
        let library: PresetLibrary
        do {
            library = try PresetLibrary.load(directory: presets ?? PresetLocation.defaultDirectory())
        } catch {
            throw CommandFailure.usage("cannot load the presets: \(error)")
        }
        guard let found = library.preset(named: preset) else {
            let known = library.presets.map(\.id).joined(separator: ", ")
            throw CommandFailure.usage("unknown preset \"\(preset)\" (known: \(known))")
        }
        return found.voiRequest
    }

    /// The format to write: `--format`, else the output's extension; an extension that is not an
    /// image format this writes, or that contradicts `--format`, is refused rather than mislabelled.
    static func format(_ format: String?, output: String) throws -> ImageFormat {
        var given: ImageFormat?
        if let format {
            guard let parsed = ImageFormat(name: format) else {
                throw CommandFailure.usage("--format must be png or jpeg, got \"\(format)\"")
            }
            given = parsed
        }
        let name = output.split(separator: "/").last.map(String.init) ?? output
        guard output != "-", let dot = name.lastIndex(of: "."), dot != name.startIndex else { return given ?? .png }
        guard let named = ImageFormat(name: String(name[name.index(after: dot)...])) else {
            throw CommandFailure.usage("\(output): render writes PNG or JPEG; name the file .png, .jpg or .jpeg")
        }
        if let given, given != named {
            throw CommandFailure.usage("\(output) is named as \(named.rawValue) but --format is \(given.rawValue)")
        }
        return named
    }

    static func parseViewport(_ text: String) throws -> Viewport {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
            (1...65_535).contains(width), (1...65_535).contains(height)
        else {
            throw CommandFailure.usage("--size must be WIDTHxHEIGHT with sides 1–65535, got \"\(text)\"")
        }
        return Viewport(width: width, height: height)
    }
}
