import ArgumentParser
import Foundation
import ParseWorker

/// The child process `serve` and `import` start to parse untrusted files (`ParseWorkerPool`); not for
/// people to run.
struct ParseWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ParseWorker.commandName,
        abstract: "Parse files sent on stdin under resource limits (started by serve and import).",
        shouldDisplay: false
    )

    @Option(help: "The worker's settings, JSON.") var settings: String

    func run() throws {
        let decoded: WorkerSettings
        do {
            decoded = try JSONDecoder().decode(WorkerSettings.self, from: Data(settings.utf8))
        } catch {
            throw CommandFailure.usage("parse-worker: unreadable --settings: \(error)")
        }
        Foundation.exit(ParseWorker.serve(decoded))
    }
}
