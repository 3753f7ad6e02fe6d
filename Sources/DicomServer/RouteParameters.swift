import DicomArchive
import DicomStorage
import DicomWeb
import Hummingbird

extension RequestContext {
    /// A path parameter that names a DICOM UID, validated before it reaches the catalog (and never
    /// becomes a path): digits and dots, at most 64 characters; 400 otherwise.
    func uid(_ name: String) throws -> String {
        let text = try parameters.require(name)
        guard DicomUID.isValid(text) else {
            throw APIError(.badRequest, "invalid UID", details: ["uid": String(text.prefix(80)), "reason": "digits and dots, at most 64 characters"])
        }
        return text
    }

    /// The instance named by the `study`, `series` and `instance` path parameters, checked to belong
    /// to that study and series.
    func instance(in archive: Archive) async throws -> InstanceRow {
        try await archive.queries.instance(try uid("instance"), study: try uid("study"), series: try uid("series"))
    }
}
