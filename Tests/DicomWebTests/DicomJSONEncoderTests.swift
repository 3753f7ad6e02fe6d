import Testing

@testable import DicomWeb

/// PS3.18 F.2 rules, checked on hand-built datasets.
struct DicomJSONEncoderTests {
    func json(_ elements: [DicomElement]) -> String {
        DicomJSONEncoder().encode(DicomDataSet(elements: elements)).serialized()
    }

    @Test func personNamesSplitIntoComponentGroups() {
        let name = DicomElement(tag: .patientName, vr: "PN", value: .text(["Yamada^Tarou=山田^太郎=やまだ^たろう"]))
        #expect(json([name]) == #"{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}]}}"#)
    }

    @Test func numericStringsBecomeNumbers() {
        let ds = DicomElement(tag: .windowCenter, vr: "DS", value: .text(["-600", "40.5"]))
        let integer = DicomElement(tag: .instanceNumber, vr: "IS", value: .text(["7"]))
        #expect(json([integer, ds]) == #"{"00200013":{"vr":"IS","Value":[7]},"00281050":{"vr":"DS","Value":[-600,40.5]}}"#)
    }

    @Test func binaryNumbersAttributeTagsAndInlineBinary() {
        let rows = DicomElement(tag: .rows, vr: "US", value: .binary([0x00, 0x02]))
        let at = DicomElement(tag: DicomTag(0x0020, 0x5000), vr: "AT", value: .binary([0x28, 0x00, 0x10, 0x00]))
        let ob = DicomElement(tag: DicomTag(0x0009, 0x1010), vr: "OB", value: .binary([1, 2, 3, 4]))
        #expect(
            json([rows, at, ob])
                == #"{"00091010":{"vr":"OB","InlineBinary":"AQIDBA=="},"00205000":{"vr":"AT","Value":["00280010"]},"00280010":{"vr":"US","Value":[512]}}"#
        )
    }

    @Test func emptyValuesAndSequences() {
        let empty = DicomElement(tag: .studyDescription, vr: "LO", value: .text([""]))
        let partly = DicomElement(tag: DicomTag(0x0008, 0x0008), vr: "CS", value: .text(["ORIGINAL", "", "AXIAL"]))
        let sequence = DicomElement(
            tag: .voiLUTSequence,
            vr: "SQ",
            value: .sequence([
                DicomDataSet(elements: [
                    DicomElement(tag: DicomTag(0x0028, 0x3003), vr: "LO", value: .text(["gamma \"2.2\"\n"]))
                ])
            ])
        )
        #expect(
            json([empty, partly, sequence])
                == #"{"00080008":{"vr":"CS","Value":["ORIGINAL",null,"AXIAL"]},"00081030":{"vr":"LO"},"00283010":{"vr":"SQ","Value":[{"00283003":{"vr":"LO","Value":["gamma \"2.2\"\n"]}}]}}"#
        )
    }

    @Test func bulkDataBecomesAURI() {
        let pixels = DicomElement(tag: .pixelData, vr: "OW", value: .bulk(length: 524_288))
        #expect(json([pixels]) == #"{"7FE00010":{"vr":"OW","BulkDataURI":"bulkdata:7FE00010"}}"#)
        let encoder = DicomJSONEncoder(bulkData: .uri { "https://x/studies/1/bulk/\($0.hexKey)" })
        #expect(
            encoder.encode(DicomDataSet(elements: [pixels])).serialized()
                == #"{"7FE00010":{"vr":"OW","BulkDataURI":"https://x/studies/1/bulk/7FE00010"}}"#
        )
    }

    @Test func tagsParseAndOrder() {
        #expect(DicomTag(hex: "(7FE0,0010)") == .pixelData)
        #expect(DicomTag(hex: "00100010") == .patientName)
        #expect(DicomTag(hex: "xyz") == nil)
        var dataSet = DicomDataSet()
        dataSet.insert(DicomElement(tag: .pixelData, vr: "OB", value: .bulk(length: nil)))
        dataSet.insert(DicomElement(tag: .rows, vr: "US", value: .binary([1, 0])))
        dataSet.insert(DicomElement(tag: .rows, vr: "US", value: .binary([2, 0])))
        #expect(dataSet.elements.map(\.tag) == [.rows, .pixelData])
        #expect(dataSet.integer(.rows) == 2)
    }

    @Test func base64MatchesRFC4648Vectors() {
        for (input, output) in [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
        ] {
            #expect(Base64.encode(Array(input.utf8)) == output)
        }
    }
}
