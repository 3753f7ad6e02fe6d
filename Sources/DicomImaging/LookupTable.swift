/// A DICOM lookup table (Modality LUT, VOI LUT or one palette channel) as its LUT Descriptor defines it
/// (PS3.3 C.11.1.1): inputs below the first mapped value give the first entry, inputs past the end give
/// the last entry.
public struct LookupTable: Sendable, Equatable {
    /// The input value mapped to the first entry (the descriptor's second value, signed when inputs are).
    public var firstMapped: Int64
    /// Significant bits of each entry (the descriptor's third value).
    public var bitsPerEntry: Int
    public var entries: [UInt32]

    public init(firstMapped: Int64, bitsPerEntry: Int, entries: [UInt32]) {
        precondition(!entries.isEmpty && (1...16).contains(bitsPerEntry))
        self.firstMapped = firstMapped
        self.bitsPerEntry = bitsPerEntry
        self.entries = entries
    }

    @inline(__always)
    public func lookUp(_ input: Int64) -> UInt32 {
        // Overflowing differences lie far outside the table on the side of their sign.
        let (index, overflow) = input.subtractingReportingOverflow(firstMapped)
        if overflow { return input < firstMapped ? entries[0] : entries[entries.count - 1] }
        if index <= 0 { return entries[0] }
        if index >= Int64(entries.count) { return entries[entries.count - 1] }
        return entries[Int(index)]
    }

    /// The largest value an entry can hold: 2^bits − 1.
    public var maximumEntry: UInt32 { (UInt32(1) << UInt32(bitsPerEntry)) - 1 }
}
