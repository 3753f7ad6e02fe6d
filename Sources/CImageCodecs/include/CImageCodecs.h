/*
 * CImageCodecs: PNG (libpng, or our own writer around ISA-L / libdeflate) and JPEG (libturbojpeg) encoders
 * writing into a growable buffer.
 * libpng's setjmp/longjmp error handling stays inside png.c; no Swift frame is ever jumped over.
 */
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cimg_status {
    CIMG_OK = 0,
    CIMG_ERR_ARGUMENT,       ///< bad dimensions, channel count, quality or options
    CIMG_ERR_OUT_OF_MEMORY,
    CIMG_ERR_ENCODER,        ///< the library reported an error; see the message
} cimg_status;

/// Encoded bytes, allocated with malloc. Release with cimg_buffer_free.
typedef struct cimg_buffer {
    uint8_t *data;
    size_t size;
    size_t capacity;
} cimg_buffer;

void cimg_buffer_free(cimg_buffer *buffer);

/// PNG row filters (PNG spec §9). ADAPTIVE lets libpng choose per row among all five.
typedef enum cimg_png_filter {
    CIMG_PNG_FILTER_NONE = 0,
    CIMG_PNG_FILTER_SUB,
    CIMG_PNG_FILTER_UP,
    CIMG_PNG_FILTER_AVERAGE,
    CIMG_PNG_FILTER_PAETH,
    CIMG_PNG_FILTER_ADAPTIVE,
} cimg_png_filter;

/// zlib strategies (zlib.h): DEFAULT, FILTERED, HUFFMAN_ONLY, RLE.
typedef enum cimg_zlib_strategy {
    CIMG_ZLIB_DEFAULT = 0,
    CIMG_ZLIB_FILTERED,
    CIMG_ZLIB_HUFFMAN_ONLY,
    CIMG_ZLIB_RLE,
} cimg_zlib_strategy;

typedef struct cimg_png_options {
    int compression_level;       ///< 0–9
    cimg_png_filter filter;
    cimg_zlib_strategy strategy;
} cimg_png_options;

/// Encodes 8-bit grey (channels 1) or RGB (channels 3) pixels. `row_stride` is in bytes.
cimg_status cimg_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels,
                            size_t row_stride, const cimg_png_options *options, cimg_buffer *out,
                            char *message, size_t message_capacity);

/// The deflate implementations cimg_png_write can use.
typedef enum cimg_deflater {
    CIMG_DEFLATER_ISAL = 0,    ///< Intel ISA-L igzip, levels 0–3: the fastest by far
    CIMG_DEFLATER_LIBDEFLATE,  ///< libdeflate, levels 1–12: smaller output for more time
} cimg_deflater;

typedef struct cimg_png_writer_options {
    cimg_deflater deflater;
    int level;                 ///< ISA-L 0–3, libdeflate 1–12
    cimg_png_filter filter;    ///< one filter for every row; ADAPTIVE is refused (libpng's encoder has it)
} cimg_png_writer_options;

/// Encodes 8-bit grey (channels 1) or RGB (channels 3) pixels as PNG with the container written here
/// and the deflate done by ISA-L or libdeflate. `out` is reused: its size is reset, its memory kept.
/// Scratch memory is per thread and reused between calls; safe to call from any number of threads.
cimg_status cimg_png_write(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels,
                           size_t row_stride, const cimg_png_writer_options *options, cimg_buffer *out,
                           char *message, size_t message_capacity);

/// A libturbojpeg compressor bound to one configuration for its whole life: libturbojpeg 2.1.5
/// corrupts a baseline encode made on a handle that earlier made a progressive one. Not thread-safe.
typedef struct cimg_jpeg_encoder cimg_jpeg_encoder;

/// `progressive` 0 or 1; `subsampling` 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0 (ignored for grey).
cimg_jpeg_encoder *cimg_jpeg_encoder_create(int progressive, int subsampling);
void cimg_jpeg_encoder_destroy(cimg_jpeg_encoder *encoder);

/// `quality` 1–100.
cimg_status cimg_jpeg_encode(cimg_jpeg_encoder *encoder, const uint8_t *pixels, uint32_t width, uint32_t height,
                             uint32_t channels, size_t row_stride, int quality, cimg_buffer *out,
                             char *message, size_t message_capacity);

/// glibc's mmap and trim thresholds (mallopt); see AllocatorTuning in DicomCodec. A no-op elsewhere.
void cimg_set_allocator_thresholds(int mmap_threshold, int trim_threshold);

/* ---- Decoding, for verification (tests, benchmarks, checking what was served) ------------------ */

/// Reads a PNG's size and channels (1 grey, 3 RGB; alpha is dropped by cimg_png_decode).
cimg_status cimg_png_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height, uint32_t *channels);

/// Decodes a PNG into 8-bit samples with `channels` (1 or 3) per pixel, rows packed.
cimg_status cimg_png_decode(const uint8_t *data, size_t size, uint32_t channels, uint8_t *pixels, size_t capacity);

/// Reads a JPEG's size; `channels` is 1 for greyscale JPEGs, else 3.
cimg_status cimg_jpeg_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height, uint32_t *channels);

/// Decodes a JPEG into 8-bit samples with `channels` (1 or 3) per pixel, rows packed.
cimg_status cimg_jpeg_decode(const uint8_t *data, size_t size, uint32_t channels, uint8_t *pixels, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* CIMAGECODECS_H */
