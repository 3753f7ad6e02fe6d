/// The fused greyscale pipeline of PS3.3 C.11: raw sample → stored value → modality value → VOI →
/// 8-bit display value, inverted last for MONOCHROME1 (inverting earlier is a known viewer bug).
///
/// Two implementations live side by side: `referenceDisplayValue(raw:)`, the standard's formulas with
/// branches, evaluated per sample; and the fast path, a lookup table over every possible stored field
/// (≤ 16 bits) built with SIMD lanes and applied in one pass. Tests prove they agree on every input.
public struct GreyscalePipeline: Sendable, Equatable {
    public var decoder: StoredValueDecoder
    public var modality: ModalityTransform
    public var voi: VOITransform
    /// True for MONOCHROME1: minimum values display white.
    public var inverted: Bool

    public init(decoder: StoredValueDecoder, modality: ModalityTransform, voi: VOITransform, inverted: Bool) {
        self.decoder = decoder
        self.modality = modality
        self.voi = voi
        self.inverted = inverted
    }

    /// The scalar reference for one raw sample.
    public func referenceDisplayValue(raw: UInt32) -> UInt8 {
        let value = voi.referenceDisplayValue(modality.apply(decoder.value(raw)))
        return inverted ? 255 - value : value
    }

    /// Whether a lookup table over all stored fields is small enough to build (≤ 64 Ki entries).
    public var usesLookupTable: Bool { decoder.bitsStored <= 16 }

    /// The display value of every stored field, indexed by the masked field (not the signed value).
    public func makeLookupTable() -> [UInt8] {
        precondition(usesLookupTable)
        let count = 1 << decoder.bitsStored
        var table = [UInt8](repeating: 0, count: count)
        table.withUnsafeMutableBufferPointer { table in
            if let (slope, intercept, window) = windowedFastPath {
                fillWindowed(table, slope: slope, intercept: intercept, window: window)
            } else {
                for field in 0..<count { table[field] = referenceDisplayValue(raw: UInt32(field) << UInt32(decoder.shift)) }
            }
        }
        return table
    }

    /// The case the table has a second implementation for (SIMD lanes, `fillWindowed`): a rescale and a
    /// LINEAR or LINEAR_EXACT window. Otherwise (SIGMOID, lookup tables) each entry is the reference's
    /// own value, so what tests compare for those is the table's indexing and application (fields,
    /// sign, inversion), not two formulas.
    var windowedFastPath: (slope: Double, intercept: Double, window: Window)? {
        guard case .rescale(let slope, let intercept) = modality, case .window(let window) = voi,
            window.function != .sigmoid, slope != 0, slope.isFinite, intercept.isFinite
        else { return nil }
        return (slope, intercept, window)
    }

    /// LINEAR / LINEAR_EXACT over rescaled values. Only entries inside the window are computed (eight
    /// lanes at a time, with the same Double operations in the same order as the reference, so every
    /// lane rounds as the reference does); below and above it the table is constant. The two edges are
    /// found by binary search with the reference's own comparison, which is monotonic in the stored
    /// value because IEEE rounding is, so the result is exact by construction.
    private func fillWindowed(_ table: UnsafeMutableBufferPointer<UInt8>, slope: Double, intercept: Double, window: Window) {
        typealias Lanes = SIMD8<Double>
        let c = window.center
        let w = window.width
        let exact = window.function == .linearExact
        let lower = exact ? c - w / 2 : c - 0.5 - (w - 1) / 2
        let upper = exact ? c + w / 2 : c - 0.5 + (w - 1) / 2
        let origin = exact ? c : c - 0.5
        let span = exact ? w : w - 1
        let count = table.count
        let range = decoder.valueRange
        let (black, white): (UInt8, UInt8) = inverted ? (255, 0) : (0, 255)
        func field(of value: Int64) -> Int { Int(value < 0 ? value + Int64(count) : value) }
        func modality(_ value: Int64) -> Double { Double(value) * slope + intercept }

        // Walk stored values in the order that makes x rise: ascending for positive slopes.
        let ascending = slope > 0
        let first = ascending ? range.lowerBound : range.upperBound
        let step: Int64 = ascending ? 1 : -1
        let total = range.upperBound - range.lowerBound + 1
        /// The number of steps from `first` before `predicate` becomes true (predicate is monotonic).
        func boundary(_ predicate: (Double) -> Bool) -> Int64 {
            var low: Int64 = 0
            var high = total
            while low < high {
                let middle = (low + high) / 2
                if predicate(modality(first + middle * step)) { high = middle } else { low = middle + 1 }
            }
            return low
        }
        let belowCount = boundary { $0 > lower }  // values with x ≤ lower
        let insideEnd = boundary { $0 > upper }  // values with x ≤ upper
        /// Fills the entries of stored values first + from·step … first + (to − 1)·step: at most two
        /// contiguous runs of fields (negative values sit above the positive ones).
        func fill(steps from: Int64, _ to: Int64, with value: UInt8) {
            guard from < to else { return }
            let a = first + from * step
            let b = first + (to - 1) * step
            let (low, high) = (min(a, b), max(a, b))
            for (runLow, runHigh) in [(low, min(high, -1)), (max(low, 0), high)] where runLow <= runHigh {
                let start = field(of: runLow)
                UnsafeMutableBufferPointer(rebasing: table[start...(start + Int(runHigh - runLow))]).update(repeating: value)
            }
        }
        fill(steps: 0, belowCount, with: black)
        fill(steps: insideEnd, total, with: white)
        // Inside the window: SIMD over runs of eight stored values.
        var index = belowCount
        let iota = Lanes(0, 1, 2, 3, 4, 5, 6, 7) * Double(step)
        while index < insideEnd {
            let lanes = Int(min(8, insideEnd - index))
            let base = first + index * step
            let x = (iota + Lanes(repeating: Double(base))) * slope + intercept
            var y = ((x - origin) / span + 0.5) * 255
            y = (y + 0.5).rounded(.down)
            // `.!(y .>= 0)` also catches NaN lanes, which the reference's quantize maps to 0.
            y.replace(with: 0, where: .!(y .>= 0))
            y.replace(with: 255, where: y .> 255)
            if inverted { y = 255 - y }
            for lane in 0..<lanes { table[field(of: base + Int64(lane) * step)] = UInt8(y[lane]) }
            index += Int64(lanes)
        }
    }

