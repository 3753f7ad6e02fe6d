// Internal C++ declarations shared by the shim's translation units. Never included from Swift.
#ifndef DCMSHIM_INTERNAL_H
#define DCMSHIM_INTERNAL_H

#include "CDCMTK.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

class DcmItem;
class DcmPixelItem;
class DcmPixelSequence;

namespace dcmshim {

/// Thrown inside the shim and turned into a status + message at the C boundary.
struct Failure {
    dcmshim_status status;
    std::string message;
    Failure(dcmshim_status s, std::string m) : status(s), message(std::move(m)) {}
};

/// The fragments of encapsulated pixel data in order (index 0 is the Basic Offset Table) and the index
/// of each frame's first fragment. Built once per object by one pass over the sequence.
struct FragmentMap {
    bool built = false;
    std::vector<DcmPixelItem *> items;
    std::vector<size_t> starts;
};

dcmshim_frame_info readFrameInfo(DcmItem &dataset, const dcmshim_limits &limits);

dcmshim_frame_info decodeFrame(DcmItem &dataset, const dcmshim_limits &limits, const std::string &transferSyntax,
                               uint32_t frameIndex, uint8_t *buffer, size_t capacity, FragmentMap &fragments,
                               const dcmshim_decode_options &options);

/// The HTJ2K transfer syntaxes (1.2.840.10008.1.2.4.201–203), which DCMTK 3.6.7 does not know.
bool isHTJ2KSyntax(const std::string &uid);

std::vector<uint8_t> encapsulatedFrame(DcmItem &dataset, const dcmshim_limits &limits, uint32_t frameIndex,
                                       FragmentMap &fragments);

/// Decodes a JPEG 2000 or HTJ2K codestream (or JP2 file) with OpenJPEG into `buffer`, laid out as `info` says;
/// `info` is updated to what was decoded (smaller when `options` reduce the resolution).
void decodeJPEG2000(const std::vector<uint8_t> &codestream, dcmshim_frame_info &info, uint8_t *buffer,
                    size_t capacity, const dcmshim_decode_options &options);


/// Encodes one decoded frame (see dcmshim_encode_frame).
std::vector<uint8_t> encodeFrame(const dcmshim_frame_info &layout, const uint8_t *pixels, size_t size,
                                 dcmshim_encoding target, int quality);

/// Decodes one RLE Lossless frame (all its fragments, concatenated) into `buffer`, colour-by-pixel.
void decodeRLE(const std::vector<uint8_t> &frame, dcmshim_frame_info &info, uint8_t *buffer, size_t capacity);

}  // namespace dcmshim

#endif
