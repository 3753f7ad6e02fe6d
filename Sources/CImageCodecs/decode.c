// Decoders used to verify encoded output. libpng's simplified API keeps its longjmp internal.
#include "CImageCodecs.h"

#include <png.h>
#include <string.h>
#include <turbojpeg.h>

cimg_status cimg_png_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height, uint32_t *channels) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!data || !png_image_begin_read_from_memory(&image, data, size)) return CIMG_ERR_ENCODER;
    *width = image.width;
    *height = image.height;
    *channels = (image.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
    png_image_free(&image);
    return CIMG_OK;
}

cimg_status cimg_png_decode(const uint8_t *data, size_t size, uint32_t channels, uint8_t *pixels, size_t capacity) {
    if (!data || !pixels || (channels != 1 && channels != 3)) return CIMG_ERR_ARGUMENT;
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) return CIMG_ERR_ENCODER;
    image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    if (capacity < PNG_IMAGE_SIZE(image)) {
        png_image_free(&image);
        return CIMG_ERR_ARGUMENT;
    }
    int ok = png_image_finish_read(&image, NULL, pixels, 0, NULL);
    png_image_free(&image);
    return ok ? CIMG_OK : CIMG_ERR_ENCODER;
}

cimg_status cimg_jpeg_info(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height, uint32_t *channels) {
    tjhandle handle = tjInitDecompress();
    if (!handle) return CIMG_ERR_OUT_OF_MEMORY;
    int w = 0, h = 0, subsampling = 0, colorspace = 0;
    int result = tjDecompressHeader3(handle, data, (unsigned long)size, &w, &h, &subsampling, &colorspace);
    tjDestroy(handle);
    if (result != 0) return CIMG_ERR_ENCODER;
    *width = (uint32_t)w;
    *height = (uint32_t)h;
    *channels = colorspace == TJCS_GRAY ? 1 : 3;
    return CIMG_OK;
}

cimg_status cimg_jpeg_decode(const uint8_t *data, size_t size, uint32_t channels, uint8_t *pixels, size_t capacity) {
    if (!data || !pixels || (channels != 1 && channels != 3)) return CIMG_ERR_ARGUMENT;
    uint32_t width = 0, height = 0, native = 0;
    if (cimg_jpeg_info(data, size, &width, &height, &native) != CIMG_OK) return CIMG_ERR_ENCODER;
    if (capacity < (size_t)width * height * channels) return CIMG_ERR_ARGUMENT;
    tjhandle handle = tjInitDecompress();
    if (!handle) return CIMG_ERR_OUT_OF_MEMORY;
    int result = tjDecompress2(handle, data, (unsigned long)size, pixels, (int)width, 0, (int)height,
                               channels == 1 ? TJPF_GRAY : TJPF_RGB, 0);
    tjDestroy(handle);
    return result == 0 ? CIMG_OK : CIMG_ERR_ENCODER;
}
