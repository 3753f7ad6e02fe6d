// JPEG 2000 frames through OpenJPEG (DCMTK has no JPEG 2000 codec). Reads from memory; optionally with
// several threads and at a reduced resolution (wavelet levels skipped), for thumbnails and small viewports.
#include "dcmshim_internal.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

namespace dcmshim {

namespace {

struct MemoryReader {
    const uint8_t *data;
    size_t size;
    size_t position;
};

OPJ_SIZE_T readBytes(void *destination, OPJ_SIZE_T count, void *user) {
    auto *reader = static_cast<MemoryReader *>(user);
    if (reader->position >= reader->size) return static_cast<OPJ_SIZE_T>(-1);
    size_t available = reader->size - reader->position;
    size_t taken = count < available ? count : available;
    std::memcpy(destination, reader->data + reader->position, taken);
    reader->position += taken;
    return taken;
}

OPJ_OFF_T skipBytes(OPJ_OFF_T count, void *user) {
    auto *reader = static_cast<MemoryReader *>(user);
    if (count < 0) return -1;
    size_t available = reader->size - reader->position;
    size_t taken = static_cast<size_t>(count) < available ? static_cast<size_t>(count) : available;
    reader->position += taken;
    return static_cast<OPJ_OFF_T>(taken);
}

OPJ_BOOL seekTo(OPJ_OFF_T position, void *user) {
    auto *reader = static_cast<MemoryReader *>(user);
    if (position < 0 || static_cast<size_t>(position) > reader->size) return OPJ_FALSE;
    reader->position = static_cast<size_t>(position);
    return OPJ_TRUE;
}

void recordError(const char *text, void *user) {
    auto *message = static_cast<std::string *>(user);
    if (message->empty() && text) {
        *message = text;
        while (!message->empty() && (message->back() == '\n' || message->back() == ' ')) message->pop_back();
    }
}

void ignoreMessage(const char *, void *) {}

struct CodecDeleter { void operator()(opj_codec_t *codec) const { opj_destroy_codec(codec); } };
struct StreamDeleter { void operator()(opj_stream_t *stream) const { opj_stream_destroy(stream); } };
struct ImageDeleter { void operator()(opj_image_t *image) const { opj_image_destroy(image); } };

}  // namespace

void decodeJPEG2000(const std::vector<uint8_t> &codestream, dcmshim_frame_info &info, uint8_t *buffer,
                    size_t capacity, const dcmshim_decode_options &options) {
    if (codestream.size() < 12) throw Failure(DCMSHIM_ERR_DECODE, "the JPEG 2000 frame is empty or truncated");
    static const uint8_t jp2Signature[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
    bool isJP2 = std::memcmp(codestream.data(), jp2Signature, 12) == 0;
    if (!isJP2 && !(codestream[0] == 0xFF && codestream[1] == 0x4F)) {
        throw Failure(DCMSHIM_ERR_DECODE, "the frame does not start with a JPEG 2000 SOC marker");
    }

    std::string message;
    std::unique_ptr<opj_codec_t, CodecDeleter> codec(opj_create_decompress(isJP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
    if (!codec) throw Failure(DCMSHIM_ERR_INTERNAL, "cannot create the OpenJPEG decoder");
    opj_set_error_handler(codec.get(), recordError, &message);
    opj_set_warning_handler(codec.get(), ignoreMessage, nullptr);
    opj_set_info_handler(codec.get(), ignoreMessage, nullptr);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    if (!opj_setup_decoder(codec.get(), &parameters)) throw Failure(DCMSHIM_ERR_INTERNAL, "cannot set up OpenJPEG");
    // OpenJPEG decodes code blocks of one tile in parallel; a failure to start threads leaves it on one.
    if (options.threads > 1) (void)opj_codec_set_threads(codec.get(), int(options.threads < 64 ? options.threads : 64));

    MemoryReader reader{codestream.data(), codestream.size(), 0};
    std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(64 * 1024, OPJ_TRUE));
    if (!stream) throw Failure(DCMSHIM_ERR_OUT_OF_MEMORY, "cannot create an OpenJPEG stream");
    opj_stream_set_user_data(stream.get(), &reader, nullptr);
    opj_stream_set_user_data_length(stream.get(), codestream.size());
    opj_stream_set_read_function(stream.get(), readBytes);
    opj_stream_set_skip_function(stream.get(), skipBytes);
    opj_stream_set_seek_function(stream.get(), seekTo);

    opj_image_t *rawImage = nullptr;
    if (!opj_read_header(stream.get(), codec.get(), &rawImage)) {
        throw Failure(DCMSHIM_ERR_DECODE, "invalid JPEG 2000 header" + (message.empty() ? "" : ": " + message));
    }
    std::unique_ptr<opj_image_t, ImageDeleter> image(rawImage);
    if (image->numcomps != info.samples_per_pixel) {
        throw Failure(DCMSHIM_ERR_DECODE, "the JPEG 2000 frame has " + std::to_string(image->numcomps) +
                                              " components, Samples per Pixel says " +
                                              std::to_string(info.samples_per_pixel));
    }
    uint64_t width = uint64_t(image->x1) - image->x0, height = uint64_t(image->y1) - image->y0;
    if (width != info.columns || height != info.rows) {
        throw Failure(DCMSHIM_ERR_DECODE, "the JPEG 2000 frame is " + std::to_string(width) + "×" +
                                              std::to_string(height) + ", the header says " +
                                              std::to_string(info.columns) + "×" + std::to_string(info.rows));
    }
    // Skip at most as many resolution levels as every component has (numresolutions - 1 wavelet levels).
    uint32_t reduction = 0;
    if (options.resolution_reduction > 0) {
        opj_codestream_info_v2_t *layout = opj_get_cstr_info(codec.get());
        if (layout && layout->m_default_tile_info.tccp_info) {
            uint32_t levels = UINT32_MAX;
            for (OPJ_UINT32 component = 0; component < layout->nbcomps; ++component) {
                uint32_t resolutions = layout->m_default_tile_info.tccp_info[component].numresolutions;
                levels = std::min(levels, resolutions > 0 ? resolutions - 1 : 0u);
            }
            reduction = std::min(options.resolution_reduction, levels == UINT32_MAX ? 0u : levels);
        }
        opj_destroy_cstr_info(&layout);
        if (reduction > 0 && !opj_set_decoded_resolution_factor(codec.get(), reduction)) reduction = 0;
    }
    if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get())) {
        throw Failure(DCMSHIM_ERR_DECODE, "JPEG 2000 decoding failed" + (message.empty() ? "" : ": " + message));
    }
    // A reduced decode is ceil(size / 2^reduction) in each dimension (the image origin is 0 in DICOM).
    uint32_t columns = uint32_t((uint64_t(info.columns) + (1u << reduction) - 1) >> reduction);
    uint32_t rows = uint32_t((uint64_t(info.rows) + (1u << reduction) - 1) >> reduction);
    size_t pixels = size_t(rows) * columns;
    for (OPJ_UINT32 component = 0; component < image->numcomps; ++component) {
        const opj_image_comp_t &plane = image->comps[component];
        if (plane.w != columns || plane.h != rows || plane.dx != 1 || plane.dy != 1 || !plane.data) {
            throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT, "subsampled JPEG 2000 components are not supported");
        }
    }
    size_t bytesPerSample = info.bits_allocated / 8;
    if (bytesPerSample == 0 || capacity < pixels * info.samples_per_pixel * bytesPerSample) {
        throw Failure(DCMSHIM_ERR_BUFFER_TOO_SMALL, "the output buffer is too small for the JPEG 2000 frame");
    }
    // Interleave the component planes (colour-by-pixel) at Bits Allocated, two's complement when signed.
    size_t samples = info.samples_per_pixel;
    for (size_t component = 0; component < samples; ++component) {
        const OPJ_INT32 *source = image->comps[component].data;
        switch (bytesPerSample) {
        case 1:
            for (size_t pixel = 0; pixel < pixels; ++pixel) buffer[pixel * samples + component] = uint8_t(source[pixel]);
            break;
        case 2: {
            auto *target = reinterpret_cast<uint16_t *>(buffer);
            for (size_t pixel = 0; pixel < pixels; ++pixel) target[pixel * samples + component] = uint16_t(source[pixel]);
            break;
        }
        default: {
            auto *target = reinterpret_cast<uint32_t *>(buffer);
            for (size_t pixel = 0; pixel < pixels; ++pixel) target[pixel * samples + component] = uint32_t(source[pixel]);
            break;
        }
        }
    }
    info.rows = rows;
    info.columns = columns;
    info.planar_configuration = 0;
    // The codestream's multiple-component transform is undone by OpenJPEG: what remains is RGB.
    if (std::strcmp(info.photometric, "YBR_ICT") == 0 || std::strcmp(info.photometric, "YBR_RCT") == 0) {
        std::snprintf(info.photometric, sizeof info.photometric, "RGB");
    }
    info.frame_bytes = pixels * samples * bytesPerSample;
}

}  // namespace dcmshim
