/// What the caller asks for: a window of its own, the object's own choice, or a min/max stretch.
public enum VOIRequest: Sendable, Equatable, Hashable {
    /// The file's first window (with its function), else its first VOI LUT, else min/max (PS3.3 C.11.2).
    case automatic
    case window(Window)
    case minMax
}

/// The greyscale attributes that apply to one frame: for enhanced multi-frame objects these come from
/// that frame's functional groups, never the first frame's for all.
public struct GreyscaleAttributes: Sendable, Equatable {
    public var modality: ModalityTransform
    public var windows: [Window]
    public var voiLookupTables: [LookupTable]

    public init(modality: ModalityTransform = .identity, windows: [Window] = [], voiLookupTables: [LookupTable] = []) {
        self.modality = modality
        self.windows = windows
        self.voiLookupTables = voiLookupTables
    }
}

extension GreyscaleAttributes {
    /// Whether `request` resolves to a window computed from the frame's values (min/max) rather than
    /// one named by the request or the object: then a frame decoded smaller would get another window.
    public func voiDependsOnPixelValues(_ request: VOIRequest) -> Bool {
        switch request {
        case .window: false
        case .minMax: true
        case .automatic: !windows.contains(where: \.isValid) && voiLookupTables.isEmpty
        }
    }

    /// Resolves a request against these attributes and the frame's values.
    public func voiTransform(for request: VOIRequest, frame: PixelFrame) throws(ImagingError) -> VOITransform {
        switch request {
        case .window(let window):
            guard window.isValid else { throw .invalidWindow(window) }
            return .window(window)
        case .automatic:
            if let window = windows.first(where: \.isValid) { return .window(window) }
            if let table = voiLookupTables.first { return .lookupTable(table) }
            return try .window(validMinMaxWindow(frame: frame))
        case .minMax:
            return try .window(validMinMaxWindow(frame: frame))
        }
    }

    /// The min/max window, refused when the modality values it spans are not finite numbers.
    func validMinMaxWindow(frame: PixelFrame) throws(ImagingError) -> Window {
        let window = minMaxWindow(frame: frame)
        guard window.isValid else {
            if case .rescale(let slope, let intercept) = modality { throw .unusableRescale(slope: slope, intercept: intercept) }
            throw .invalidWindow(window)
        }
        return window
    }

    /// A LINEAR window whose lower edge is the smallest modality value and upper edge the largest.
    public func minMaxWindow(frame: PixelFrame) -> Window {
        guard let stored = frame.storedValueRange() else { return Window(center: 0.5, width: 1) }
        let low: Double
        let high: Double
        switch modality {
        case .rescale:
            let a = modality.apply(stored.lowerBound)
            let b = modality.apply(stored.upperBound)
            (low, high) = (min(a, b), max(a, b))
        case .lookupTable(let table):
            // Only entries reachable from the frame's stored range count.
            let first = max(stored.lowerBound, table.firstMapped)
            let last = min(stored.upperBound, table.firstMapped + Int64(table.entries.count) - 1)
            var values = [table.lookUp(stored.lowerBound), table.lookUp(stored.upperBound)]
            if first <= last { values += table.entries[Int(first - table.firstMapped)...Int(last - table.firstMapped)] }
            (low, high) = (Double(values.min() ?? 0), Double(values.max() ?? 0))
        }
        return Window(center: (low + high) / 2 + 0.5, width: high - low + 1, function: .linear)
    }
}
