/// One entry of an Accept header: a media range and its weight.
public struct AcceptedMediaRange: Sendable, Equatable {
    public var range: MIMEType
    /// The `q` weight, 0…1 (default 1). Not part of `range.parameters`.
    public var quality: Double
}

/// An Accept header (RFC 9110 §12.5.1) as DICOMweb clients send it (PS3.18 8.7.5): a list of media
/// ranges with q-values, including multipart ranges whose `type=` and `transfer-syntax=` parameters
/// say what each part must be, quoted or not. Unparseable entries are skipped, not fatal: one odd
/// client entry must not turn a request into a 406.
public struct AcceptHeader: Sendable, Equatable {
    public var ranges: [AcceptedMediaRange]

    /// The header values of a request (one or several Accept lines). No header means `*/*`.
    public init(_ values: [String]) {
        var ranges: [AcceptedMediaRange] = []
        for value in values {
            var scanner = HeaderScanner(value)
            while !scanner.atEnd {
                if var media = scanner.mediaType() {
                    var quality = 1.0
                    if let q = media.parameter("q") {
                        quality = Double(q).map { min(max($0, 0), 1) } ?? 1
                        media.parameters.removeAll { $0.name == "q" }
                    }
                    ranges.append(AcceptedMediaRange(range: media, quality: quality))
                }
                if !scanner.consume(",") { scanner.skipPastComma() }
            }
        }
        self.ranges = values.isEmpty ? [AcceptedMediaRange(range: MIMEType(type: "*", subtype: "*"), quality: 1)] : ranges
    }

    public init(_ value: String?) {
        self.init(value.map { [$0] } ?? [])
    }

    /// The best of `offers` (in server preference order) for this header: highest q, then the most
    /// specific matching range (PS3.18 8.7.5 / RFC 9110), then the server's order. Nil means 406.
    /// `accepts` may refine matching (e.g. multipart `type=` checks); it defaults to essence matching.
    public func negotiate(
        _ offers: [MIMEType],
        accepts: (AcceptedMediaRange, MIMEType) -> Bool = { $0.range.matches($1) }
    ) -> MIMEType? {
        var best: (offer: MIMEType, quality: Double, specificity: Int, order: Int)?
        for (order, offer) in offers.enumerated() {
            // The most specific matching range decides the offer's quality.
            var chosen: (quality: Double, specificity: Int)?
            for entry in ranges where accepts(entry, offer) {
                let specificity = (entry.range.type == "*" ? 0 : 1) + (entry.range.subtype == "*" ? 0 : 1) + entry.range.parameters.count
                if chosen == nil || specificity > chosen!.specificity { chosen = (entry.quality, specificity) }
            }
            guard let chosen, chosen.quality > 0 else { continue }
            if best == nil || chosen.quality > best!.quality {
                best = (offer, chosen.quality, chosen.specificity, order)
            }
        }
        return best?.offer
    }
}
