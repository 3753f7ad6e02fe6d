/*
 * CDCMTK: a small C API over DCMTK (parsing, JPEG / JPEG-LS / RLE codecs) and OpenJPEG (JPEG 2000).
 *
 * Shape (after libspng): limits are set before anything is read, every failure maps to exactly one
 * dcmshim_status, and pixel data is written into buffers the caller owns. No C++ type or exception
 * crosses this header.
 */
#ifndef CDCMTK_H
#define CDCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Every way an operation can fail. Stable: Swift maps each code to one `DicomError` case.
typedef enum dcmshim_status {
    DCMSHIM_OK = 0,
    DCMSHIM_ERR_IO,                      ///< the file could not be opened or read
    DCMSHIM_ERR_EMPTY,                   ///< zero bytes
    DCMSHIM_ERR_NOT_DICOM,               ///< no 128-byte preamble + "DICM" prefix
    DCMSHIM_ERR_TRUNCATED,               ///< the stream ends inside an element
    DCMSHIM_ERR_CORRUPT,                 ///< malformed encoding (bad lengths, broken sequences, wrong VR)
    DCMSHIM_ERR_LIMIT_EXCEEDED,          ///< larger than the limits the caller set
    DCMSHIM_ERR_MISSING_ATTRIBUTE,       ///< an attribute needed to decode pixels is absent or unusable
    DCMSHIM_ERR_NO_PIXEL_DATA,           ///< the object has no Pixel Data (7FE0,0010)
    DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX,
    DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT,///< e.g. Bits Allocated 12, 2 samples per pixel
    DCMSHIM_ERR_FRAME_OUT_OF_RANGE,
    DCMSHIM_ERR_PIXEL_DATA_SHORT,        ///< fewer pixel bytes than rows × columns × samples × frames need
    DCMSHIM_ERR_DECODE,                  ///< a codec rejected the compressed bitstream
    DCMSHIM_ERR_BUFFER_TOO_SMALL,
    DCMSHIM_ERR_OUT_OF_MEMORY,
    DCMSHIM_ERR_INTERNAL,
} dcmshim_status;

/// A short, static description of a status code.
const char *dcmshim_strerror(dcmshim_status status);

/// Limits checked before any large allocation. Zero means "use the default".
typedef struct dcmshim_limits {
    uint64_t max_file_bytes;   ///< default 4 GiB
    uint64_t max_frame_pixels; ///< rows × columns of one frame; default 2^28
    uint32_t max_frames;       ///< default 65 535
} dcmshim_limits;

typedef struct dcmshim_file dcmshim_file;

/// Opens and parses a DICOM Part 10 file. Pixel data stays on disk until a frame is decoded.
/// On failure `*out` is NULL and `message` holds a one-line reason (always NUL-terminated).
dcmshim_status dcmshim_open_file(const char *path, const dcmshim_limits *limits, dcmshim_file **out,
                                 char *message, size_t message_capacity);

void dcmshim_close(dcmshim_file *file);

/// The transfer syntax UID the dataset was encoded with (NUL-terminated, owned by the file).
const char *dcmshim_transfer_syntax(const dcmshim_file *file);

/* ---- Attribute walk ------------------------------------------------------------------------- */

typedef enum dcmshim_event {
    DCMSHIM_EVENT_ELEMENT = 0,     ///< a non-sequence element; `value` as described below
    DCMSHIM_EVENT_SEQUENCE_BEGIN,  ///< a sequence element; its items follow
    DCMSHIM_EVENT_ITEM_BEGIN,
    DCMSHIM_EVENT_ITEM_END,
    DCMSHIM_EVENT_SEQUENCE_END,
} dcmshim_event;

typedef struct dcmshim_element {
    uint16_t group;
    uint16_t element;
    char vr[3];             ///< two letters and NUL
    uint8_t is_string;      ///< value is text, values separated by backslashes, padding removed
    uint8_t is_bulk;        ///< value not read: pixel data or longer than the walk's bulk threshold
    uint32_t length;        ///< value length from the file; 0xFFFFFFFF for undefined (encapsulated)
    const void *value;      ///< text bytes, or binary values in host byte order; NULL when is_bulk
    size_t value_size;      ///< bytes at `value`
} dcmshim_element;

/// Return 0 to continue, anything else to stop the walk early.
typedef int (*dcmshim_visitor)(void *context, dcmshim_event event, const dcmshim_element *element);

