import Testing

@testable import DicomWeb

struct MultipartTests {
    static let dicom = MIMEType.applicationDicom

    @Test func writeThenReadRoundTrips() throws {
        let binary: [UInt8] = Array(0...255) + Array("\r\n--not-the-boundary\r\n".utf8) + [0, 13, 10]
        let parts = [
            MultipartPart(contentType: Self.dicom, body: binary, location: "/studies/1"),
            MultipartPart(contentType: .applicationOctetStream, body: []),
            MultipartPart(contentType: .applicationDicomJSON, body: Array(#"{"a":1}"#.utf8)),
        ]
        let boundary = Multipart.makeBoundary()
        let body = Multipart.write(parts, boundary: boundary)
        #expect(try Multipart.read(body, boundary: boundary) == parts)
        #expect(try Multipart.read(body, boundary: boundary)[0].header("content-location") == "/studies/1")
    }

    @Test func toleratesPreambleEpiloguePaddingAndBareLineFeeds() throws {
        let text = "preamble text\r\n--b  \r\nContent-Type: application/dicom\r\n\r\nAB\r\n--b\nContent-Type:text/plain\n\nCD\n--b-- \r\nepilogue"
        let parts = try Multipart.read(Array(text.utf8), boundary: "b")
        #expect(parts.map(\.body) == [Array("AB".utf8), Array("CD".utf8)])
        #expect(parts[1].contentType == MIMEType(type: "text", subtype: "plain"))
    }

    @Test func boundaryMustStartALine() throws {
        // "--b" inside a body line is data, not a delimiter.
        let text = "--b\r\n\r\nx--b y\r\n--b--"
        #expect(try Multipart.read(Array(text.utf8), boundary: "b").map(\.body) == [Array("x--b y".utf8)])
    }

    @Test func errorsAreTyped() {
        #expect(throws: MultipartError.noOpeningBoundary) { try Multipart.read(Array("nothing here".utf8), boundary: "b") }
        #expect(throws: MultipartError.unterminated) { try Multipart.read(Array("--b\r\n\r\nbody without end".utf8), boundary: "b") }
        #expect(throws: MultipartError.malformedPartHeaders(part: 1)) {
            try Multipart.read(Array("--b\r\nno colon line\r\n\r\nx\r\n--b--".utf8), boundary: "b")
        }
        #expect(throws: MultipartError.tooManyParts(limit: 1)) {
            try Multipart.read(Array("--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b--".utf8), boundary: "b", maximumParts: 1)
        }
        #expect(throws: MultipartError.missingBoundary) { try Multipart.boundary(of: .multipartRelated) }
        let long = MIMEType(type: "multipart", subtype: "related", parameters: [("boundary", String(repeating: "x", count: 71))])
        #expect(throws: MultipartError.self) { try Multipart.boundary(of: long) }
    }

    @Test func boundaryComesFromTheContentType() throws {
        let type = try #require(MIMEType(parsing: #"multipart/related; type="application/dicom"; boundary="abc def""#))
        #expect(try Multipart.boundary(of: type) == "abc def")
    }
}
