// PNG written by hand around a fast deflate: ISA-L's igzip or libdeflate compress the filtered scanlines
// into one zlib stream; this file writes the container around it (PNG spec §5: signature, IHDR, IDAT,
// IEND, each chunk with its CRC-32). libpng's writer is tied to zlib, which was 46 % of the server's CPU
// on uncached renders; the container is 57 bytes of bookkeeping, the deflate is the work.
//
// Scratch memory (the filtered image, ISA-L's level buffer, libdeflate's compressors, the output) is kept
// per thread and reused, so a render thread does not fault in fresh megabytes for every image.
#include "CImageCodecs.h"
#include "buffer.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/// Scratch kept by a thread between encodes. Buffers above this size are released after use, so one
/// huge image does not pin its memory on a thread for the rest of the process's life.
#define CIMG_SCRATCH_RETAINED (24u << 20)
/// IDAT chunks are split at this size (a chunk length must stay below 2^31).
#define CIMG_IDAT_CHUNK (1u << 30)

enum { LIBDEFLATE_LEVELS = 13 };

typedef struct png_scratch {
    uint8_t *filtered;
    size_t filtered_capacity;
    uint8_t *level_buffer;
    size_t level_buffer_capacity;
    struct libdeflate_compressor *compressors[LIBDEFLATE_LEVELS];
    cimg_buffer deflated;
    /// ISA-L's stream state is 80 KB: too much for the stack of a Swift task's thread.
    struct isal_zstream *isal_stream;
} png_scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void release_scratch(void *pointer) {
    png_scratch *scratch = pointer;
    if (!scratch) return;
    free(scratch->filtered);
    free(scratch->level_buffer);
    for (int level = 0; level < LIBDEFLATE_LEVELS; ++level) libdeflate_free_compressor(scratch->compressors[level]);
    cimg_buffer_free(&scratch->deflated);
    free(scratch->isal_stream);
    free(scratch);
}

static void make_scratch_key(void) { (void)pthread_key_create(&scratch_key, release_scratch); }

static png_scratch *thread_scratch(void) {
    pthread_once(&scratch_once, make_scratch_key);
    png_scratch *scratch = pthread_getspecific(scratch_key);
    if (scratch) return scratch;
    scratch = calloc(1, sizeof *scratch);
    if (scratch && pthread_setspecific(scratch_key, scratch) != 0) {
        free(scratch);
        return NULL;
    }
    return scratch;
}

/// Grows `*buffer` to at least `size` bytes (contents not kept). 0 when memory runs out.
static int reserve(uint8_t **buffer, size_t *capacity, size_t size) {
    if (*capacity >= size) return 1;
    free(*buffer);
    *buffer = malloc(size);
    *capacity = *buffer ? size : 0;
    return *buffer != NULL;
}

static void trim_scratch(png_scratch *scratch) {
    if (scratch->filtered_capacity > CIMG_SCRATCH_RETAINED) {
        free(scratch->filtered);
        scratch->filtered = NULL;
        scratch->filtered_capacity = 0;
    }
    if (scratch->deflated.capacity > CIMG_SCRATCH_RETAINED) cimg_buffer_free(&scratch->deflated);
}

/* ---- Filters (PNG spec §9.2). Written as plain loops over the raw rows so compilers vectorise them. -- */

static void filter_sub(uint8_t *out, const uint8_t *row, size_t length, size_t bpp) {
    for (size_t x = 0; x < bpp; ++x) out[x] = row[x];
    for (size_t x = bpp; x < length; ++x) out[x] = (uint8_t)(row[x] - row[x - bpp]);
}

static void filter_up(uint8_t *out, const uint8_t *row, const uint8_t *above, size_t length) {
    for (size_t x = 0; x < length; ++x) out[x] = (uint8_t)(row[x] - above[x]);
}

