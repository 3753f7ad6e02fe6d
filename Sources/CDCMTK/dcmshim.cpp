// The C API of CDCMTK.h over DCMTK and OpenJPEG. Every entry point catches every exception, and every
// DCMTK condition is mapped to one dcmshim_status, so nothing C++ reaches the caller.
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include "CDCMTK.h"
#include "dcmshim_internal.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <sys/stat.h>

using dcmshim::Failure;

// ---- process-wide set-up ------------------------------------------------------------------------

static void registerCodecsOnce() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Our callers report errors themselves; DCMTK's own logger would print to stderr.
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        // Colour conversion follows the photometric interpretation, as viewers expect.
        DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation);
        DJLSDecoderRegistration::registerCodecs();
        // RLE is decoded by the shim itself (dcmshim_rle.cpp), never by DcmRLEDecoder.
    });
}

struct dcmshim_file {
    DcmFileFormat format;
    dcmshim_limits limits;
    std::string transferSyntax;
    bool convertedToUTF8 = false;
    /// Which fragments make up which frame: worked out once per object, on the first frame asked for.
    dcmshim::FragmentMap fragments;
};

const char *dcmshim_strerror(dcmshim_status status) {
    switch (status) {
    case DCMSHIM_OK: return "success";
    case DCMSHIM_ERR_IO: return "the file could not be read";
    case DCMSHIM_ERR_EMPTY: return "the file is empty";
    case DCMSHIM_ERR_NOT_DICOM: return "not a DICOM file";
    case DCMSHIM_ERR_TRUNCATED: return "the file is truncated";
    case DCMSHIM_ERR_CORRUPT: return "the file is corrupt";
    case DCMSHIM_ERR_LIMIT_EXCEEDED: return "the image exceeds the configured limits";
    case DCMSHIM_ERR_MISSING_ATTRIBUTE: return "a required attribute is missing or invalid";
    case DCMSHIM_ERR_NO_PIXEL_DATA: return "the object has no pixel data";
    case DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX: return "unsupported transfer syntax";
    case DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT: return "unsupported pixel format";
    case DCMSHIM_ERR_FRAME_OUT_OF_RANGE: return "frame index out of range";
    case DCMSHIM_ERR_PIXEL_DATA_SHORT: return "pixel data is shorter than the image needs";
    case DCMSHIM_ERR_DECODE: return "the compressed pixel data could not be decoded";
    case DCMSHIM_ERR_BUFFER_TOO_SMALL: return "the output buffer is too small";
    case DCMSHIM_ERR_OUT_OF_MEMORY: return "out of memory";
    case DCMSHIM_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

// ---- helpers ---------------------------------------------------------------------------------------

namespace dcmshim {

dcmshim_status report(const Failure &failure, char *message, size_t capacity) {
    if (message && capacity > 0) {
        std::snprintf(message, capacity, "%s", failure.message.c_str());
    }
    return failure.status;
}

dcmshim_status statusForCondition(const OFCondition &condition) {
    if (condition == EC_StreamNotifyClient || condition == EC_EndOfStream ||
        condition == EC_InvalidStream || condition == EC_PrematureSequDelimitationItem ||
        condition == EC_SequDelimitationItemMissing || condition == EC_ItemDelimitationItemMissing) {
        return DCMSHIM_ERR_TRUNCATED;
    }
    if (condition == EC_MemoryExhausted) return DCMSHIM_ERR_OUT_OF_MEMORY;
    if (condition == EC_FileMetaInfoHeaderMissing) return DCMSHIM_ERR_NOT_DICOM;
    if (condition == EC_UnsupportedEncoding || condition == EC_CannotChangeRepresentation ||
        condition == EC_UnknownTransferSyntax) {
        return DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX;
    }
    return DCMSHIM_ERR_CORRUPT;
}

}  // namespace dcmshim

using dcmshim::report;
using dcmshim::statusForCondition;

/// Runs `body`, turning thrown Failures and any other exception into a status and message.
template <typename Body>
static dcmshim_status guarded(char *message, size_t capacity, Body body) {
    try {
        body();
        if (message && capacity > 0) message[0] = '\0';
        return DCMSHIM_OK;
    } catch (const Failure &failure) {
        return report(failure, message, capacity);
    } catch (const std::bad_alloc &) {
        return report(Failure(DCMSHIM_ERR_OUT_OF_MEMORY, "out of memory"), message, capacity);
    } catch (...) {
        return report(Failure(DCMSHIM_ERR_INTERNAL, "unexpected exception in the DICOM toolkit"), message,
                      capacity);
    }
}

static dcmshim_limits effectiveLimits(const dcmshim_limits *limits) {
    dcmshim_limits result = {4ull << 30, 1ull << 28, 65535};
    if (limits) {
        if (limits->max_file_bytes) result.max_file_bytes = limits->max_file_bytes;
        if (limits->max_frame_pixels) result.max_frame_pixels = limits->max_frame_pixels;
        if (limits->max_frames) result.max_frames = limits->max_frames;
    }
    return result;
}

/// Checks size and the "DICM" prefix ourselves: DCMTK would otherwise guess at headerless data.
/// Returns the Transfer Syntax UID found in the meta group's first bytes (empty if not there).
static std::string checkPart10Header(const char *path, const dcmshim_limits &limits) {
    struct stat info;
    if (stat(path, &info) != 0) throw Failure(DCMSHIM_ERR_IO, std::string("cannot open file: ") + std::strerror(errno));
    if (!S_ISREG(info.st_mode)) throw Failure(DCMSHIM_ERR_IO, "not a regular file");
    if (info.st_size == 0) throw Failure(DCMSHIM_ERR_EMPTY, "the file is empty (0 bytes)");
    if (static_cast<uint64_t>(info.st_size) > limits.max_file_bytes) {
        throw Failure(DCMSHIM_ERR_LIMIT_EXCEEDED, "the file is " + std::to_string(info.st_size) +
                                                      " bytes, over the limit of " +
                                                      std::to_string(limits.max_file_bytes));
    }
    FILE *handle = std::fopen(path, "rb");
    if (!handle) throw Failure(DCMSHIM_ERR_IO, std::string("cannot open file: ") + std::strerror(errno));
    unsigned char header[4096];
    size_t got = std::fread(header, 1, sizeof header, handle);
    std::fclose(handle);
    if (got < 132 || std::memcmp(header + 128, "DICM", 4) != 0) {
        if (got >= 8 && std::memcmp(header, "\x89PNG\r\n\x1a\n", 8) == 0) {
            throw Failure(DCMSHIM_ERR_NOT_DICOM, "this is a PNG image, not a DICOM file");
        }
        throw Failure(DCMSHIM_ERR_NOT_DICOM,
                      "no DICOM Part 10 header: the 128-byte preamble is not followed by \"DICM\"");
    }
    // DCMTK cannot load a dataset whose transfer syntax it does not know and reports a missing meta
    // header instead; find (0002,0010) in the (always explicit little-endian) meta group and say so.
    static const unsigned char tag[6] = {0x02, 0x00, 0x10, 0x00, 'U', 'I'};
    for (size_t offset = 132; offset + 8 <= got; ++offset) {
        if (std::memcmp(header + offset, tag, 6) != 0) continue;
        size_t length = header[offset + 6] | (size_t(header[offset + 7]) << 8);
        if (offset + 8 + length > got) break;
        std::string uid(reinterpret_cast<const char *>(header + offset + 8), length);
        while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
        if (DcmXfer(uid.c_str()).getXfer() == EXS_Unknown && !dcmshim::isHTJ2KSyntax(uid)) {
            throw Failure(DCMSHIM_ERR_UNSUPPORTED_TRANSFER_SYNTAX, "unknown transfer syntax " + uid);
        }
        return uid;
    }
    return std::string();
}

// ---- open / close ----------------------------------------------------------------------------------

dcmshim_status dcmshim_open_file(const char *path, const dcmshim_limits *limits, dcmshim_file **out,
                                 char *message, size_t capacity) {
    if (out) *out = nullptr;
    if (!path || !out) return report(Failure(DCMSHIM_ERR_INTERNAL, "null argument"), message, capacity);
    registerCodecsOnce();
    dcmshim_file *file = nullptr;
    dcmshim_status status = guarded(message, capacity, [&] {
        dcmshim_limits effective = effectiveLimits(limits);
        std::string metaSyntax = checkPart10Header(path, effective);
        file = new dcmshim_file();
        file->limits = effective;
        // Values over 4 KiB (pixel data, above all) stay on disk until they are used. DCMTK 3.6.7 does not
        // know the HTJ2K syntaxes and would refuse the file; their data set is explicit VR little endian,
        // which it is told (the meta group was read by us already and is read again by DCMTK).
        bool htj2k = dcmshim::isHTJ2KSyntax(metaSyntax);
        OFCondition condition = file->format.loadFile(OFFilename(path), htj2k ? EXS_LittleEndianExplicit : EXS_Unknown,
                                                      EGL_noChange, 4096, htj2k ? ERM_autoDetect : ERM_fileOnly);
        if (condition.bad()) {
            // DCMTK's words for a short file ("I/O suspension or premature end of stream") name its
            // stream, not the problem.
            dcmshim_status status = statusForCondition(condition);
            throw Failure(status, status == DCMSHIM_ERR_TRUNCATED
                                      ? std::string("the file is truncated: it ends inside a data element")
                                      : std::string("cannot parse the DICOM file: ") + condition.text());
        }
        E_TransferSyntax xfer = file->format.getDataset()->getOriginalXfer();
        const char *uid = nullptr;
        if (file->format.getMetaInfo()->findAndGetString(DCM_TransferSyntaxUID, uid).good() && uid) {
            file->transferSyntax = uid;
        } else {
            file->transferSyntax = DcmXfer(xfer).getXferID();
        }
    });
    if (status != DCMSHIM_OK) {
        delete file;
        return status;
    }
    *out = file;
    return DCMSHIM_OK;
}

void dcmshim_close(dcmshim_file *file) {
    try {
        delete file;
    } catch (...) {
    }
}

const char *dcmshim_transfer_syntax(const dcmshim_file *file) {
    return file ? file->transferSyntax.c_str() : "";
}

// ---- attribute walk --------------------------------------------------------------------------------

namespace {

/// Deeper than any real object (enhanced multi-frame objects nest about five levels).
constexpr unsigned kMaxWalkDepth = 64;

struct Walker {
    uint32_t bulkThreshold;
    dcmshim_visitor visitor;
    void *context;
    bool stopped = false;

    void emit(dcmshim_event event, const dcmshim_element *element) {
        if (!stopped && visitor(context, event, element) != 0) stopped = true;
    }

    static void describe(DcmObject *object, dcmshim_element &out) {
        std::memset(&out, 0, sizeof out);
        out.group = object->getGTag();
        out.element = object->getETag();
        DcmVR vr(object->getVR());
        const char *name = vr.getValidVRName();
        out.vr[0] = name && name[0] ? name[0] : 'U';
        out.vr[1] = name && name[0] ? name[1] : 'N';
        out.length = object->getLengthField();
    }

    // Iterates with nextInContainer, which steps the container's list from where it stands (O(1) per
    // step), never by index: DCMTK's getElement(i) / getItem(i) walk the list from its head each time.
    void walkItem(DcmItem *item, unsigned depth) {
        for (DcmObject *object = item->nextInContainer(nullptr); object && !stopped; object = item->nextInContainer(object)) {
            walkElement(static_cast<DcmElement *>(object), depth);
        }
    }

    void walkElement(DcmElement *element, unsigned depth) {
        dcmshim_element out;
        describe(element, out);
        if (element->ident() == EVR_SQ) {
            // Bounded recursion: the caller's scanner refuses deeper files before DCMTK parses them,
            // and this check keeps the walker safe on its own.
            if (depth >= kMaxWalkDepth) {
                throw Failure(DCMSHIM_ERR_LIMIT_EXCEEDED, "sequences are nested more than " + std::to_string(kMaxWalkDepth) + " deep");
            }
            emit(DCMSHIM_EVENT_SEQUENCE_BEGIN, &out);
            auto *sequence = static_cast<DcmSequenceOfItems *>(element);
            for (DcmObject *item = sequence->nextInContainer(nullptr); item && !stopped; item = sequence->nextInContainer(item)) {
                emit(DCMSHIM_EVENT_ITEM_BEGIN, nullptr);
                walkItem(static_cast<DcmItem *>(item), depth + 1);
                emit(DCMSHIM_EVENT_ITEM_END, nullptr);
            }
            emit(DCMSHIM_EVENT_SEQUENCE_END, &out);
            return;
        }
        bool isPixelData = element->getTag() == DCM_PixelData || element->getTag() == DCM_FloatPixelData ||
                           element->getTag() == DCM_DoubleFloatPixelData;
        if (isPixelData || element->getLengthField() == DCM_UndefinedLength ||
            element->getLength() > bulkThreshold) {
            out.is_bulk = 1;
            emit(DCMSHIM_EVENT_ELEMENT, &out);
            return;
        }
        if (element->isaString()) {
            OFString text;
            if (element->getOFStringArray(text, OFTrue).good()) {
                out.is_string = 1;
                out.value = text.c_str();
                out.value_size = text.length();
            }
            emit(DCMSHIM_EVENT_ELEMENT, &out);
            return;
        }
        // Binary values: DCMTK keeps them in host byte order once loaded.
        void *bytes = nullptr;
        OFCondition condition = EC_IllegalCall;
        switch (element->ident()) {
        case EVR_US: case EVR_xs: case EVR_lt: case EVR_ox: case EVR_OW: case EVR_AT: {
            Uint16 *values = nullptr; condition = element->getUint16Array(values); bytes = values; break;
        }
        case EVR_SS: { Sint16 *values = nullptr; condition = element->getSint16Array(values); bytes = values; break; }
        case EVR_UL: case EVR_OL: { Uint32 *values = nullptr; condition = element->getUint32Array(values); bytes = values; break; }
        case EVR_SL: { Sint32 *values = nullptr; condition = element->getSint32Array(values); bytes = values; break; }
        case EVR_FL: case EVR_OF: { Float32 *values = nullptr; condition = element->getFloat32Array(values); bytes = values; break; }
        case EVR_FD: case EVR_OD: { Float64 *values = nullptr; condition = element->getFloat64Array(values); bytes = values; break; }
        case EVR_SV: { Sint64 *values = nullptr; condition = element->getSint64Array(values); bytes = values; break; }
        case EVR_UV: case EVR_OV: { Uint64 *values = nullptr; condition = element->getUint64Array(values); bytes = values; break; }
        default: { Uint8 *values = nullptr; condition = element->getUint8Array(values); bytes = values; break; }
        }
        if (condition.good() && bytes) {
            out.value = bytes;
            out.value_size = element->getLength();
        }
        emit(DCMSHIM_EVENT_ELEMENT, &out);
    }
};

}  // namespace

dcmshim_status dcmshim_walk(dcmshim_file *file, int include_meta, uint32_t bulk_threshold,
                            dcmshim_visitor visitor, void *context, char *message, size_t capacity) {
    if (!file || !visitor) return report(Failure(DCMSHIM_ERR_INTERNAL, "null argument"), message, capacity);
    return guarded(message, capacity, [&] {
        // Text is handed over as UTF-8 whatever the Specific Character Set; unknown sets stay as they are.
        if (!file->convertedToUTF8) {
            file->convertedToUTF8 = true;
            (void)file->format.convertToUTF8();
        }
        Walker walker{bulk_threshold, visitor, context};
        if (include_meta) walker.walkItem(file->format.getMetaInfo(), 0);
        walker.walkItem(file->format.getDataset(), 0);
    });
}

// ---- pixel data ------------------------------------------------------------------------------------

dcmshim_status dcmshim_frame_info_get(dcmshim_file *file, dcmshim_frame_info *info, char *message,
                                      size_t capacity) {
    if (!file || !info) return report(Failure(DCMSHIM_ERR_INTERNAL, "null argument"), message, capacity);
    return guarded(message, capacity, [&] { *info = dcmshim::readFrameInfo(*file->format.getDataset(), file->limits); });
}

dcmshim_status dcmshim_decode_frame(dcmshim_file *file, uint32_t frame_index, void *buffer, size_t capacity,
                                    dcmshim_frame_info *decoded, char *message, size_t message_capacity) {
    return dcmshim_decode_frame_with(file, frame_index, nullptr, buffer, capacity, decoded, message, message_capacity);
}

dcmshim_status dcmshim_decode_frame_with(dcmshim_file *file, uint32_t frame_index, const dcmshim_decode_options *options,
                                         void *buffer, size_t capacity, dcmshim_frame_info *decoded, char *message,
                                         size_t message_capacity) {
    if (!file || !buffer || !decoded) {
        return report(Failure(DCMSHIM_ERR_INTERNAL, "null argument"), message, message_capacity);
    }
    dcmshim_decode_options effective = options ? *options : dcmshim_decode_options{0, 0};
    return guarded(message, message_capacity, [&] {
        *decoded = dcmshim::decodeFrame(*file->format.getDataset(), file->limits, file->transferSyntax, frame_index,
                                        static_cast<uint8_t *>(buffer), capacity, file->fragments, effective);
    });
}

dcmshim_status dcmshim_encapsulated_frame(dcmshim_file *file, uint32_t frame_index, void *buffer, size_t *size,
                                          char *message, size_t capacity) {
    if (!file || !size) return report(Failure(DCMSHIM_ERR_INTERNAL, "null argument"), message, capacity);
    return guarded(message, capacity, [&] {
        std::vector<uint8_t> bytes =
            dcmshim::encapsulatedFrame(*file->format.getDataset(), file->limits, frame_index, file->fragments);
        if (buffer) {
            if (*size < bytes.size()) throw Failure(DCMSHIM_ERR_BUFFER_TOO_SMALL, "buffer too small for the frame");
            std::memcpy(buffer, bytes.data(), bytes.size());
        }
        *size = bytes.size();
    });
}

dcmshim_status dcmshim_encode_frame(const dcmshim_frame_info *layout, const void *pixels, size_t size,
                                    dcmshim_encoding target, int quality, uint8_t **out, size_t *out_size,
                                    char *message, size_t capacity) {
    if (!layout || !pixels || !out || !out_size) return report(Failure(DCMSHIM_ERR_INTERNAL, "null argument"), message, capacity);
    *out = nullptr;
    *out_size = 0;
    registerCodecsOnce();
    return guarded(message, capacity, [&] {
        std::vector<uint8_t> bytes = dcmshim::encodeFrame(*layout, static_cast<const uint8_t *>(pixels), size, target, quality);
        auto *copy = static_cast<uint8_t *>(std::malloc(bytes.size()));
        if (!copy) throw std::bad_alloc();
        std::memcpy(copy, bytes.data(), bytes.size());
        *out = copy;
        *out_size = bytes.size();
    });
}

void dcmshim_free(void *bytes) { std::free(bytes); }
