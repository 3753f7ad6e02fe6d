// PNG encoding with libpng. Every png_* call and the setjmp that catches its errors live in this one
// function, so a longjmp never crosses a frame outside it.
#include "CImageCodecs.h"
#include "buffer.h"

#include <png.h>
#include <zlib.h>

typedef struct png_sink {
    cimg_buffer *out;
    int failed;
} png_sink;

static void write_to_sink(png_structp png, png_bytep data, png_size_t length) {
    png_sink *sink = png_get_io_ptr(png);
    if (!cimg_buffer_append(sink->out, data, length)) {
        sink->failed = 1;
        png_error(png, "out of memory");
    }
}

static void flush_sink(png_structp png) { (void)png; }

static void record_error(png_structp png, png_const_charp text) {
    char *message = png_get_error_ptr(png);
    if (message) cimg_set_message(message, 128, text);
    png_longjmp(png, 1);
}

static void ignore_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static int filter_flags(cimg_png_filter filter) {
    switch (filter) {
    case CIMG_PNG_FILTER_NONE: return PNG_FILTER_NONE;
    case CIMG_PNG_FILTER_SUB: return PNG_FILTER_SUB;
    case CIMG_PNG_FILTER_UP: return PNG_FILTER_UP;
    case CIMG_PNG_FILTER_AVERAGE: return PNG_FILTER_AVG;
    case CIMG_PNG_FILTER_PAETH: return PNG_FILTER_PAETH;
    case CIMG_PNG_FILTER_ADAPTIVE: return PNG_ALL_FILTERS;
    }
    return -1;
}

static int zlib_strategy(cimg_zlib_strategy strategy) {
    switch (strategy) {
    case CIMG_ZLIB_DEFAULT: return Z_DEFAULT_STRATEGY;
    case CIMG_ZLIB_FILTERED: return Z_FILTERED;
    case CIMG_ZLIB_HUFFMAN_ONLY: return Z_HUFFMAN_ONLY;
    case CIMG_ZLIB_RLE: return Z_RLE;
    }
    return -1;
}

cimg_status cimg_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels,
                            size_t row_stride, const cimg_png_options *options, cimg_buffer *out,
                            char *message, size_t message_capacity) {
    // libpng's error callback writes at most 128 bytes; keep our own copy of that size.
    char error_text[128] = "";
    if (!pixels || !out || !options || width == 0 || height == 0 || width > PNG_USER_WIDTH_MAX ||
        height > PNG_USER_HEIGHT_MAX || (channels != 1 && channels != 3) || row_stride < (size_t)width * channels ||
        options->compression_level < 0 || options->compression_level > 9 || filter_flags(options->filter) < 0 ||
        zlib_strategy(options->strategy) < 0) {
        cimg_set_message(message, message_capacity, "invalid PNG encoder arguments");
        return CIMG_ERR_ARGUMENT;
    }
    out->size = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, error_text, record_error, ignore_warning);
    if (!png) {
        cimg_set_message(message, message_capacity, "out of memory");
        return CIMG_ERR_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    png_sink sink = {out, 0};
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        if (sink.failed || !info) {
            cimg_set_message(message, message_capacity, "out of memory");
            return CIMG_ERR_OUT_OF_MEMORY;
        }
        cimg_set_message(message, message_capacity, error_text[0] ? error_text : "libpng failed");
        return CIMG_ERR_ENCODER;
    }
    png_set_write_fn(png, &sink, write_to_sink, flush_sink);
    png_set_compression_level(png, options->compression_level);
    png_set_compression_strategy(png, zlib_strategy(options->strategy));
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filter_flags(options->filter));
    png_set_IHDR(png, info, width, height, 8, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (uint32_t row = 0; row < height; ++row) {
        png_write_row(png, (png_const_bytep)(pixels + (size_t)row * row_stride));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    if (message && message_capacity) message[0] = '\0';
    return CIMG_OK;
}
