import DicomCatalog
import Hummingbird
import RenderService

extension RequestContext {
    /// A path parameter that names a DICOM UID, validated before it reaches the catalog (and never
    /// becomes a path): digits and dots, at most 64 characters; 400 otherwise.
    func uid(_ name: String) throws -> String {
        let text = try parameters.require(name)
        guard ObjectStore.isValidUID(text) else {
            throw APIError(.badRequest, "invalid UID", details: ["uid": String(text.prefix(80)), "reason": "digits and dots, at most 64 characters"])
        }
        return text
    }

    /// The instance named by the `study`, `series` and `instance` path parameters, checked to belong
    /// to that study and series.
    func instance(in service: RenderService) async throws -> InstanceRow {
        try await service.instance(try uid("instance"), study: try uid("study"), series: try uid("series"))
    }
}
