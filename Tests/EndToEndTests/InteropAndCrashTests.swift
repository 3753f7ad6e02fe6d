import DicomStorage
import Foundation
import LocalStorage
import TestSupport
import Testing

/// The server under a real third-party client, and under SIGKILL mid-ingest.
@Suite(.serialized, .timeLimit(.minutes(10))) struct InteropAndCrashTests {
    static let python = CommandLineTests.repositoryRoot.appendingPathComponent(".testdata/venv/bin/python").path
    static let script = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/Interop/dicomweb_client_check.py").path

    /// The PyPI client `dicomweb-client` stores, searches and retrieves against the real server.
    @Test func dicomwebClientInteroperates() async throws {
        let dataDir = CommandLineTests.temporary("-interop")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir)
        let files = ["pydicom/CT_small.dcm", "pydicom-data/RG1_UNCR.dcm", "pydicom-data/US1_UNCR.dcm"].map {
            ServeEndToEndTests.corpus.appendingPathComponent($0).path
        }
        let run = try DeploymentTests.run(Self.python, [Self.script, server.base] + files, deadline: .seconds(120))
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.output.contains("interop: ok"))
    }

    /// SIGKILL during a large STOW-RS ingest: after a restart every acknowledged instance is intact,
    /// every catalog row has its file, and no temporary file is left.
    @Test func killedMidIngestLosesNothingAcknowledged() async throws {
        let dataDir = CommandLineTests.temporary("-crash")
        let demo = CommandLineTests.temporary("-demo")
        defer {
            try? FileManager.default.removeItem(atPath: dataDir)
            try? FileManager.default.removeItem(atPath: demo)
        }
        let generated = try CommandLineTests.dicomserve("demo-data", demo, "--source", ServeEndToEndTests.corpus.path)
        try #require(generated.status == 0, "\(generated.error)")
        let slices = try FileManager.default.contentsOfDirectory(atPath: demo + "/ct").sorted().map { demo + "/ct/" + $0 }
        let server = try await ServerProcess(dataDir: dataDir)

        // Four uploaders, one slice per request; the kill lands while requests are in flight.
        actor Acknowledged {
            var files: [String] = []
            func add(_ file: String) { files.append(file) }
        }
        let acknowledged = Acknowledged()
        let stowURL = server.base + "/dicomweb/studies"
        let uploads = Task {
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<4 {
                    group.addTask {
                        for file in stride(from: lane, to: slices.count, by: 4).map({ slices[$0] }) {
                            guard let data = FileManager.default.contents(atPath: file),
                                let response = try? await ServerProcess.stow([data], to: stowURL), response.status == 200
                            else { return }
                            await acknowledged.add(file)
                        }
                    }
                }
            }
        }
        // Bounded: should the uploads fail, the lanes end early and 30 never comes.
        let waitUntil = ContinuousClock.now + .seconds(60)
        while await acknowledged.files.count < 30, ContinuousClock.now < waitUntil { try await Task.sleep(for: .milliseconds(5)) }
        try #require(await acknowledged.files.count >= 30, "30 uploads acknowledged before the kill")
        server.stop(SIGKILL)
        await uploads.value
        let safe = await acknowledged.files
        #expect(safe.count < slices.count, "the kill came mid-ingest")

        let restarted = try await ServerProcess(dataDir: dataDir)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dataDir + "/objects/.incoming")) ?? []
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        let catalog = try SQLiteCatalog(path: dataDir + "/catalog.sqlite")
        for row in try catalog.instances(inSeries: nil) {
            let attributes = try? FileManager.default.attributesOfItem(atPath: row.filePath)
            #expect((attributes?[.size] as? Int) == row.fileSize, "row \(row.sopInstanceUID) without its complete file")
        }
        let catalogued = Set(try catalog.instances(inSeries: nil).map(\.sopInstanceUID))
        for file in safe {
            let original = try #require(FileManager.default.contents(atPath: file))
            let sop = try #require(
                CommandLineTests.uid(of: file),
                "SOP Instance UID of \(file)"
            )
            #expect(catalogued.contains(sop))
            let row = try #require(try catalog.instance(sop))
            let retrieved = try await restarted.get(
                "/dicomweb/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/instances/\(sop)"
            )
            #expect(retrieved.status == 200)
            #expect(retrieved.body.range(of: original) != nil, "the retrieved part holds the acknowledged bytes")
        }
    }
}

extension CommandLineTests {
    /// The SOP Instance UID of a file, as `dicomserve info` reports it.
    static func uid(of file: String) -> String? {
        guard let result = try? dicomserve("info", file),
            let json = try? JSONSerialization.jsonObject(with: result.output) as? [String: [String: Any]]
        else { return nil }
        return (json["00080018"]?["Value"] as? [String])?.first
    }
}