/// Visits the file meta information (when `include_meta`) and then the dataset, depth first.
dcmshim_status dcmshim_walk(dcmshim_file *file, int include_meta, uint32_t bulk_threshold,
                            dcmshim_visitor visitor, void *context, char *message, size_t message_capacity);

/* ---- Pixel data ----------------------------------------------------------------------------- */

/// The layout of decoded frames. `photometric` is that of the decoded samples, which can differ from
/// the file's: JPEG codecs return YBR_FULL(_422) as RGB, JPEG 2000 returns YBR_ICT/YBR_RCT as RGB.
typedef struct dcmshim_frame_info {
    uint32_t rows;
    uint32_t columns;
    uint32_t samples_per_pixel;
    uint32_t bits_allocated;      ///< 1, 8, 16 or 32
    uint32_t bits_stored;
    uint32_t high_bit;
    uint32_t pixel_representation;///< 0 unsigned, 1 two's complement
    uint32_t planar_configuration;///< 0 colour-by-pixel, 1 colour-by-plane
    uint32_t number_of_frames;
    uint32_t is_encapsulated;
    uint64_t frame_bytes;         ///< bytes one decoded frame needs (1-bit frames: bits rounded up)
    char photometric[24];
} dcmshim_frame_info;

/// Reads the image pixel module and validates it against the limits. Does not touch pixel data.
dcmshim_status dcmshim_frame_info_get(dcmshim_file *file, dcmshim_frame_info *info,
                                      char *message, size_t message_capacity);

/// Decodes frame `frame_index` (0-based) into `buffer`: samples in host byte order at Bits Allocated
/// (1-bit frames packed LSB first from bit 0). `decoded` receives the layout of what was written.
dcmshim_status dcmshim_decode_frame(dcmshim_file *file, uint32_t frame_index, void *buffer,
                                    size_t capacity, dcmshim_frame_info *decoded,
                                    char *message, size_t message_capacity);

/// How a frame may be decoded. Zero for both is a full decode on the calling thread.
typedef struct dcmshim_decode_options {
    /// JPEG 2000 and HTJ2K only: wavelet levels to skip, each halving both dimensions (rounded up);
    /// clamped to the levels the codestream has. `decoded` says the size written.
    uint32_t resolution_reduction;
    /// JPEG 2000 (OpenJPEG) only: threads the decoder may use; 0 or 1 is the calling thread only.
    uint32_t threads;
} dcmshim_decode_options;

/// dcmshim_decode_frame with options; NULL options is a full decode.
dcmshim_status dcmshim_decode_frame_with(dcmshim_file *file, uint32_t frame_index,
                                         const dcmshim_decode_options *options, void *buffer, size_t capacity,
                                         dcmshim_frame_info *decoded, char *message, size_t message_capacity);

/// Transfer syntaxes a decoded frame can be encoded in (WADO-RS frames in a requested syntax).
typedef enum dcmshim_encoding {
    DCMSHIM_ENCODE_JPEGLS_LOSSLESS = 0,  ///< 1.2.840.10008.1.2.4.80, DCMTK's dcmjpls (CharLS)
    DCMSHIM_ENCODE_HTJ2K_LOSSLESS,       ///< 1.2.840.10008.1.2.4.201/.202 (RPCL), OpenJPH
    DCMSHIM_ENCODE_JPEG_BASELINE,        ///< 1.2.840.10008.1.2.4.50, DCMTK's dcmjpeg; 8-bit samples only, lossy
} dcmshim_encoding;

/// Encodes one decoded frame (`pixels`, laid out as `layout` says: 8- or 16-bit samples, colour-by-pixel,
/// as dcmshim_decode_frame returns them) as one compressed bitstream in `*out` (malloc'd; release with
/// dcmshim_free). `quality` (1–100) is for JPEG baseline only.
dcmshim_status dcmshim_encode_frame(const dcmshim_frame_info *layout, const void *pixels, size_t size,
                                    dcmshim_encoding target, int quality, uint8_t **out, size_t *out_size,
                                    char *message, size_t message_capacity);

/// Releases what dcmshim_encode_frame returned.
void dcmshim_free(void *bytes);

/// Copies the compressed bitstream of one frame of encapsulated pixel data (all its fragments,
/// concatenated) into `buffer`. With `buffer` NULL, only `*size` is set, to the bytes needed.
dcmshim_status dcmshim_encapsulated_frame(dcmshim_file *file, uint32_t frame_index, void *buffer,
                                          size_t *size, char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif /* CDCMTK_H */