static void filter_average(uint8_t *out, const uint8_t *row, const uint8_t *above, size_t length, size_t bpp) {
    for (size_t x = 0; x < bpp; ++x) out[x] = (uint8_t)(row[x] - (above[x] >> 1));
    for (size_t x = bpp; x < length; ++x) out[x] = (uint8_t)(row[x] - ((row[x - bpp] + above[x]) >> 1));
}

/// Paeth's predictor without branches: a (left), b (above), c (above left); ties prefer a, then b.
static void filter_paeth(uint8_t *out, const uint8_t *row, const uint8_t *above, size_t length, size_t bpp) {
    for (size_t x = 0; x < bpp; ++x) out[x] = (uint8_t)(row[x] - above[x]);
    for (size_t x = bpp; x < length; ++x) {
        int a = row[x - bpp], b = above[x], c = above[x - bpp];
        int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
        int predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
        out[x] = (uint8_t)(row[x] - predictor);
    }
}

/// Writes each row as its filter type byte followed by the filtered bytes. The first row has no row
/// above; PNG treats it as zeros, so Up becomes None, Average and Paeth become Sub-like (§9.2).
static void filter_image(uint8_t *out, const uint8_t *pixels, uint32_t height, size_t length, size_t stride,
                         size_t bpp, cimg_png_filter filter) {
    for (uint32_t y = 0; y < height; ++y) {
        const uint8_t *row = pixels + (size_t)y * stride;
        const uint8_t *above = y ? row - stride : NULL;
        uint8_t *line = out + (size_t)y * (length + 1);
        cimg_png_filter used = filter;
        // With no row above, Up and Paeth equal None and Sub; Average differs, so it keeps its own rule.
        if (!above && used == CIMG_PNG_FILTER_UP) used = CIMG_PNG_FILTER_NONE;
        if (!above && used == CIMG_PNG_FILTER_PAETH) used = CIMG_PNG_FILTER_SUB;
        line[0] = (uint8_t)(used == CIMG_PNG_FILTER_NONE      ? 0
                            : used == CIMG_PNG_FILTER_SUB     ? 1
                            : used == CIMG_PNG_FILTER_UP      ? 2
                            : used == CIMG_PNG_FILTER_AVERAGE ? 3
                                                              : 4);
        uint8_t *target = line + 1;
        switch (used) {
        case CIMG_PNG_FILTER_NONE: memcpy(target, row, length); break;
        case CIMG_PNG_FILTER_SUB: filter_sub(target, row, length, bpp); break;
        case CIMG_PNG_FILTER_UP: filter_up(target, row, above, length); break;
        case CIMG_PNG_FILTER_AVERAGE:
            if (above) {
                filter_average(target, row, above, length, bpp);
            } else {
                for (size_t x = 0; x < bpp; ++x) target[x] = row[x];
                for (size_t x = bpp; x < length; ++x) target[x] = (uint8_t)(row[x] - (row[x - bpp] >> 1));
            }
            break;
        case CIMG_PNG_FILTER_PAETH: filter_paeth(target, row, above, length, bpp); break;
        case CIMG_PNG_FILTER_ADAPTIVE: break; // refused before
        }
    }
}

/* ---- Deflate ---------------------------------------------------------------------------------------- */

static const uint32_t isal_level_buffer_sizes[] = {
    ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};

