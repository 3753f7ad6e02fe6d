import Foundation
import Testing

/// The README is true: `scripts/readme-examples` runs its examples, as written, against a real server
/// in a fresh directory, and checks its synopsis against every command's --help.
@Suite(.timeLimit(.minutes(5)))
struct ReadmeExamplesTests {
    @Test func everyExampleRunsAsDocumented() throws {
        let script = CommandLineTests.repositoryRoot.appendingPathComponent("scripts/readme-examples").path
        let run = try DeploymentTests.run(script, [CommandLineTests.binary])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        // The run covers the sections a newcomer copies from: guard against it silently running nothing.
        for section in ["[Command line]", "[Finding UIDs]", "[JSON API", "[DICOMweb", "[Authentication"] {
            #expect(run.output.contains("ok   \(section)"), "no example of \(section) ran")
        }
    }
}
