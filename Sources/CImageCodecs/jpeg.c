// JPEG encoding with libturbojpeg, one handle per configuration (see CImageCodecs.h).
#include "CImageCodecs.h"
#include "buffer.h"

#include <stdlib.h>
#include <turbojpeg.h>

struct cimg_jpeg_encoder {
    tjhandle handle;
    int progressive;
    int subsampling;
};

cimg_jpeg_encoder *cimg_jpeg_encoder_create(int progressive, int subsampling) {
    if (subsampling < 0 || subsampling > 2) return NULL;
    cimg_jpeg_encoder *encoder = calloc(1, sizeof *encoder);
    if (!encoder) return NULL;
    encoder->handle = tjInitCompress();
    if (!encoder->handle) {
        free(encoder);
        return NULL;
    }
    encoder->progressive = progressive ? 1 : 0;
    encoder->subsampling = subsampling;
    return encoder;
}

void cimg_jpeg_encoder_destroy(cimg_jpeg_encoder *encoder) {
    if (!encoder) return;
    tjDestroy(encoder->handle);
    free(encoder);
}

cimg_status cimg_jpeg_encode(cimg_jpeg_encoder *encoder, const uint8_t *pixels, uint32_t width, uint32_t height,
                             uint32_t channels, size_t row_stride, int quality, cimg_buffer *out,
                             char *message, size_t message_capacity) {
    if (!encoder || !pixels || !out || width == 0 || height == 0 || width > 65535 || height > 65535 ||
        (channels != 1 && channels != 3) || row_stride < (size_t)width * channels || row_stride > 0x7fffffff ||
        quality < 1 || quality > 100) {
        cimg_set_message(message, message_capacity, "invalid JPEG encoder arguments");
        return CIMG_ERR_ARGUMENT;
    }
    static const int subsamplings[] = {TJSAMP_444, TJSAMP_422, TJSAMP_420};
    int subsampling = channels == 1 ? TJSAMP_GRAY : subsamplings[encoder->subsampling];
    int flags = encoder->progressive ? TJFLAG_PROGRESSIVE : 0;
    unsigned char *jpeg = NULL;
    unsigned long jpeg_size = 0;
    int result = tjCompress2(encoder->handle, pixels, (int)width, (int)row_stride, (int)height,
                             channels == 1 ? TJPF_GRAY : TJPF_RGB, &jpeg, &jpeg_size, subsampling, quality, flags);
    if (result != 0) {
        cimg_set_message(message, message_capacity, tjGetErrorStr2(encoder->handle));
        tjFree(jpeg);
        return CIMG_ERR_ENCODER;
    }
    out->size = 0;
    int appended = cimg_buffer_append(out, jpeg, jpeg_size);
    tjFree(jpeg);
    if (!appended) {
        cimg_set_message(message, message_capacity, "out of memory");
        return CIMG_ERR_OUT_OF_MEMORY;
    }
    if (message && message_capacity) message[0] = '\0';
    return CIMG_OK;
}
