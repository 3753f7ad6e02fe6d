import DicomArchive
import DicomStorage
import Foundation
import Hummingbird

/// `GET /api/v1/audit` (admin): the audit log, newest first, filtered by `principal`, `client`, `uid`
/// (study, series or instance), `status`, `since` and `until` (ISO 8601 date-times or dates), paged by
/// `limit` (1–1000, default 100) and `offset`.
struct AuditRoutes {
    let archive: Archive
    let log: AuditLog

    func register(on router: Router<DicomRequestContext>) {
        router.get("api/v1/audit") { request, _ in try await entries(request) }
    }

    func entries(_ request: Request) async throws -> AuditEntriesJSON {
        let parameters = request.uri.queryParameters
        var filter = AuditFilter(
            limit: try RequestParameters.integer(parameters.get("limit"), name: "limit", range: 1...1000) ?? 100,
            offset: try RequestParameters.integer(parameters.get("offset"), name: "offset", range: 0...Int(Int32.max)) ?? 0
        )
        filter.principal = parameters.get("principal")
        filter.clientAddress = parameters.get("client")
        filter.uid = parameters.get("uid")
        filter.status = try RequestParameters.integer(parameters.get("status"), name: "status", range: 100...599)
        filter.since = try Self.date(parameters.get("since"), name: "since")
        filter.until = try Self.date(parameters.get("until"), name: "until")
        await log.flush()
        let rows = try await archive.queries.audit(filter)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return AuditEntriesJSON(
            entries: rows.map {
                AuditEntryJSON(
                    id: $0.id,
                    time: formatter.string(from: $0.time),
                    principal: $0.principal,
                    client_address: $0.clientAddress,
                    method: $0.method,
                    route: $0.route,
                    query: $0.query,
                    study_instance_uid: $0.studyInstanceUID,
                    series_instance_uid: $0.seriesInstanceUID,
                    sop_instance_uid: $0.sopInstanceUID,
                    status: $0.status,
                    count: $0.count
                )
            },
            limit: filter.limit,
            offset: filter.offset
        )
    }

    static func date(_ text: String?, name: String) throws -> Date? {
        guard let text else { return nil }
        let full = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        guard let date = full.date(from: text) ?? fractional.date(from: text) ?? day.date(from: text) else {
            throw APIError(.badRequest, "invalid parameter \(name)", details: ["parameter": name, "reason": "an ISO 8601 date or date-time"])
        }
        return date
    }
}

struct AuditEntryJSON: Codable {
    var id: Int64?
    var time: String
    var principal: String?
    var client_address: String?
    var method: String
    var route: String
    var query: String?
    var study_instance_uid: String?
    var series_instance_uid: String?
    var sop_instance_uid: String?
    var status: Int
    /// 1 for an access; for refusals (401, 429) the attempts aggregated into this row.
    var count: Int
}

struct AuditEntriesJSON: ResponseEncodable {
    var entries: [AuditEntryJSON]
    var limit: Int
    var offset: Int
}
