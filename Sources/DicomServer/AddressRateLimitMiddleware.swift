import DicomArchive
import HTTPTypes
import Hummingbird

/// The budgets checked before authentication, by client address: the address ceiling, and the
/// failed-authentication budget (peeked at before the credentials are verified, charged when the answer
/// is 401). Outside the audit log, so a flood of refusals costs a counter, not audit rows.
struct AddressRateLimitMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext
    let limiter: RateLimiter
    let limits: RateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !RateLimitExemption.applies(to: request) else { return try await next(request, context) }
        let address = context.clientAddress
        // Answered here as responses (not thrown): the middleware outside sees them like any other answer.
        let ceiling = await limiter.check(address, policy: limits.address)
        guard ceiling.allowed else {
            return try RateLimitRefusal.error(limits.address, ceiling).response(from: request, context: context)
        }
        let failures = await limiter.check(address, policy: limits.authenticationFailures, commit: false)
        guard failures.allowed else {
            return try RateLimitRefusal.error(limits.authenticationFailures, failures).response(from: request, context: context)
        }
        do {
            let response = try await next(request, context)
            if response.status == .unauthorized { _ = await limiter.check(address, policy: limits.authenticationFailures) }
            return response
        } catch let error as any HTTPResponseError where error.status == .unauthorized {
            _ = await limiter.check(address, policy: limits.authenticationFailures)
            throw error
        }
    }
}
