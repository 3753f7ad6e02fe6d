// Pixel data: the image pixel module, which fragments make up a frame, and frame decoding.
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcxfer.h"

#include "dcmshim_internal.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace dcmshim {

namespace {

const char *const kJPEG2000Lossless = "1.2.840.10008.1.2.4.90";
const char *const kJPEG2000 = "1.2.840.10008.1.2.4.91";
const char *const kHTJ2KSyntaxes[] = {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"};
const char *const kRLELossless = "1.2.840.10008.1.2.5";

std::string tagName(const DcmTagKey &key) {
    char text[16];
    std::snprintf(text, sizeof text, "(%04X,%04X)", key.getGroup(), key.getElement());
    return text;
}

uint32_t requiredUint16(DcmItem &dataset, const DcmTagKey &key, const char *name) {
    Uint16 value = 0;
    OFCondition condition = dataset.findAndGetUint16(key, value);
    if (condition.bad()) {
        if (condition == EC_TagNotFound) {
            throw Failure(DCMSHIM_ERR_MISSING_ATTRIBUTE, std::string(name) + " " + tagName(key) + " is missing");
        }
        throw Failure(DCMSHIM_ERR_MISSING_ATTRIBUTE,
                      std::string(name) + " " + tagName(key) + " is not a valid US value: " + condition.text());
    }
    return value;
}

uint32_t optionalUint16(DcmItem &dataset, const DcmTagKey &key, uint32_t fallback) {
    Uint16 value = 0;
    return dataset.findAndGetUint16(key, value).good() ? value : fallback;
}

}  // namespace

bool isHTJ2KSyntax(const std::string &uid) {
    for (const char *syntax : kHTJ2KSyntaxes) {
        if (uid == syntax) return true;
    }
    return false;
}

namespace {

bool isEncapsulatedSyntax(const std::string &uid) {
    if (isHTJ2KSyntax(uid)) return true;
    DcmXfer xfer(uid.c_str());
    return xfer.getXfer() != EXS_Unknown && xfer.isEncapsulated();
}

DcmPixelData *pixelDataElement(DcmItem &dataset) {
    DcmElement *element = nullptr;
    if (dataset.findAndGetElement(DCM_PixelData, element).bad() || !element) {
        if (dataset.tagExists(DCM_FloatPixelData) || dataset.tagExists(DCM_DoubleFloatPixelData)) {
            throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT, "float pixel data is not supported");
        }
        throw Failure(DCMSHIM_ERR_NO_PIXEL_DATA, "the object has no Pixel Data (7FE0,0010)");
    }
    if (element->ident() != EVR_PixelData) {
        throw Failure(DCMSHIM_ERR_CORRUPT, "Pixel Data (7FE0,0010) has an unexpected encoding");
    }
    return static_cast<DcmPixelData *>(element);
}

DcmPixelSequence *pixelSequence(DcmItem &dataset) {
    DcmPixelData *pixelData = pixelDataElement(dataset);
    E_TransferSyntax xfer = static_cast<DcmDataset &>(dataset).getOriginalXfer();
    DcmPixelSequence *sequence = nullptr;
    if (pixelData->getEncapsulatedRepresentation(xfer, nullptr, sequence).bad() || !sequence) {
        throw Failure(DCMSHIM_ERR_CORRUPT, "the transfer syntax is encapsulated but Pixel Data has no fragments");
    }
    return sequence;
}

uint64_t readLittleEndian(const uint8_t *bytes, int width) {
    uint64_t value = 0;
    for (int index = width - 1; index >= 0; --index) value = (value << 8) | bytes[index];
    return value;
}

/// Collects the fragment items in one pass (nextInContainer steps the list; getItem(i) would walk it
/// from its head every time) and works out where each frame starts: Extended Offset Table, else Basic
/// Offset Table, else one frame per fragment opening a codestream. Offsets are matched by a binary search
/// over the fragments' positions, so the whole map costs O(fragments · log fragments), once per object.
void buildFragmentMap(DcmItem &dataset, DcmPixelSequence &sequence, uint32_t frames, FragmentMap &map) {
    map.items.clear();
    map.starts.clear();
    for (DcmObject *object = sequence.nextInContainer(nullptr); object; object = sequence.nextInContainer(object)) {
        map.items.push_back(static_cast<DcmPixelItem *>(object));
    }
    size_t items = map.items.size();
    if (items < 2) throw Failure(DCMSHIM_ERR_CORRUPT, "encapsulated Pixel Data has no fragments");
    size_t fragments = items - 1;
    map.built = true;
    if (frames == 1) {
        map.starts = {1};
        return;
    }
    if (fragments == frames) {
        for (size_t index = 1; index <= fragments; ++index) map.starts.push_back(index);
        return;
    }

    // Byte offsets of each fragment item from the first one, as offset tables count them (increasing).
    std::vector<uint64_t> positions(items, 0);
    uint64_t position = 0;
    for (size_t index = 1; index < items; ++index) {
        positions[index] = position;
        position += 8 + map.items[index]->getLength();
    }
    auto startsFromOffsets = [&](const std::vector<uint64_t> &offsets) {
        std::vector<size_t> result;
        for (uint64_t offset : offsets) {
            auto found = std::lower_bound(positions.begin() + 1, positions.end(), offset);
            if (found == positions.end() || *found != offset) {
                throw Failure(DCMSHIM_ERR_CORRUPT, "an offset table entry does not point at a fragment");
            }
            size_t index = size_t(found - positions.begin());
            if (!result.empty() && index <= result.back()) {
                throw Failure(DCMSHIM_ERR_CORRUPT, "offset table entries are not increasing");
            }
            result.push_back(index);
        }
        return result;
    };

    // Extended Offset Table (PS3.5 A.4): 64-bit offsets, one per frame.
    DcmElement *extended = nullptr;
    if (dataset.findAndGetElement(DCM_ExtendedOffsetTable, extended).good() && extended &&
        extended->getLength() == 8ull * frames) {
        Uint8 *bytes = nullptr;
        if (extended->getUint8Array(bytes).good() && bytes) {
            std::vector<uint64_t> offsets;
            for (uint32_t frame = 0; frame < frames; ++frame) offsets.push_back(readLittleEndian(bytes + 8 * frame, 8));
            map.starts = startsFromOffsets(offsets);
            return;
        }
    }

    // Basic Offset Table: the first item, 32-bit offsets.
    DcmPixelItem *table = map.items[0];
    if (table->getLength() >= 4ull * frames) {
        Uint8 *bytes = nullptr;
        if (table->getUint8Array(bytes).good() && bytes) {
            std::vector<uint64_t> offsets;
            for (uint32_t frame = 0; frame < frames; ++frame) offsets.push_back(readLittleEndian(bytes + 4 * frame, 4));
            map.starts = startsFromOffsets(offsets);
            return;
        }
    }

    // No table: a frame starts at every fragment that opens with a JPEG SOI or JPEG 2000 SOC marker.
    for (size_t index = 1; index < items; ++index) {
        DcmPixelItem *item = map.items[index];
        Uint8 *bytes = nullptr;
        if (item->getLength() < 2) continue;
        if (item->getUint8Array(bytes).bad() || !bytes) continue;
        if (bytes[0] == 0xFF && (bytes[1] == 0xD8 || bytes[1] == 0x4F)) map.starts.push_back(index);
    }
    if (map.starts.size() != frames) {
        map.built = false;
        throw Failure(DCMSHIM_ERR_CORRUPT, "cannot tell which fragments belong to which frame: " +
                                               std::to_string(fragments) + " fragments, " + std::to_string(frames) +
                                               " frames, and no usable offset table");
    }
}

FragmentMap &fragmentMap(DcmItem &dataset, uint32_t frames, FragmentMap &map) {
    if (!map.built) {
        try {
            buildFragmentMap(dataset, *pixelSequence(dataset), frames, map);
        } catch (...) {
            map.built = false;
            throw;
        }
    }
    return map;
}

std::vector<uint8_t> frameFragments(DcmItem &dataset, uint32_t frames, uint32_t frameIndex, FragmentMap &cache) {
    FragmentMap &map = fragmentMap(dataset, frames, cache);
    size_t first = map.starts[frameIndex];
    size_t end = frameIndex + 1 < map.starts.size() ? map.starts[frameIndex + 1] : map.items.size();
    std::vector<uint8_t> bytes;
    for (size_t index = first; index < end; ++index) {
        DcmPixelItem *item = map.items[index];
        Uint8 *data = nullptr;
        if (item->getLength() == 0) continue;
        OFCondition condition = item->getUint8Array(data);
        if (condition.bad() || !data) {
            throw Failure(DCMSHIM_ERR_TRUNCATED, std::string("cannot read a pixel data fragment: ") + condition.text());
        }
        bytes.insert(bytes.end(), data, data + item->getLength());
    }
    return bytes;
}

void checkFrameIndex(const dcmshim_frame_info &info, uint32_t frameIndex) {
    if (frameIndex >= info.number_of_frames) {
        throw Failure(DCMSHIM_ERR_FRAME_OUT_OF_RANGE, "frame " + std::to_string(frameIndex + 1) +
                                                          " requested, the object has " +
                                                          std::to_string(info.number_of_frames));
    }
}

/// Copies one native (uncompressed) frame. DCMTK holds OW values as host-order 16-bit words, which is
/// right for 8- and 16-bit samples; 32-bit samples from a big-endian file need their halves swapped,
/// and 1-bit frames need not start on a byte boundary.
void decodeNativeFrame(DcmPixelData &pixelData, const dcmshim_frame_info &info,
                       const std::string &transferSyntax, uint32_t frameIndex, uint8_t *buffer) {
    uint64_t frameSamples = info.bits_allocated == 1 ? uint64_t(info.rows) * info.columns * info.samples_per_pixel : 0;
    uint64_t needed = info.bits_allocated == 1 ? (frameSamples * info.number_of_frames + 7) / 8
                                               : info.frame_bytes * info.number_of_frames;
    if (pixelData.getLength() < needed) {
        throw Failure(DCMSHIM_ERR_PIXEL_DATA_SHORT, "Pixel Data holds " + std::to_string(pixelData.getLength()) +
                                                        " bytes, the image needs " + std::to_string(needed));
    }
    Uint8 *all = nullptr;
    OFCondition condition = pixelData.getUint8Array(all);
    if (condition.bad() || !all) {
        throw Failure(DCMSHIM_ERR_TRUNCATED, std::string("cannot read Pixel Data: ") + condition.text());
    }
    if (info.bits_allocated == 1) {
        uint64_t firstBit = frameSamples * frameIndex;
        std::memset(buffer, 0, info.frame_bytes);
        for (uint64_t bit = 0; bit < frameSamples; ++bit) {
            uint64_t source = firstBit + bit;
            if ((all[source >> 3] >> (source & 7)) & 1) buffer[bit >> 3] |= uint8_t(1u << (bit & 7));
        }
        return;
    }
    std::memcpy(buffer, all + uint64_t(info.frame_bytes) * frameIndex, info.frame_bytes);
    bool bigEndian = transferSyntax == "1.2.840.10008.1.2.2";
    if (bigEndian && info.bits_allocated == 32) {
        bool wordsSwapped = pixelData.getVR() == EVR_OW;
        for (uint64_t offset = 0; offset + 4 <= info.frame_bytes; offset += 4) {
            uint8_t *sample = buffer + offset;
            if (wordsSwapped) {
                std::swap(sample[0], sample[2]);
                std::swap(sample[1], sample[3]);
            } else {
                std::swap(sample[0], sample[3]);
                std::swap(sample[1], sample[2]);
            }
        }
    }
}

}  // namespace

