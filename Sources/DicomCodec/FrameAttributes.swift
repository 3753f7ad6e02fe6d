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
        let centers = dataSet.numbers(.windowCenter), widths = dataSet.numbers(.windowWidth)
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

    /// The Red/Green/Blue Palette Color Lookup Tables, or nil when absent or unusable.
    public static func palette(_ dataSet: DicomDataSet) -> Palette? {
        guard let red = lookupTable(descriptor: dataSet[.redPaletteDescriptor], data: dataSet[.redPaletteData], isSigned: false),
            let green = lookupTable(descriptor: dataSet[.greenPaletteDescriptor], data: dataSet[.greenPaletteData], isSigned: false),
            let blue = lookupTable(descriptor: dataSet[.bluePaletteDescriptor], data: dataSet[.bluePaletteData], isSigned: false)
        else { return nil }
        return Palette(red: red, green: green, blue: blue)
    }
}