/// One zlib stream of `input` into `scratch->deflated`, by ISA-L (levels 0–3).
static cimg_status deflate_isal(png_scratch *scratch, const uint8_t *input, size_t size, int level) {
    size_t level_size = isal_level_buffer_sizes[level];
    if (!reserve(&scratch->level_buffer, &scratch->level_buffer_capacity, level_size)) return CIMG_ERR_OUT_OF_MEMORY;
    if (!scratch->isal_stream && !(scratch->isal_stream = malloc(sizeof *scratch->isal_stream))) return CIMG_ERR_OUT_OF_MEMORY;
    struct isal_zstream *stream = scratch->isal_stream;
    isal_deflate_init(stream);
    stream->level = (uint32_t)level;
    stream->level_buf = scratch->level_buffer;
    stream->level_buf_size = (uint32_t)level_size;
    stream->gzip_flag = IGZIP_ZLIB;
    stream->flush = NO_FLUSH;
    // isal_deflate_init leaves the buffer fields alone; the stream lives in reused memory.
    stream->next_in = NULL;
    stream->avail_in = 0;
    stream->end_of_stream = 0;
    cimg_buffer *out = &scratch->deflated;
    out->size = 0;
    // ISA-L takes 32-bit counts: feed the input in pieces; a guess at the output size, grown if short.
    size_t consumed = 0;
    size_t guess = size / 2 + 4096;
    if (out->capacity < guess) {
        uint8_t *grown = realloc(out->data, guess);
        if (!grown) return CIMG_ERR_OUT_OF_MEMORY;
        out->data = grown;
        out->capacity = guess;
    }
    for (;;) {
        if (stream->avail_in == 0 && consumed < size) {
            size_t piece = size - consumed > (1u << 30) ? (1u << 30) : size - consumed;
            stream->next_in = (uint8_t *)input + consumed;
            stream->avail_in = (uint32_t)piece;
            consumed += piece;
            stream->end_of_stream = consumed == size;
        }
        if (out->size == out->capacity) {
            if (out->capacity > SIZE_MAX / 2) return CIMG_ERR_OUT_OF_MEMORY;
            uint8_t *grown = realloc(out->data, out->capacity * 2);
            if (!grown) return CIMG_ERR_OUT_OF_MEMORY;
            out->data = grown;
            out->capacity *= 2;
        }
        size_t room = out->capacity - out->size;
        stream->next_out = out->data + out->size;
        stream->avail_out = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
        uint32_t before = stream->avail_out;
        if (isal_deflate(stream) != COMP_OK) return CIMG_ERR_ENCODER;
        out->size += before - stream->avail_out;
        if (stream->internal_state.state == ZSTATE_END) return CIMG_OK;
    }
}

/// One zlib stream of `input` into `scratch->deflated`, by libdeflate (levels 1–12).
static cimg_status deflate_libdeflate(png_scratch *scratch, const uint8_t *input, size_t size, int level) {
    if (!scratch->compressors[level]) scratch->compressors[level] = libdeflate_alloc_compressor(level);
    struct libdeflate_compressor *compressor = scratch->compressors[level];
    if (!compressor) return CIMG_ERR_OUT_OF_MEMORY;
    size_t bound = libdeflate_zlib_compress_bound(compressor, size);
    cimg_buffer *out = &scratch->deflated;
    if (out->capacity < bound) {
        uint8_t *grown = realloc(out->data, bound);
        if (!grown) return CIMG_ERR_OUT_OF_MEMORY;
        out->data = grown;
        out->capacity = bound;
    }
    out->size = libdeflate_zlib_compress(compressor, input, size, out->data, out->capacity);
    return out->size ? CIMG_OK : CIMG_ERR_ENCODER;
}

/* ---- Container -------------------------------------------------------------------------------------- */

static void put_u32(uint8_t *bytes, uint32_t value) {
    bytes[0] = (uint8_t)(value >> 24);
    bytes[1] = (uint8_t)(value >> 16);
    bytes[2] = (uint8_t)(value >> 8);
    bytes[3] = (uint8_t)value;
}

/// Appends one chunk: length, type, data, CRC-32 of type and data (PNG spec §5.3).
static int append_chunk(cimg_buffer *out, const char type[4], const uint8_t *data, size_t length) {
    uint8_t header[8];
    put_u32(header, (uint32_t)length);
    memcpy(header + 4, type, 4);
    uint32_t crc = libdeflate_crc32(0, type, 4);
    if (length) crc = libdeflate_crc32(crc, data, length);
    uint8_t trailer[4];
    put_u32(trailer, crc);
    return cimg_buffer_append(out, header, 8) && (length == 0 || cimg_buffer_append(out, data, length)) &&
           cimg_buffer_append(out, trailer, 4);
}

