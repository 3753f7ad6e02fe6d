import Testing

@testable import DicomWeb

struct STOWResponseTests {
    static let stored = StoreOutcome.stored(
        sopClassUID: "1.2.840.10008.5.1.4.1.1.2",
        sopInstanceUID: "1.2.3",
        retrieveURL: "http://h/dicomweb/studies/9/series/8/instances/1.2.3"
    )
    static let failed = StoreOutcome.failed(sopClassUID: "", sopInstanceUID: "", reason: .cannotUnderstand)

    @Test func statusFollowsTheOutcomes() {
        #expect(STOWResponse(outcomes: [Self.stored]).httpStatus == 200)
        #expect(STOWResponse(outcomes: [Self.stored, Self.failed]).httpStatus == 202)
        #expect(STOWResponse(outcomes: [Self.failed]).httpStatus == 409)
        #expect(STOWResponse(outcomes: []).httpStatus == 409)
    }

    @Test func bodyHasReferencedAndFailedSequences() {
        let json = STOWResponse(outcomes: [Self.stored, Self.failed], studyRetrieveURL: "http://h/dicomweb/studies/9").json
        #expect(
            json == #"{"00081190":{"vr":"UR","Value":["http://h/dicomweb/studies/9"]},"#
                + #""00081198":{"vr":"SQ","Value":[{"00081150":{"vr":"UI"},"00081155":{"vr":"UI"},"00081197":{"vr":"US","Value":[49152]}}]},"#
                + #""00081199":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"#
                + #""00081155":{"vr":"UI","Value":["1.2.3"]},"00081190":{"vr":"UR","Value":["http://h/dicomweb/studies/9/series/8/instances/1.2.3"]}}]}}"#
        )
    }
}
