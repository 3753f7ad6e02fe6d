import Testing

@testable import DicomWeb

/// Accept headers as DICOMweb clients really send them (PS3.18 8.7.5, RFC 9110 §12.5.1).
struct AcceptHeaderTests {
    @Test func mediaTypesParseWithQuotedAndUnquotedParameters() throws {
        let quoted = try #require(MIMEType(parsing: #"multipart/related; type="application/octet-stream"; transfer-syntax=*"#))
        #expect(quoted.essence == "multipart/related")
        #expect(quoted.parameter("type") == "application/octet-stream")
        #expect(quoted.parameter("Transfer-Syntax") == "*")
        let unquoted = try #require(MIMEType(parsing: "Multipart/Related;type=application/dicom"))
        #expect(unquoted.parameter("type") == "application/dicom")
        #expect(MIMEType(parsing: "image") == nil)
        #expect(MIMEType(parsing: "image/png; q") == nil)
        #expect(MIMEType(parsing: #"a/b; x="unterminated"#) == nil)
        #expect(MIMEType(parsing: #"a/b; x="with \"escapes\"""#)?.parameter("x") == #"with "escapes""#)
    }

    @Test func serialisationQuotesWhatNeedsIt() {
        let type = MIMEType(type: "multipart", subtype: "related", parameters: [("type", "application/dicom"), ("boundary", "abc123")])
        #expect(type.description == #"multipart/related; type="application/dicom"; boundary=abc123"#)
    }

    @Test func qualityAndSpecificityChooseTheOffer() {
        let header = AcceptHeader("image/jpeg;q=0.5, image/png, */*;q=0.1")
        #expect(header.negotiate([.imageJPEG, .imagePNG]) == .imagePNG)
        #expect(header.negotiate([.imageJPEG]) == .imageJPEG)
        #expect(header.negotiate([.applicationJSON]) == .applicationJSON)  // via */*;q=0.1
        // q=0 refuses, even when a wildcard would allow it.
        #expect(AcceptHeader("image/*, image/png;q=0").negotiate([.imagePNG]) == nil)
        #expect(AcceptHeader("image/*, image/png;q=0").negotiate([.imagePNG, .imageJPEG]) == .imageJPEG)
    }

    @Test func serverOrderBreaksTies() {
        #expect(AcceptHeader("*/*").negotiate([.imageJPEG, .imagePNG]) == .imageJPEG)
        #expect(AcceptHeader(nil as String?).negotiate([.imagePNG, .imageJPEG]) == .imagePNG)
    }

    @Test func nothingAcceptableIsNil() {
        #expect(AcceptHeader("application/pdf").negotiate([.imagePNG, .imageJPEG]) == nil)
        #expect(AcceptHeader("").negotiate([.imagePNG]) == nil, "an empty header accepts nothing")
    }

    @Test func severalHeaderLinesAndOddEntries() {
        let header = AcceptHeader(["text/html, application/xhtml+xml", "garbage, image/png;q=0.9"])
        #expect(header.ranges.count == 3)
        #expect(header.negotiate([.imageJPEG, .imagePNG]) == .imagePNG)
        #expect(AcceptHeader("image/png; q=abc").ranges.first?.quality == 1)
        #expect(AcceptHeader("image/png; q=7").ranges.first?.quality == 1)
    }

    /// What OHIF / Cornerstone send for frames: a multipart range whose part type and transfer syntax
    /// are parameters. Matching multipart offers is the caller's rule; here it checks `type=`.
    @Test func multipartRangesCarryPartTypeAndTransferSyntax() {
        let header = AcceptHeader(
            #"multipart/related; type="application/octet-stream"; transfer-syntax=*, multipart/related; type=application/dicom; q=0.5"#
        )
        #expect(header.ranges.count == 2)
        #expect(header.ranges[0].range.parameter("transfer-syntax") == "*")
        #expect(header.ranges[1].quality == 0.5)
        let octet = MIMEType(type: "multipart", subtype: "related", parameters: [("type", "application/octet-stream")])
        let dicom = MIMEType(type: "multipart", subtype: "related", parameters: [("type", "application/dicom")])
        let chosen = header.negotiate([dicom, octet]) { entry, offer in
            entry.range.matches(offer) && (entry.range.parameter("type").map { $0.lowercased() == offer.parameter("type") } ?? true)
        }
        #expect(chosen == octet)
    }
}
