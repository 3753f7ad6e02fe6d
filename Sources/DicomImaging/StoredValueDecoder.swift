/// Turns the raw bits of one sample into its stored value (PS3.5 8.1.1): the Bits Stored field ending at
/// High Bit, with anything else in the allocated bits (overlays, junk) masked off, sign-extended when
/// Pixel Representation is 1.
public struct StoredValueDecoder: Sendable, Equatable {
    public let bitsStored: Int
    public let isSigned: Bool
    /// Right shift that brings the low stored bit to bit 0.
    public let shift: Int
    public let mask: UInt32

    public init(bitsStored: Int, highBit: Int, isSigned: Bool) {
        precondition((1...32).contains(bitsStored) && highBit + 1 >= bitsStored && highBit < 32)
        self.bitsStored = bitsStored
        self.isSigned = isSigned
        self.shift = highBit + 1 - bitsStored
        self.mask = bitsStored == 32 ? .max : (UInt32(1) << UInt32(bitsStored)) - 1
    }

    public init(_ format: PixelFormat) {
        self.init(bitsStored: format.bitsStored, highBit: format.highBit, isSigned: format.isSigned)
    }

    /// The masked field, before sign extension: what a lookup table is indexed by.
    @inline(__always)
    public func field(_ raw: UInt32) -> UInt32 { (raw >> UInt32(shift)) & mask }

    /// The stored value of a field.
    @inline(__always)
    public func value(ofField field: UInt32) -> Int64 {
        guard isSigned, bitsStored < 64 else { return Int64(field) }
        let signBit = UInt32(1) << UInt32(bitsStored - 1)
        return field & signBit != 0 ? Int64(field) - (Int64(1) << Int64(bitsStored)) : Int64(field)
    }

    @inline(__always)
    public func value(_ raw: UInt32) -> Int64 { value(ofField: field(raw)) }

    /// The range stored values can take.
    public var valueRange: ClosedRange<Int64> {
        isSigned
            ? -(Int64(1) << Int64(bitsStored - 1))...((Int64(1) << Int64(bitsStored - 1)) - 1)
            : 0...((Int64(1) << Int64(bitsStored)) - 1)
    }
}

extension PixelFrame {
    /// Calls `body` with the raw sample at each index of a single-sample frame, as an unsigned 32-bit word.
    @inlinable
    public func forEachRawSample(_ body: (Int, UInt32) -> Void) {
        let count = format.pixelCount
        bytes.withUnsafeBytes { raw in
            switch format.bitsAllocated {
            case 1:
                for index in 0..<count { body(index, UInt32((raw[index >> 3] >> UInt8(index & 7)) & 1)) }
            case 8:
                for index in 0..<count { body(index, UInt32(raw[index])) }
            case 16:
                let words = raw.bindMemory(to: UInt16.self)
                for index in 0..<count { body(index, UInt32(words[index])) }
            default:
                let words = raw.bindMemory(to: UInt32.self)
                for index in 0..<count { body(index, words[index]) }
            }
        }
    }
}