dcmshim_frame_info readFrameInfo(DcmItem &dataset, const dcmshim_limits &limits) {
    dcmshim_frame_info info;
    std::memset(&info, 0, sizeof info);
    DcmPixelData *pixelData = pixelDataElement(dataset);
    info.rows = requiredUint16(dataset, DCM_Rows, "Rows");
    info.columns = requiredUint16(dataset, DCM_Columns, "Columns");
    info.samples_per_pixel = requiredUint16(dataset, DCM_SamplesPerPixel, "Samples per Pixel");
    info.bits_allocated = requiredUint16(dataset, DCM_BitsAllocated, "Bits Allocated");
    info.bits_stored = optionalUint16(dataset, DCM_BitsStored, info.bits_allocated);
    info.high_bit = optionalUint16(dataset, DCM_HighBit, info.bits_stored - 1);
    info.pixel_representation = optionalUint16(dataset, DCM_PixelRepresentation, 0);
    info.planar_configuration = optionalUint16(dataset, DCM_PlanarConfiguration, 0);
    info.is_encapsulated = pixelData->getLengthField() == DCM_UndefinedLength;

    OFString photometric;
    if (dataset.findAndGetOFString(DCM_PhotometricInterpretation, photometric).bad() || photometric.empty()) {
        throw Failure(DCMSHIM_ERR_MISSING_ATTRIBUTE, "Photometric Interpretation (0028,0004) is missing");
    }
    std::snprintf(info.photometric, sizeof info.photometric, "%s", photometric.c_str());

    Sint32 frames = 1;
    if (dataset.tagExists(DCM_NumberOfFrames)) {
        if (dataset.findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) {
            throw Failure(DCMSHIM_ERR_MISSING_ATTRIBUTE, "Number of Frames (0028,0008) is not a positive integer");
        }
    }
    info.number_of_frames = static_cast<uint32_t>(frames);

    if (info.rows == 0 || info.columns == 0) throw Failure(DCMSHIM_ERR_MISSING_ATTRIBUTE, "Rows or Columns is zero");
    if (info.bits_allocated != 1 && info.bits_allocated != 8 && info.bits_allocated != 16 && info.bits_allocated != 32) {
        throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT,
                      "Bits Allocated " + std::to_string(info.bits_allocated) + " is not supported (1, 8, 16, 32)");
    }
    if (info.bits_stored == 0 || info.bits_stored > info.bits_allocated || info.high_bit >= info.bits_allocated ||
        info.high_bit + 1 < info.bits_stored) {
        throw Failure(DCMSHIM_ERR_MISSING_ATTRIBUTE,
                      "inconsistent Bits Stored " + std::to_string(info.bits_stored) + " / High Bit " +
                          std::to_string(info.high_bit) + " for Bits Allocated " + std::to_string(info.bits_allocated));
    }
    if (info.samples_per_pixel != 1 && info.samples_per_pixel != 3) {
        throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT,
                      "Samples per Pixel " + std::to_string(info.samples_per_pixel) + " is not supported (1 or 3)");
    }
    uint64_t framePixels = uint64_t(info.rows) * info.columns;
    if (framePixels > limits.max_frame_pixels) {
        throw Failure(DCMSHIM_ERR_LIMIT_EXCEEDED, std::to_string(info.columns) + "×" + std::to_string(info.rows) +
                                                      " pixels per frame exceeds the limit of " +
                                                      std::to_string(limits.max_frame_pixels));
    }
    if (info.number_of_frames > limits.max_frames) {
        throw Failure(DCMSHIM_ERR_LIMIT_EXCEEDED, std::to_string(info.number_of_frames) +
                                                      " frames exceeds the limit of " + std::to_string(limits.max_frames));
    }

    // Native YBR_FULL_422 keeps two samples per pixel (Y Y Cb Cr); codecs hand back full RGB.
    uint64_t samplesPerFrame = framePixels * info.samples_per_pixel;
    if (!info.is_encapsulated && photometric == "YBR_FULL_422") {
        if (info.columns % 2 != 0) throw Failure(DCMSHIM_ERR_CORRUPT, "YBR_FULL_422 needs an even number of columns");
        samplesPerFrame = framePixels * 2;
    }
    info.frame_bytes = info.bits_allocated == 1 ? (samplesPerFrame + 7) / 8 : samplesPerFrame * (info.bits_allocated / 8);
    return info;
}