cimg_status cimg_png_write(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels,
                           size_t row_stride, const cimg_png_writer_options *options, cimg_buffer *out,
                           char *message, size_t message_capacity) {
    int level_ok = options && ((options->deflater == CIMG_DEFLATER_ISAL && options->level >= 0 && options->level <= 3) ||
                               (options->deflater == CIMG_DEFLATER_LIBDEFLATE && options->level >= 1 &&
                                options->level <= 12));
    // PNG limits width and height to 2^31 - 1 (§11.2.2); rows must fit in memory arithmetic.
    if (!pixels || !out || !level_ok || width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu ||
        (channels != 1 && channels != 3) || (size_t)width > (SIZE_MAX - 1) / channels / 2 ||
        row_stride < (size_t)width * channels || options->filter == CIMG_PNG_FILTER_ADAPTIVE ||
        options->filter > CIMG_PNG_FILTER_ADAPTIVE) {
        cimg_set_message(message, message_capacity, "invalid PNG writer arguments");
        return CIMG_ERR_ARGUMENT;
    }
    size_t length = (size_t)width * channels;
    if ((size_t)height > SIZE_MAX / (length + 1)) {
        cimg_set_message(message, message_capacity, "image too large");
        return CIMG_ERR_ARGUMENT;
    }
    png_scratch *scratch = thread_scratch();
    size_t filtered_size = (length + 1) * height;
    if (!scratch || !reserve(&scratch->filtered, &scratch->filtered_capacity, filtered_size)) {
        cimg_set_message(message, message_capacity, "out of memory");
        return CIMG_ERR_OUT_OF_MEMORY;
    }
    filter_image(scratch->filtered, pixels, height, length, row_stride, channels, options->filter);
    cimg_status status = options->deflater == CIMG_DEFLATER_ISAL
                             ? deflate_isal(scratch, scratch->filtered, filtered_size, options->level)
                             : deflate_libdeflate(scratch, scratch->filtered, filtered_size, options->level);
    if (status != CIMG_OK) {
        trim_scratch(scratch);
        cimg_set_message(message, message_capacity, status == CIMG_ERR_OUT_OF_MEMORY ? "out of memory" : "deflate failed");
        return status;
    }

    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t header[13];
    put_u32(header, width);
    put_u32(header + 4, height);
    header[8] = 8;                      // bit depth
    header[9] = channels == 1 ? 0 : 2;  // colour type: greyscale or truecolour
    header[10] = 0;                     // compression method: deflate
    header[11] = 0;                     // filter method: adaptive (per-row filter type byte)
    header[12] = 0;                     // no interlace
    const cimg_buffer *deflated = &scratch->deflated;
    size_t chunks = deflated->size / CIMG_IDAT_CHUNK + 1;
    size_t total = 8 + 25 + deflated->size + chunks * 12 + 12;
    out->size = 0;
    if (out->capacity < total) {
        uint8_t *grown = realloc(out->data, total);
        if (!grown) {
            trim_scratch(scratch);
            cimg_set_message(message, message_capacity, "out of memory");
            return CIMG_ERR_OUT_OF_MEMORY;
        }
        out->data = grown;
        out->capacity = total;
    }
    int ok = cimg_buffer_append(out, signature, 8) && append_chunk(out, "IHDR", header, 13);
    // A zlib stream is never empty (header and checksum), so there is at least one IDAT.
    for (size_t offset = 0; ok && offset < deflated->size; offset += CIMG_IDAT_CHUNK) {
        size_t piece = deflated->size - offset < CIMG_IDAT_CHUNK ? deflated->size - offset : CIMG_IDAT_CHUNK;
        ok = append_chunk(out, "IDAT", deflated->data + offset, piece);
    }
    ok = ok && append_chunk(out, "IEND", NULL, 0);
    trim_scratch(scratch);
    if (!ok) {
        cimg_set_message(message, message_capacity, "out of memory");
        return CIMG_ERR_OUT_OF_MEMORY;
    }
    if (message && message_capacity) message[0] = '\0';
    return CIMG_OK;
}
