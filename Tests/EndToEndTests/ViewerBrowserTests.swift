import Foundation
import TestSupport
import Testing

/// The built-in viewer in a real headless browser (Debian's chromium and chromium-driver, driven by
/// Selenium from `Tests/Browser/viewer_check.py`) against the real server with authentication on.
@Suite(.timeLimit(.minutes(10)))
struct ViewerBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static let driver = "/usr/bin/chromedriver"
    static let python = "/usr/bin/python3"  // Debian's, where python3-selenium is installed
    static let script = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/Browser/viewer_check.py").path
    /// Screenshots of each page, kept after the run (under .build, out of git).
    static let artifacts = CommandLineTests.repositoryRoot.appendingPathComponent(".build/test-artifacts/browser").path

    static var browserPresent: Bool {
        RequiredTools.underCI
            || (RequiredTools.runnable([chromium, driver, python]) && (try? DeploymentTests.run(python, ["-c", "import selenium"]).status) == 0)
    }

    @Test(.enabled(if: browserPresent, "chromium, chromium-driver or python3-selenium is not installed (scripts/bootstrap installs them)"))
    func studyListSeriesScrollPresetAndUploadInChromium() async throws {
        try RequiredTools.require([Self.chromium, Self.driver, Self.python])
        let selenium = try DeploymentTests.run(Self.python, ["-c", "import selenium"])
        try #require(selenium.status == 0, "python3-selenium is missing (scripts/bootstrap installs it): \(selenium.error)")
        let demo = CommandLineTests.temporary("-demo")
        let dataDir = CommandLineTests.temporary("-data")
        defer {
            try? FileManager.default.removeItem(atPath: demo)
            try? FileManager.default.removeItem(atPath: dataDir)
        }
        #expect(try CommandLineTests.dicomserve("demo-data", demo, "--source", ServeEndToEndTests.corpus.path).status == 0)
        #expect(try CommandLineTests.dicomserve("import", demo + "/ct", demo + "/mr", "--data-dir", dataDir).status == 0)

        let key = "dsk_browser-test-key-\(UUID().uuidString)"
        let digest = try DeploymentTests.run(CommandLineTests.binary, ["api-key", "hash"], standardInput: key).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await ServerProcess(
            dataDir: dataDir,
            arguments: [
                "--api-keys", "browser:read+write+admin:\(digest)", "--web-dir", CommandLineTests.repositoryRoot.appendingPathComponent("web").path,
            ]
        )
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let upload = ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm").path
        let run = try DeploymentTests.run(Self.python, [Self.script, server.base, key, Self.artifacts, upload])
        #expect(run.status == 0, "\(run.output)\n\(run.error.suffix(2000))")
        for page in ["studies", "study", "viewer", "upload"] {
            #expect(FileManager.default.fileExists(atPath: "\(Self.artifacts)/\(page).png"))
        }
    }
}
