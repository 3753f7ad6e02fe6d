// High-Throughput JPEG 2000 (HTJ2K, ISO/IEC 15444-15) frames through OpenJPH, which decodes the CT slice
// twice as fast as OpenJPEG 2.5's HT decoder (benchmarks/README.md). OpenJPH reports errors through a
// global handler that must not return; ours throws, and the throw becomes a Failure here.
#include "dcmshim_internal.h"

#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace dcmshim {

namespace {

/// OpenJPH's error: formatted, then thrown instead of printed (OpenJPH's own handler prints to stderr).
struct ThrowingError : ojph::message_error {
    void operator()(int, const char *, int, const char *format, ...) override {
        char text[256];
        va_list arguments;
        va_start(arguments, format);
        std::vsnprintf(text, sizeof text, format, arguments);
        va_end(arguments);
        size_t length = std::strlen(text);
        while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == ' ')) text[--length] = '\0';
        throw std::runtime_error(text);
    }
};

struct SilentWarning : ojph::message_warning {
    void operator()(int, const char *, int, const char *, ...) override {}
};

struct SilentInfo : ojph::message_info {
    void operator()(int, const char *, int, const char *, ...) override {}
};

void configureMessagesOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        static ThrowingError error;
        static SilentWarning warning;
        static SilentInfo info;
        ojph::configure_error(&error);
        ojph::configure_warning(&warning);
        ojph::configure_info(&info);
    });
}

/// Stores one decoded line of a component at Bits Allocated, colour-by-pixel. Samples are clamped to the
/// component's range: an irreversible (lossy) decode overshoots it near black and white, and an
/// unsigned sample of -1 would otherwise be stored as the brightest value.
void storeLine(const ojph::si32 *line, uint8_t *buffer, size_t bytesPerSample, size_t samples, size_t component,
               size_t rowStart, size_t width, int64_t lowest, int64_t highest) {
    auto clamp = [&](ojph::si32 value) { return int64_t(value) < lowest ? lowest : (int64_t(value) > highest ? highest : value); };
    switch (bytesPerSample) {
    case 1:
        for (size_t x = 0; x < width; ++x) buffer[(rowStart + x) * samples + component] = uint8_t(clamp(line[x]));
        break;
    case 2: {
        auto *target = reinterpret_cast<uint16_t *>(buffer);
        for (size_t x = 0; x < width; ++x) target[(rowStart + x) * samples + component] = uint16_t(clamp(line[x]));
        break;
    }
    default: {
        auto *target = reinterpret_cast<uint32_t *>(buffer);
        for (size_t x = 0; x < width; ++x) target[(rowStart + x) * samples + component] = uint32_t(clamp(line[x]));
        break;
    }
    }
}

}  // namespace

void decodeHTJ2K(const std::vector<uint8_t> &codestream, dcmshim_frame_info &info, uint8_t *buffer, size_t capacity,
                 uint32_t reduction) {
    if (codestream.size() < 4 || codestream[0] != 0xFF || codestream[1] != 0x4F) {
        throw Failure(DCMSHIM_ERR_DECODE, "the frame does not start with a JPEG 2000 SOC marker");
    }
    configureMessagesOnce();
    try {
        ojph::mem_infile file;
        file.open(codestream.data(), codestream.size());
        ojph::codestream decoder;
        decoder.read_headers(&file);
        ojph::param_siz siz = decoder.access_siz();
        ojph::ui32 components = siz.get_num_components();
        if (components != info.samples_per_pixel) {
            throw Failure(DCMSHIM_ERR_DECODE, "the HTJ2K frame has " + std::to_string(components) +
                                                  " components, Samples per Pixel says " +
                                                  std::to_string(info.samples_per_pixel));
        }
        uint64_t width = uint64_t(siz.get_image_extent().x) - siz.get_image_offset().x;
        uint64_t height = uint64_t(siz.get_image_extent().y) - siz.get_image_offset().y;
        if (width != info.columns || height != info.rows) {
            throw Failure(DCMSHIM_ERR_DECODE, "the HTJ2K frame is " + std::to_string(width) + "×" +
                                                  std::to_string(height) + ", the header says " +
                                                  std::to_string(info.columns) + "×" + std::to_string(info.rows));
        }
        if (components != 1 && components != 3) {
            throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT, "HTJ2K frames with " + std::to_string(components) +
                                                                    " components are not supported");
        }
        for (ojph::ui32 component = 0; component < components; ++component) {
            ojph::point sampling = siz.get_downsampling(component);
            if (sampling.x != 1 || sampling.y != 1) {
                throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT, "subsampled HTJ2K components are not supported");
            }
            if (siz.get_bit_depth(component) < 1 || siz.get_bit_depth(component) > info.bits_allocated ||
                siz.get_bit_depth(component) > 32) {
                throw Failure(DCMSHIM_ERR_DECODE, "the HTJ2K frame has " + std::to_string(siz.get_bit_depth(component)) +
                                                      "-bit samples, Bits Allocated is " +
                                                      std::to_string(info.bits_allocated));
            }
        }
        // Fewer wavelet levels than asked for: skip as many as there are.
        ojph::ui32 levels = decoder.access_cod().get_num_decompositions();
        ojph::ui32 skipped = reduction < levels ? reduction : levels;
        if (skipped) decoder.restrict_input_resolution(skipped, skipped);
        decoder.set_planar(false);
        decoder.create();

        size_t outWidth = siz.get_recon_width(0), outHeight = siz.get_recon_height(0);
        size_t samples = components;
        size_t bytesPerSample = info.bits_allocated / 8;
        if (bytesPerSample == 0 || capacity < outWidth * outHeight * samples * bytesPerSample) {
            throw Failure(DCMSHIM_ERR_BUFFER_TOO_SMALL, "the output buffer is too small for the HTJ2K frame");
        }
        int64_t lowest[4] = {}, highest[4] = {};
        for (size_t component = 0; component < samples && component < 4; ++component) {
            ojph::ui32 depth = siz.get_bit_depth(ojph::ui32(component));
            bool isSigned = siz.is_signed(ojph::ui32(component));
            lowest[component] = isSigned ? -(int64_t(1) << (depth - 1)) : 0;
            highest[component] = isSigned ? (int64_t(1) << (depth - 1)) - 1 : (int64_t(1) << depth) - 1;
        }
        for (size_t row = 0; row < outHeight; ++row) {
            for (size_t component = 0; component < samples; ++component) {
                ojph::ui32 pulled = 0;
                ojph::line_buf *line = decoder.pull(pulled);
                if (!line || pulled != component) throw Failure(DCMSHIM_ERR_DECODE, "the HTJ2K decoder ended early");
                storeLine(line->i32, buffer, bytesPerSample, samples, component, row * outWidth, outWidth,
                          lowest[component], highest[component]);
            }
        }
        decoder.close();
        info.rows = uint32_t(outHeight);
        info.columns = uint32_t(outWidth);
        info.planar_configuration = 0;
        // The codestream's multiple-component transform is undone by the decoder: what remains is RGB.
        if (std::strcmp(info.photometric, "YBR_ICT") == 0 || std::strcmp(info.photometric, "YBR_RCT") == 0) {
            std::snprintf(info.photometric, sizeof info.photometric, "RGB");
        }
        info.frame_bytes = outWidth * outHeight * samples * bytesPerSample;
    } catch (const std::runtime_error &error) {
        throw Failure(DCMSHIM_ERR_DECODE, std::string("HTJ2K decoding failed: ") + error.what());
    }
}

}  // namespace dcmshim