std::vector<uint8_t> encapsulatedFrame(DcmItem &dataset, const dcmshim_limits &limits, uint32_t frameIndex,
                                       FragmentMap &fragments) {
    dcmshim_frame_info info = readFrameInfo(dataset, limits);
    checkFrameIndex(info, frameIndex);
    if (!info.is_encapsulated) throw Failure(DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX, "pixel data is not encapsulated");
    return frameFragments(dataset, info.number_of_frames, frameIndex, fragments);
}

dcmshim_frame_info decodeFrame(DcmItem &dataset, const dcmshim_limits &limits, const std::string &transferSyntax,
                               uint32_t frameIndex, uint8_t *buffer, size_t capacity, FragmentMap &fragments,
                               const dcmshim_decode_options &options) {
    dcmshim_frame_info info = readFrameInfo(dataset, limits);
    checkFrameIndex(info, frameIndex);
    if (capacity < info.frame_bytes + (info.frame_bytes & 1)) {
        throw Failure(DCMSHIM_ERR_BUFFER_TOO_SMALL, "the frame needs " + std::to_string(info.frame_bytes) + " bytes (+1 if odd)");
    }
    DcmPixelData *pixelData = pixelDataElement(dataset);

    if (info.is_encapsulated != (isEncapsulatedSyntax(transferSyntax) ? 1u : 0u)) {
        throw Failure(DCMSHIM_ERR_CORRUPT, "Pixel Data encoding does not match the transfer syntax " + transferSyntax);
    }

    if (!info.is_encapsulated) {
        decodeNativeFrame(*pixelData, info, transferSyntax, frameIndex, buffer);
        return info;
    }

    if (transferSyntax == kRLELossless) {
        decodeRLE(frameFragments(dataset, info.number_of_frames, frameIndex, fragments), info, buffer, capacity);
        return info;
    }

    if (info.is_encapsulated && (transferSyntax == kJPEG2000Lossless || transferSyntax == kJPEG2000)) {
        std::vector<uint8_t> codestream = frameFragments(dataset, info.number_of_frames, frameIndex, fragments);
        decodeJPEG2000(codestream, info, buffer, capacity, options);
        return info;
    }

    // HTJ2K through OpenJPEG as well: OpenJPH decodes it twice as fast, but its 0.9 release aborts on an
    // assert and asks for terabytes on codestreams our fuzzer made within seconds (benchmarks/README.md).
    if (isHTJ2KSyntax(transferSyntax)) {
        std::vector<uint8_t> codestream = frameFragments(dataset, info.number_of_frames, frameIndex, fragments);
        decodeJPEG2000(codestream, info, buffer, capacity, options);
        return info;
    }

    {
        DcmXfer xfer(transferSyntax.c_str());
        if (xfer.getXfer() == EXS_Unknown || !(xfer.isEncapsulated())) {
            throw Failure(DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX, "unsupported transfer syntax " + transferSyntax);
        }
        // Only these have decoders registered; anything else (MPEG, HTJ2K, JPEG XL ...) is refused by name.
        static const char *const supported[] = {
            "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
        };
        bool known = false;
        for (const char *uid : supported) known = known || transferSyntax == uid;
        if (!known) {
            throw Failure(DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX,
                          std::string("transfer syntax ") + transferSyntax + " (" + xfer.getXferName() + ") is not supported");
        }
    }

    Uint32 startFragment = Uint32(fragmentMap(dataset, info.number_of_frames, fragments).starts[frameIndex]);
    OFString colorModel;
    Uint32 bufferSize = Uint32(info.frame_bytes + (info.frame_bytes & 1));
    OFCondition condition = pixelData->getUncompressedFrame(&dataset, frameIndex, startFragment, buffer, bufferSize,
                                                            colorModel, nullptr);
    if (condition.bad()) {
        throw Failure(DCMSHIM_ERR_DECODE, std::string("cannot decode frame ") + std::to_string(frameIndex + 1) + ": " + condition.text());
    }
    if (!colorModel.empty()) std::snprintf(info.photometric, sizeof info.photometric, "%s", colorModel.c_str());
    // Codecs may change the planar configuration of what they return and record it in the dataset.
    info.planar_configuration = optionalUint16(dataset, DCM_PlanarConfiguration, 0);
    if (info.samples_per_pixel == 1) info.planar_configuration = 0;
    return info;
}

}  // namespace dcmshim
