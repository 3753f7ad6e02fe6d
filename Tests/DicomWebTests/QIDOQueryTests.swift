import Testing

@testable import DicomWeb

/// QIDO-RS query parsing and matching (PS3.18 8.3.4, PS3.4 C.2.2.2).
struct QIDOQueryTests {
    func query(_ items: [(String, String)]) throws -> QIDOQuery {
        try QIDOQuery(items: items.map { (name: $0.0, value: $0.1) })
    }

    @Test func keywordsAndTagsNameTheSameAttribute() throws {
        let byKeyword = try query([("PatientID", "P1")])
        let byTag = try query([("00100020", "P1")])
        #expect(byKeyword.filters == byTag.filters)
        #expect(byKeyword.filters.first?.attribute.keyword == "PatientID")
    }

    @Test func wildcardsOnNames() throws {
        let match = try #require(try query([("PatientName", "Doe^J*")]).filters.first?.match)
        #expect(match == .wildcard("Doe^J*"))
        #expect(match.matches("Doe^John", vr: "PN"))
        #expect(!match.matches("Doe^Mary", vr: "PN"))
        #expect(!match.matches("doe^john", vr: "PN"))
        #expect(match.matches("doe^john", vr: "PN", fuzzy: true))
        #expect(QIDOMatch.wildcard("?oe*").matches("Joe^Bloggs", vr: "PN"))
        #expect(!QIDOMatch.wildcard("?oe").matches("Joe^Bloggs", vr: "PN"))
        #expect(QIDOMatch.wildcard("*").matches("", vr: "LO"))
        #expect(QIDOMatch.wildcard("a*b*c").matches("a-b-b-c", vr: "LO"))
        #expect(!QIDOMatch.wildcard("a*b*c").matches(String(repeating: "a", count: 5000) + "b", vr: "LO"))
    }

    @Test func dateRangesInEveryForm() throws {
        let closed = try #require(try query([("StudyDate", "20200101-20201231")]).filters.first?.match)
        #expect(closed == .range(lower: "20200101", upper: "20201231"))
        #expect(closed.matches("20200615", vr: "DA") && !closed.matches("20210101", vr: "DA") && !closed.matches(nil, vr: "DA"))
        #expect(try query([("StudyDate", "20200101-")]).filters.first?.match == .range(lower: "20200101", upper: nil))
        #expect(try query([("SeriesDate", "-20200101")]).filters.first?.match == .range(lower: nil, upper: "20200101"))
        #expect(try query([("StudyDate", "20200101")]).filters.first?.match == .single("20200101"))
        #expect(throws: QIDOQuery.Error.self) { try query([("StudyDate", "2020-01-01")]) }
        #expect(throws: QIDOQuery.Error.self) { try query([("StudyDate", "-")]) }
        #expect(throws: QIDOQuery.Error.self) { try query([("StudyDate", "20201301")]) }
        #expect(try query([("StudyTime", "0800-1200")]).filters.first?.match == .range(lower: "0800", upper: "1200"))
    }

    @Test func uidLists() throws {
        let match = try #require(try query([("StudyInstanceUID", "1.2.3\\1.2.4,1.2.5")]).filters.first?.match)
        #expect(match == .uidList(["1.2.3", "1.2.4", "1.2.5"]))
        #expect(match.matches("1.2.4", vr: "UI") && !match.matches("1.2.6", vr: "UI"))
        #expect(throws: QIDOQuery.Error.self) { try query([("SOPInstanceUID", "1.2.*")]) }
    }

    @Test func optionsAndLimits() throws {
        let parsed = try query([
            ("limit", "5000"), ("offset", "20"), ("includefield", "00081030,SeriesDescription"),
            ("includefield", "all"), ("fuzzymatching", "false"), ("ModalitiesInStudy", "CT"), ("AccessionNumber", ""),
        ])
        #expect(parsed.limit == 1000, "capped at the server maximum")
        #expect(parsed.offset == 20)
        #expect(parsed.includeFields.map(\.keyword) == ["StudyDescription", "SeriesDescription"])
        #expect(parsed.includeAll && !parsed.fuzzyMatching)
        #expect(parsed.filters.map(\.match) == [.single("CT"), .universal])
        for bad in [("limit", "-1"), ("offset", "x"), ("fuzzymatching", "maybe"), ("NoSuchAttribute", "1"), ("includefield", "Nope")] {
            #expect(throws: QIDOQuery.Error.self, "\(bad)") { try query([bad]) }
        }
    }
}
