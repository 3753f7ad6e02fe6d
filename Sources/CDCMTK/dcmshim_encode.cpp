// Frames encoded in another transfer syntax, for WADO-RS clients that ask for one (OHIF's
// requestTransferSyntaxUID): JPEG-LS lossless and JPEG baseline through DCMTK's own encoders (a throwaway
// data set holding the one frame, chooseRepresentation, the fragments back), HTJ2K lossless through
// OpenJPH. The input is a decoded frame as dcmshim_decode_frame writes it.
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcxfer.h"
// DCMTK's JPEG and JPEG-LS encoders read colour frames through dcmimage, which registers itself here.
#include "dcmtk/dcmimage/diregist.h"
#include "dcmtk/dcmjpeg/djencode.h"
#include "dcmtk/dcmjpeg/djrplol.h"
#include "dcmtk/dcmjpeg/djrploss.h"
#include "dcmtk/dcmjpls/djencode.h"
#include "dcmtk/dcmjpls/djrparam.h"

#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_params.h>

#include "CDCMTK.h"
#include "dcmshim_internal.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace dcmshim {

namespace {

void registerEncodersOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        DJEncoderRegistration::registerCodecs();
        DJLSEncoderRegistration::registerCodecs();
    });
}

size_t bytesPerSample(const dcmshim_frame_info &layout) { return layout.bits_allocated / 8; }

void checkLayout(const dcmshim_frame_info &layout, size_t size) {
    if ((layout.samples_per_pixel != 1 && layout.samples_per_pixel != 3) || layout.rows == 0 || layout.columns == 0 ||
        (layout.bits_allocated != 8 && layout.bits_allocated != 16) || layout.bits_stored == 0 ||
        layout.bits_stored > layout.bits_allocated || layout.high_bit != layout.bits_stored - 1 ||
        layout.planar_configuration != 0) {
        throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT,
                      "frames are transcoded from 8- or 16-bit grey or RGB samples, colour-by-pixel, high bit = bits stored - 1");
    }
    size_t needed = size_t(layout.rows) * layout.columns * layout.samples_per_pixel * bytesPerSample(layout);
    if (size < needed) throw Failure(DCMSHIM_ERR_BUFFER_TOO_SMALL, "the frame is shorter than its layout");
}

/// One frame through a DCMTK encoder: the frame in a minimal data set, re-represented, fragments joined.
std::vector<uint8_t> encodeWithDCMTK(const dcmshim_frame_info &layout, const uint8_t *pixels, E_TransferSyntax target,
                                     const DcmRepresentationParameter &parameters) {
    registerEncodersOnce();
    DcmDataset dataset;
    char instance[100];
    bool rgb = layout.samples_per_pixel == 3;
    OFCondition condition = EC_Normal;
    auto check = [&](OFCondition result) {
        if (result.bad()) throw Failure(DCMSHIM_ERR_INTERNAL, std::string("cannot build the frame to encode: ") + result.text());
    };
    check(dataset.putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage));
    check(dataset.putAndInsertString(DCM_SOPInstanceUID, dcmGenerateUniqueIdentifier(instance)));
    check(dataset.putAndInsertUint16(DCM_SamplesPerPixel, Uint16(layout.samples_per_pixel)));
    check(dataset.putAndInsertString(DCM_PhotometricInterpretation, rgb ? "RGB" : layout.photometric));
    if (rgb) check(dataset.putAndInsertUint16(DCM_PlanarConfiguration, 0));
    check(dataset.putAndInsertUint16(DCM_Rows, Uint16(layout.rows)));
    check(dataset.putAndInsertUint16(DCM_Columns, Uint16(layout.columns)));
    check(dataset.putAndInsertUint16(DCM_BitsAllocated, Uint16(layout.bits_allocated)));
    check(dataset.putAndInsertUint16(DCM_BitsStored, Uint16(layout.bits_stored)));
    check(dataset.putAndInsertUint16(DCM_HighBit, Uint16(layout.high_bit)));
    check(dataset.putAndInsertUint16(DCM_PixelRepresentation, Uint16(layout.pixel_representation)));
    size_t count = size_t(layout.rows) * layout.columns * layout.samples_per_pixel;
    if (layout.bits_allocated == 8) {
        check(dataset.putAndInsertUint8Array(DCM_PixelData, pixels, static_cast<unsigned long>(count)));
    } else {
        check(dataset.putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16 *>(pixels), static_cast<unsigned long>(count)));
    }
    condition = dataset.chooseRepresentation(target, &parameters);
    if (condition.bad() || !dataset.canWriteXfer(target)) {
        throw Failure(DCMSHIM_ERR_DECODE, std::string("the encoder refused the frame: ") +
                                              (condition.bad() ? condition.text() : "no representation produced"));
    }
    DcmElement *element = nullptr;
    if (dataset.findAndGetElement(DCM_PixelData, element).bad() || !element) {
        throw Failure(DCMSHIM_ERR_INTERNAL, "the encoded frame has no pixel data");
    }
    DcmPixelSequence *sequence = nullptr;
    DcmXfer xfer(target);
    if (static_cast<DcmPixelData *>(element)->getEncapsulatedRepresentation(target, &parameters, sequence).bad() || !sequence) {
        throw Failure(DCMSHIM_ERR_INTERNAL, "the encoded frame has no fragments");
    }
    std::vector<uint8_t> bytes;
    for (unsigned long index = 1; index < sequence->card(); ++index) {  // item 0 is the offset table
        DcmPixelItem *item = nullptr;
        Uint8 *data = nullptr;
        if (sequence->getItem(item, index).bad() || !item || item->getUint8Array(data).bad()) continue;
        bytes.insert(bytes.end(), data, data + item->getLength());
    }
    if (bytes.empty()) throw Failure(DCMSHIM_ERR_INTERNAL, "the encoder produced no bytes");
    return bytes;
}

