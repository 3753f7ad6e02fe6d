/// The transfer syntax UIDs (PS3.5 §10, PS3.6 Annex A) that code names, not only looks up, defined once.
public enum TransferSyntaxUID {
    public static let implicitLittleEndian = "1.2.840.10008.1.2"
    public static let explicitLittleEndian = "1.2.840.10008.1.2.1"
    public static let deflatedExplicitLittleEndian = "1.2.840.10008.1.2.1.99"
    public static let explicitBigEndian = "1.2.840.10008.1.2.2"
}
