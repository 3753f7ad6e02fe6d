import ArgumentParser
import DicomCodec
import Foundation

/// The `dicomserve` executable: a thin shell over the library targets.
struct DicomServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicomserve",
        abstract: "A fast DICOM image server and renderer.",
        version: version,
        subcommands: [
            RenderCommand.self, InfoCommand.self, ImportCommand.self, ServeCommand.self, DemoDataCommand.self, APIKeyCommand.self,
            ParseWorkerCommand.self,
        ]
    )

    static let version = "0.3.0"
}

@main
enum Entry {
    /// Exit codes: 0 success, 1 other failure, 2 usage, 3 unreadable or unsupported input, 4 environment (port).
    static func main() async {
        AllocatorTuning.keepFrameBuffersInTheHeap()
        do {
            var command = try DicomServeCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("dicomserve: \(failure.message)\n".utf8))
            exit(failure.exitCode)
        } catch {
            let code = DicomServeCommand.exitCode(for: error)
            let message = DicomServeCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                exit(0)
            }
            FileHandle.standardError.write(Data((message.isEmpty ? "" : message + "\n").utf8))
            exit(2)
        }
    }
}