    /// Maps a single-sample frame to 8-bit display values in one pass.
    public func apply(to frame: PixelFrame) -> [UInt8] {
        let count = frame.format.pixelCount
        guard usesLookupTable else {
            var output = [UInt8](repeating: 0, count: count)
            frame.forEachRawSample { index, raw in output[index] = referenceDisplayValue(raw: raw) }
            return output
        }
        let table = makeLookupTable()
        return Self.applyLookupTable(table, to: frame, decoder: decoder)
    }

    /// The vectorisable inner loop: gather from the table by masked field.
    public static func applyLookupTable(_ table: [UInt8], to frame: PixelFrame, decoder: StoredValueDecoder) -> [UInt8] {
        let count = frame.format.pixelCount
        let shift = UInt32(decoder.shift)
        let mask = decoder.mask
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            table.withUnsafeBufferPointer { table in
                frame.bytes.withUnsafeBytes { raw in
                    switch frame.format.bitsAllocated {
                    case 8:
                        let samples = raw.bindMemory(to: UInt8.self)
                        for index in 0..<count { output[index] = table[Int((UInt32(samples[index]) >> shift) & mask)] }
                    case 16:
                        let samples = raw.bindMemory(to: UInt16.self)
                        let mask16 = UInt16(truncatingIfNeeded: mask)
                        let shift16 = UInt16(shift)
                        // Unrolled by eight: the gather does not vectorise, but independent loads overlap.
                        var index = 0
                        while index + 8 <= count {
                            let a0 = samples[index] >> shift16 & mask16
                            let a1 = samples[index + 1] >> shift16 & mask16
                            let a2 = samples[index + 2] >> shift16 & mask16
                            let a3 = samples[index + 3] >> shift16 & mask16
                            let a4 = samples[index + 4] >> shift16 & mask16
                            let a5 = samples[index + 5] >> shift16 & mask16
                            let a6 = samples[index + 6] >> shift16 & mask16
                            let a7 = samples[index + 7] >> shift16 & mask16
                            output[index] = table[Int(a0)]
                            output[index + 1] = table[Int(a1)]
                            output[index + 2] = table[Int(a2)]
                            output[index + 3] = table[Int(a3)]
                            output[index + 4] = table[Int(a4)]
                            output[index + 5] = table[Int(a5)]
                            output[index + 6] = table[Int(a6)]
                            output[index + 7] = table[Int(a7)]
                            index += 8
                        }
                        while index < count {
                            output[index] = table[Int(samples[index] >> shift16 & mask16)]
                            index += 1
                        }
                    case 32:
                        let samples = raw.bindMemory(to: UInt32.self)
                        for index in 0..<count { output[index] = table[Int((samples[index] >> shift) & mask)] }
                    default:
                        for index in 0..<count {
                            output[index] = table[Int((UInt32(raw[index >> 3] >> UInt8(index & 7)) & 1) & mask)]
                        }
                    }
                }
            }
            initialized = count
        }
    }
}

extension PixelFrame {
    /// The smallest and largest stored value of a single-sample frame, or nil for an empty frame.
    public func storedValueRange() -> ClosedRange<Int64>? {
        guard format.pixelCount > 0 else { return nil }
        let decoder = StoredValueDecoder(format)
        var low = Int64.max
        var high = Int64.min
        if format.bitsAllocated == 16 && decoder.bitsStored <= 16 {
            // Fast path for the common case: a min/max over fields, then sign handling once per bucket.
            var seen = [Bool](repeating: false, count: 1 << decoder.bitsStored)
            let shift = UInt16(decoder.shift)
            let mask = UInt16(truncatingIfNeeded: decoder.mask)
            bytes.withUnsafeBytes { raw in
                let samples = raw.bindMemory(to: UInt16.self)
                seen.withUnsafeMutableBufferPointer { seen in
                    for index in 0..<format.pixelCount { seen[Int((samples[index] >> shift) & mask)] = true }
                }
            }
            for (field, present) in seen.enumerated() where present {
                let value = decoder.value(ofField: UInt32(field))
                low = min(low, value)
                high = max(high, value)
            }
        } else {
            forEachRawSample { _, raw in
                let value = decoder.value(raw)
                low = min(low, value)
                high = max(high, value)
            }
        }
        return low...high
    }
}
