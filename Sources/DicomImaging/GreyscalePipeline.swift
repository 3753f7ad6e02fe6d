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
            if case .rescale(let slope, let intercept) = modality, case .window(let window) = voi,
                window.function != .sigmoid, count >= 16
            {
                fillWindowed(table, slope: slope, intercept: intercept, window: window)
            } else {
                for field in 0..<count { table[field] = referenceDisplayValue(raw: UInt32(field) << UInt32(decoder.shift)) }
            }
        }
        return table
    }

    /// LINEAR / LINEAR_EXACT over rescaled values, eight lanes at a time. The same Double operations in
    /// the same order as the reference, so every lane rounds exactly as the reference does.
    private func fillWindowed(_ table: UnsafeMutableBufferPointer<UInt8>, slope: Double, intercept: Double, window: Window) {
        typealias Lanes = SIMD8<Double>
        let c = window.center, w = window.width
        let exact = window.function == .linearExact
        let lower = exact ? c - w / 2 : c - 0.5 - (w - 1) / 2
        let upper = exact ? c + w / 2 : c - 0.5 + (w - 1) / 2
        let origin = exact ? c : c - 0.5
        let span = exact ? w : w - 1
        let count = table.count, half = count / 2
        let iota = Lanes(0, 1, 2, 3, 4, 5, 6, 7)
        var base = 0
        while base < count {
            // Chunks never straddle the sign boundary: fields ≥ half are negative when signed.
            let firstValue = decoder.isSigned && base >= half ? base - count : base
            let x = (iota + Lanes(repeating: Double(firstValue))) * slope + intercept
            var y = ((x - origin) / span + 0.5) * 255
            y = (y + 0.5).rounded(.down)
            y.replace(with: 0, where: y .< 0)
            y.replace(with: 255, where: y .> 255)
            y.replace(with: 0, where: x .<= lower)
            y.replace(with: 255, where: x .> upper)
            if inverted { y = 255 - y }
            for lane in 0..<8 { table[base + lane] = UInt8(y[lane]) }
            base += 8
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
        let shift = UInt32(decoder.shift), mask = decoder.mask
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            table.withUnsafeBufferPointer { table in
                frame.bytes.withUnsafeBytes { raw in
                    switch frame.format.bitsAllocated {
                    case 8:
                        let samples = raw.bindMemory(to: UInt8.self)
                        for index in 0..<count { output[index] = table[Int((UInt32(samples[index]) >> shift) & mask)] }
                    case 16:
                        let samples = raw.bindMemory(to: UInt16.self)
                        if shift == 0 && mask == 0xFFFF {
                            for index in 0..<count { output[index] = table[Int(samples[index])] }
                        } else {
                            let mask16 = UInt16(truncatingIfNeeded: mask), shift16 = UInt16(shift)
                            for index in 0..<count { output[index] = table[Int((samples[index] >> shift16) & mask16)] }
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
        var low = Int64.max, high = Int64.min
        if format.bitsAllocated == 16 && decoder.bitsStored <= 16 {
            // Fast path for the common case: a min/max over fields, then sign handling once per bucket.
            var seen = [Bool](repeating: false, count: 1 << decoder.bitsStored)
            let shift = UInt16(decoder.shift), mask = UInt16(truncatingIfNeeded: decoder.mask)
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
