import CDCMTK

/// Why a DICOM file could not be read, decoded or rendered. Each case is one kind of failure a caller
/// may handle differently; `message` says what exactly, in words a person understands.
public enum DicomError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case unreadable  // I/O: missing file, permission, not a regular file
        case empty
        case notDicom
        case truncated
        case corrupt
        case limitExceeded
        case missingAttribute
        case noPixelData
        case unsupportedTransferSyntax
        case unsupportedPixelFormat
        case frameOutOfRange
        case pixelDataTooShort
        case decodeFailed
        case invalidRenderParameters
        case encodeFailed
        case internalError
    }

    case failure(Kind, String)

    public var kind: Kind {
        switch self {
        case .failure(let kind, _): kind
        }
    }

    public var message: String {
        switch self {
        case .failure(_, let message): message
        }
    }

    public var description: String { message }

    init(status: dcmshim_status, message: String) {
        let kind: Kind =
            switch status {
            case DCMSHIM_ERR_IO: .unreadable
            case DCMSHIM_ERR_EMPTY: .empty
            case DCMSHIM_ERR_NOT_DICOM: .notDicom
            case DCMSHIM_ERR_TRUNCATED: .truncated
            case DCMSHIM_ERR_CORRUPT: .corrupt
            case DCMSHIM_ERR_LIMIT_EXCEEDED: .limitExceeded
            case DCMSHIM_ERR_MISSING_ATTRIBUTE: .missingAttribute
            case DCMSHIM_ERR_NO_PIXEL_DATA: .noPixelData
            case DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX: .unsupportedTransferSyntax
            case DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT: .unsupportedPixelFormat
            case DCMSHIM_ERR_FRAME_OUT_OF_RANGE: .frameOutOfRange
            case DCMSHIM_ERR_PIXEL_DATA_SHORT: .pixelDataTooShort
            case DCMSHIM_ERR_DECODE: .decodeFailed
            default: .internalError
            }
        let text = message.isEmpty ? String(cString: dcmshim_strerror(status)) : message
        self = .failure(kind, text)
    }
}