/// HTJ2K lossless (reversible 5/3, RPCL, so valid for .201 and .202) through OpenJPH.
std::vector<uint8_t> encodeHTJ2K(const dcmshim_frame_info &layout, const uint8_t *pixels) {
    try {
        ojph::codestream encoder;
        ojph::param_siz siz = encoder.access_siz();
        siz.set_image_extent(ojph::point(layout.columns, layout.rows));
        siz.set_num_components(layout.samples_per_pixel);
        bool isSigned = layout.pixel_representation == 1;
        for (ojph::ui32 component = 0; component < layout.samples_per_pixel; ++component) {
            siz.set_component(component, ojph::point(1, 1), layout.bits_stored, isSigned);
        }
        siz.set_image_offset(ojph::point(0, 0));
        siz.set_tile_size(ojph::size(layout.columns, layout.rows));
        siz.set_tile_offset(ojph::point(0, 0));
        ojph::param_cod cod = encoder.access_cod();
        // Five levels, or fewer for small frames (each level halves the smallest dimension).
        ojph::ui32 levels = 0;
        for (uint32_t side = std::min(layout.rows, layout.columns); side > 32 && levels < 5; side /= 2) ++levels;
        cod.set_num_decomposition(levels);
        cod.set_reversible(true);
        cod.set_progression_order("RPCL");
        cod.set_color_transform(layout.samples_per_pixel == 3);
        encoder.set_planar(false);
        ojph::mem_outfile output;
        output.open();
        encoder.write_headers(&output);
        size_t width = layout.columns, samples = layout.samples_per_pixel;
        ojph::ui32 next = 0;
        ojph::line_buf *line = encoder.exchange(nullptr, next);
        // Samples as stored: the sign (or the unused high bits) of each sample width.
        uint32_t mask = layout.bits_stored >= 32 ? 0xFFFFFFFFu : ((1u << layout.bits_stored) - 1);
        for (size_t row = 0; row < layout.rows; ++row) {
            for (size_t component = 0; component < samples; ++component) {
                ojph::si32 *target = line->i32;
                for (size_t x = 0; x < width; ++x) {
                    size_t index = (row * width + x) * samples + component;
                    uint32_t raw = layout.bits_allocated == 8 ? pixels[index] : reinterpret_cast<const uint16_t *>(pixels)[index];
                    raw &= mask;
                    int64_t value = raw;
                    if (isSigned && (raw >> (layout.bits_stored - 1)) & 1) value -= int64_t(1) << layout.bits_stored;
                    target[x] = ojph::si32(value);
                }
                line = encoder.exchange(line, next);
            }
        }
        encoder.flush();
        std::vector<uint8_t> bytes(output.get_data(), output.get_data() + output.tell());
        encoder.close();
        return bytes;
    } catch (const std::runtime_error &error) {
        throw Failure(DCMSHIM_ERR_DECODE, std::string("HTJ2K encoding failed: ") + error.what());
    }
}

}  // namespace

std::vector<uint8_t> encodeFrame(const dcmshim_frame_info &layout, const uint8_t *pixels, size_t size,
                                 dcmshim_encoding target, int quality) {
    checkLayout(layout, size);
    switch (target) {
    case DCMSHIM_ENCODE_JPEGLS_LOSSLESS:
        return encodeWithDCMTK(layout, pixels, EXS_JPEGLSLossless, DJLSRepresentationParameter(0, OFTrue));
    case DCMSHIM_ENCODE_JPEG_BASELINE:
        if (layout.bits_allocated != 8 || layout.bits_stored != 8) {
            throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT, "JPEG baseline holds 8-bit samples only");
        }
        if (quality < 1 || quality > 100) throw Failure(DCMSHIM_ERR_INTERNAL, "JPEG quality must be 1–100");
        return encodeWithDCMTK(layout, pixels, EXS_JPEGProcess1, DJ_RPLossy(quality));
    case DCMSHIM_ENCODE_HTJ2K_LOSSLESS:
        return encodeHTJ2K(layout, pixels);
    }
    throw Failure(DCMSHIM_ERR_INTERNAL, "unknown target encoding");
}

}  // namespace dcmshim
