/// Stored values → modality values (PS3.3 C.11.1): Rescale Slope/Intercept, or a Modality LUT.
public enum ModalityTransform: Sendable, Equatable {
    case rescale(slope: Double, intercept: Double)
    case lookupTable(LookupTable)

    public static let identity = ModalityTransform.rescale(slope: 1, intercept: 0)

    @inline(__always)
    public func apply(_ storedValue: Int64) -> Double {
        switch self {
        case .rescale(let slope, let intercept): Double(storedValue) * slope + intercept
        case .lookupTable(let table): Double(table.lookUp(storedValue))
        }
    }
}
