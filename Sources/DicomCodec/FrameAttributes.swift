import DicomImaging
import DicomWeb

/// Reads the presentation attributes of one frame from a dataset (PS3.3 C.11, C.7.6.16).
public enum FrameAttributes {
    /// Rescale, Modality LUT, windows and VOI LUTs that apply to frame `number` (1-based). For enhanced
    /// multi-frame objects the frame's Per-Frame Functional Groups win over the Shared ones, which win
    /// over top-level attributes.
    public static func greyscale(_ dataSet: DicomDataSet, frame number: Int, isSigned: Bool) -> GreyscaleAttributes {
        var sources = [dataSet]
        if let shared = dataSet.items(.sharedFunctionalGroupsSequence).first { sources.append(shared) }
        let perFrame = dataSet.items(.perFrameFunctionalGroupsSequence)
        if number >= 1 && number <= perFrame.count { sources.append(perFrame[number - 1]) }

        var attributes = GreyscaleAttributes()
        for source in sources {
            // In functional groups the attributes sit one sequence deeper.
            let transformation = source.items(.pixelValueTransformationSequence).first ?? source
            if let slope = transformation.number(.rescaleSlope), let intercept = transformation.number(.rescaleIntercept),
                slope.isFinite, intercept.isFinite, slope != 0
            {
                attributes.modality = .rescale(slope: slope, intercept: intercept)
            }
            if let table = source.items(.modalityLUTSequence).first.flatMap({ lookupTable($0, isSigned: isSigned) }) {
                attributes.modality = .lookupTable(table)
            }
            let voi = source.items(.frameVOILUTSequence).first ?? source
            let windows = windows(voi)
            if !windows.isEmpty { attributes.windows = windows }
            let tables = source.items(.voiLUTSequence).compactMap { lookupTable($0, isSigned: isSigned) }
            if !tables.isEmpty { attributes.voiLookupTables = tables }
        }
        return attributes
    }

    /// Window Center/Width pairs with the VOI LUT Function (LINEAR when absent or unknown).
    public static func windows(_ dataSet: DicomDataSet) -> [Window] {
        let centers = dataSet.numbers(.windowCenter)
        let widths = dataSet.numbers(.windowWidth)
        let function = dataSet.string(.voiLUTFunction).flatMap(VOIFunction.init(name:)) ?? .linear
        return zip(centers, widths).map { Window(center: $0, width: $1, function: function) }
    }

    /// A Modality or VOI LUT item: LUT Descriptor (count, first mapped, bits) and LUT Data.
    public static func lookupTable(_ item: DicomDataSet, isSigned: Bool) -> LookupTable? {
        lookupTable(descriptor: item[.lutDescriptor], data: item[.lutData], isSigned: isSigned)
    }

    static func lookupTable(descriptor: DicomElement?, data: DicomElement?, isSigned: Bool) -> LookupTable? {
        guard let descriptor, case .binary(let descriptorBytes) = descriptor.value, descriptorBytes.count >= 6,
            let data, case .binary(let bytes) = data.value, !bytes.isEmpty
        else { return nil }
        let words = BinaryValues.read(descriptorBytes, as: UInt16.self)
        let count = words[0] == 0 ? 65_536 : Int(words[0])
        // The first mapped value is signed when the pixel values it maps are (C.11.1.1.1).
        let firstMapped = isSigned ? Int64(Int16(bitPattern: words[1])) : Int64(words[1])
        let bits = Int(words[2])
        guard (1...16).contains(bits) else { return nil }
        let entries: [UInt32]
        if bytes.count >= count * 2 {
            entries = BinaryValues.read(bytes, as: UInt16.self).prefix(count).map(UInt32.init)
        } else if bytes.count >= count && bits <= 8 {
            // 8-bit entries packed two per word (seen in palettes).
            entries = bytes.prefix(count).map(UInt32.init)
        } else {
            return nil
        }
        let mask = (UInt32(1) << UInt32(bits)) - 1
        return LookupTable(firstMapped: firstMapped, bitsPerEntry: bits, entries: entries.map { $0 & mask })
    }

    /// The Red/Green/Blue Palette Color Lookup Tables (plain or segmented), or nil when absent or unusable.
    public static func palette(_ dataSet: DicomDataSet) -> Palette? {
        func channel(_ descriptor: DicomTag, _ data: DicomTag, _ segmented: DicomTag) -> LookupTable? {
            if let table = lookupTable(descriptor: dataSet[descriptor], data: dataSet[data], isSigned: false) { return table }
            return segmentedLookupTable(descriptor: dataSet[descriptor], data: dataSet[segmented])
        }
        guard let red = channel(.redPaletteDescriptor, .redPaletteData, .segmentedRedPaletteData),
            let green = channel(.greenPaletteDescriptor, .greenPaletteData, .segmentedGreenPaletteData),
            let blue = channel(.bluePaletteDescriptor, .bluePaletteData, .segmentedBluePaletteData)
        else { return nil }
        return Palette(red: red, green: green, blue: blue)
    }

    /// Expands Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2): discrete (0), linear (1) and
    /// indirect (2) segments of 16-bit words. Nil when the segments are malformed.
    static func segmentedLookupTable(descriptor: DicomElement?, data: DicomElement?) -> LookupTable? {
        guard let descriptor, case .binary(let descriptorBytes) = descriptor.value, descriptorBytes.count >= 6,
            let data, case .binary(let bytes) = data.value
        else { return nil }
        let header = BinaryValues.read(descriptorBytes, as: UInt16.self)
        let count = header[0] == 0 ? 65_536 : Int(header[0])
        let bits = Int(header[2])
        guard (1...16).contains(bits) else { return nil }
        let words = BinaryValues.read(bytes, as: UInt16.self).map(Int.init)
        var entries: [Int] = []
        // Segment start positions in `words`, for indirect segments that replay earlier ones.
        func expand(from start: Int, end: Int, depth: Int) -> Bool {
            var position = start
            while position + 1 < end {
                let type = words[position]
                let length = words[position + 1]
                switch type {
                case 0:
                    guard position + 2 + length <= end else { return false }
                    entries += words[(position + 2)..<(position + 2 + length)]
                    position += 2 + length
                case 1:
                    guard position + 2 < end, let previous = entries.last else { return false }
                    let target = words[position + 2]
                    for step in 1...max(length, 1) where length > 0 {
                        entries.append(previous + Int((Double(target - previous) * Double(step) / Double(length)).rounded()))
                    }
                    position += 3
                case 2:
                    guard depth == 0, position + 3 < end else { return false }
                    let offset = words[position + 2] | words[position + 3] << 16
                    var segment = offset
                    var copied = 0
                    while copied < length && segment + 1 < words.count {
                        let before = segment
                        let size = words[segment] == 0 ? 2 + words[segment + 1] : words[segment] == 1 ? 3 : 4
                        guard expand(from: before, end: min(words.count, before + size), depth: depth + 1) else { return false }
                        segment += size
                        copied += 1
                    }
                    position += 4
                default:
                    return false
                }
                if entries.count > count { return false }
            }
            return true
        }
        guard expand(from: 0, end: words.count, depth: 0), !entries.isEmpty else { return nil }
        let firstMapped = Int64(header[1])
        let mask = (1 << bits) - 1
        return LookupTable(firstMapped: firstMapped, bitsPerEntry: bits, entries: entries.map { UInt32($0 & mask) })
    }
}
