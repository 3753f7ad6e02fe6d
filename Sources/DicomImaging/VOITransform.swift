/// Modality values → display values 0…255.
public enum VOITransform: Sendable, Equatable {
    case window(Window)
    case lookupTable(LookupTable)

    /// The window this transform is, or for a VOI LUT the LINEAR window spanning its input range (the
    /// values it maps), which is where a viewer's window/level drag starts from.
    public var equivalentWindow: Window {
        switch self {
        case .window(let window): return window
        case .lookupTable(let table):
            let low = Double(table.firstMapped)
            let high = low + Double(table.entries.count - 1)
            return Window(center: (low + high) / 2 + 0.5, width: high - low + 1, function: .linear)
        }
    }

    /// The reference mapping: the standard's formulas, one branch per case, in Double. Every fast path
    /// must produce exactly this (tests check every input value).
    public func referenceDisplayValue(_ x: Double) -> UInt8 {
        switch self {
        case .window(let window):
            let c = window.center
            let w = window.width
            switch window.function {
            case .linear:
                if x <= c - 0.5 - (w - 1) / 2 { return 0 }
                if x > c - 0.5 + (w - 1) / 2 { return 255 }
                return Self.quantize(((x - (c - 0.5)) / (w - 1) + 0.5) * 255)
            case .linearExact:
                if x <= c - w / 2 { return 0 }
                if x > c + w / 2 { return 255 }
                return Self.quantize(((x - c) / w + 0.5) * 255)
            case .sigmoid:
                return Self.quantize(255 / (1 + Self.exponential(-4 * (x - c) / w)))
            }
        case .lookupTable(let table):
            // VOI LUT input is the modality value; non-integer values fall to the entry below.
            let entry = table.lookUp(Self.lookupInput(x))
            return Self.quantize(Double(entry) * 255 / Double(table.maximumEntry))
        }
    }

    /// Round half up, clamped to 0…255: the same expression in every path so results agree bit for bit.
    /// Total: NaN (which no comparison admits) maps to 0 rather than reaching the trapping conversion.
    @inline(__always)
    static func quantize(_ y: Double) -> UInt8 {
        let rounded = (y + 0.5).rounded(.down)
        guard rounded > 0 else { return 0 }
        return rounded >= 255 ? 255 : UInt8(rounded)
    }

    /// A modality value as a lookup-table input: rounded down and saturated to the range `LookupTable`
    /// clamps to anyway, so infinities and NaN (mapped to the first entry) never reach `Int64(_:)`.
    @inline(__always)
    static func lookupInput(_ x: Double) -> Int64 {
        guard x > -0x1p52 else { return -(1 << 52) }
        guard x < 0x1p52 else { return 1 << 52 }
        return Int64(x.rounded(.down))
    }

    /// e^x with the standard library only (DicomImaging imports nothing): Cody–Waite range reduction
    /// to x = k·ln2 + r, |r| ≤ ln2/2 (ln2 split in two so k·ln2 is exact), then a Taylor series.
    static func exponential(_ x: Double) -> Double {
        if x > 709 { return .infinity }
        if x < -745 { return 0 }
        let ln2High = 6.931_471_803_691_238_164_90e-01
        let ln2Low = 1.908_214_929_270_587_700_02e-10
        let k = (x / (ln2High + ln2Low)).rounded()
        let r = (x - k * ln2High) - k * ln2Low
        var term = 1.0
        var sum = 1.0
        for n in 1...20 {
            term *= r / Double(n)
            sum += term
        }
        return sum * Double(sign: .plus, exponent: Int(k), significand: 1)
    }
}
