import DicomStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DicomServer

/// QIDO-RS over a real catalog: DICOM JSON results, matching, Accept negotiation.
@Suite(.timeLimit(.minutes(10)))
struct QIDOTests {
    static func array(_ buffer: ByteBuffer) throws -> [[String: [String: Any]]] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [[String: [String: Any]]])
    }

    static func values(_ result: [String: [String: Any]], _ tag: String) -> [Any] {
        result[tag]?["Value"] as? [Any] ?? []
    }

    @Test func searchesAtEveryLevel() async throws {
        try await JSONAPITests.withRouter { router, catalog in
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/dicomweb/studies", method: .get, headers: [.accept: "application/dicom+json"]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("application/dicom+json") == true)
                    let studies = try Self.array(response.body)
                    #expect(studies.count == 3)
                    #expect(studies.allSatisfy { $0["0020000D"]?["vr"] as? String == "UI" && $0["00201208"] != nil })
                }
                let ct = try await client.execute(uri: "/dicomweb/studies?ModalitiesInStudy=CT&includefield=all", method: .get) {
                    try Self.array($0.body)
                }
                #expect(ct.count == 2)
                let named = try await client.execute(uri: "/dicomweb/studies?PatientName=CompressedSamples*", method: .get) {
                    try Self.array($0.body)
                }
                #expect(named.count == 1)
                #expect((Self.values(named[0], "00100010").first as? [String: String])?["Alphabetic"] == "CompressedSamples^CT1")

                let study = try #require(Self.values(ct[0], "0020000D").first as? String)
                let series = try await client.execute(uri: "/dicomweb/studies/\(study)/series", method: .get) { try Self.array($0.body) }
                let seriesUID = try #require(Self.values(series[0], "0020000E").first as? String)
                let instances = try await client.execute(uri: "/dicomweb/studies/\(study)/series/\(seriesUID)/instances", method: .get) {
                    try Self.array($0.body)
                }
                #expect(instances.count == 1)
                #expect(
                    (Self.values(instances[0], "00081190").first as? String)?.contains("/dicomweb/studies/\(study)/series/\(seriesUID)/instances/")
                        == true
                )
                let all = try await client.execute(uri: "/dicomweb/instances?limit=2&offset=1", method: .get) { try Self.array($0.body) }
                #expect(all.count == 2)
                let listed = try await client.execute(uri: "/dicomweb/studies?StudyInstanceUID=\(study),1.2.3", method: .get) {
                    try Self.array($0.body)
                }
                #expect(listed.count == 1)
                let none = try await client.execute(uri: "/dicomweb/studies?PatientID=nobody", method: .get) { $0 }
                #expect(none.status == .ok)
                #expect(String(buffer: none.body) == "[]")
                _ = catalog
            }
        }
    }

    /// OHIF up to 3.11 indexes `Value[0]` of what it is sent: an attribute without a value is left out.
    @Test func attributesWithoutAValueAreLeftOut() async throws {
        try await JSONAPITests.withRouter { router, _ in
            try await Application(router: router).test(.router) { client in
                var answers: [[String: [String: Any]]] = []
                for uri in ["/dicomweb/studies", "/dicomweb/series", "/dicomweb/instances"] {
                    answers += try await client.execute(uri: uri, method: .get) { try Self.array($0.body) }
                }
                #expect(answers.count > 6)
                for answer in answers {
                    for (tag, element) in answer {
                        #expect((element["Value"] as? [Any])?.isEmpty == false, "\(tag) is sent without a value: \(element)")
                    }
                }
                // The fixtures' studies have no accession number and no referring physician: left out.
                let studies = try await client.execute(uri: "/dicomweb/studies", method: .get) { try Self.array($0.body) }
                #expect(studies.contains { $0["00080050"] == nil || $0["00080090"] == nil })
            }
        }
    }

    @Test func acceptNegotiationAndErrors() async throws {
        try await JSONAPITests.withRouter { router, _ in
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/dicomweb/studies", method: .get, headers: [.accept: "application/json;q=0.9, */*;q=0.1"]) {
                    #expect($0.headers[.contentType]?.hasPrefix("application/json") == true)
                }
                try await client.execute(uri: "/dicomweb/studies", method: .get, headers: [.accept: "image/png"]) {
                    try JSONAPITests.expectErrorBody($0, status: .notAcceptable, path: "/dicomweb/studies")
                }
                try await client.execute(uri: "/dicomweb/studies?accept=application/dicom%2Bjson", method: .get, headers: [.accept: "image/png"]) {
                    #expect($0.status == .ok, "the accept query parameter wins over the header")
                }
                try await client.execute(uri: "/dicomweb/studies?StudyDate=2004-01", method: .get) {
                    try JSONAPITests.expectErrorBody($0, status: .badRequest, path: "/dicomweb/studies")
                }
                try await client.execute(uri: "/dicomweb/studies?NoSuchKey=1", method: .get) {
                    try JSONAPITests.expectErrorBody($0, status: .badRequest, path: "/dicomweb/studies")
                }
            }
        }
    }
}
