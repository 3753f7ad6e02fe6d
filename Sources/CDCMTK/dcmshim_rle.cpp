// RLE Lossless (PS3.5 Annex G) decoded here rather than by DCMTK: DCMTK 3.6.7's DcmRLEDecoder reads out
// of bounds when a segment offset in the RLE header points past the fragment (found by our mutation
// fuzzer). This decoder checks every offset and length, and writes colour-by-pixel output.
#include "dcmshim_internal.h"

#include <cstring>
#include <string>

namespace dcmshim {

namespace {

uint32_t readUint32(const uint8_t *bytes) {
    return uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 | uint32_t(bytes[2]) << 16 | uint32_t(bytes[3]) << 24;
}

/// PackBits (G.3.1): n in 0…127 copies n + 1 literal bytes, n in −127…−1 repeats the next byte 1 − n
/// times, −128 does nothing. Output goes to every `stride`-th byte from `target`; stops when full (a
/// run that overshoots the end is clipped, as other decoders do).
void unpackSegment(const uint8_t *source, size_t size, uint8_t *target, size_t count, size_t stride, int segment) {
    size_t in = 0, out = 0;
    while (out < count) {
        if (in >= size) {
            throw Failure(DCMSHIM_ERR_DECODE, "RLE segment " + std::to_string(segment + 1) + " ends after " +
                                                  std::to_string(out) + " of " + std::to_string(count) + " bytes");
        }
        int header = int8_t(source[in++]);
        if (header >= 0) {
            size_t run = size_t(header) + 1;
            if (in + run > size) throw Failure(DCMSHIM_ERR_DECODE, "an RLE literal run overruns its segment");
            size_t kept = run < count - out ? run : count - out;
            for (size_t index = 0; index < kept; ++index) target[(out++) * stride] = source[in + index];
            in += run;
        } else if (header != -128) {
            size_t run = size_t(1 - header);
            if (in >= size) throw Failure(DCMSHIM_ERR_DECODE, "an RLE replicate run has no value byte");
            uint8_t value = source[in++];
            size_t kept = run < count - out ? run : count - out;
            for (size_t index = 0; index < kept; ++index) target[(out++) * stride] = value;
        }
    }
}

}  // namespace

void decodeRLE(const std::vector<uint8_t> &frame, dcmshim_frame_info &info, uint8_t *buffer, size_t capacity) {
    size_t bytesPerSample = info.bits_allocated / 8;
    if (bytesPerSample == 0) throw Failure(DCMSHIM_ERR_UNSUPPORTED_PIXEL_FORMAT, "RLE with 1-bit samples is not supported");
    size_t samples = info.samples_per_pixel, pixels = size_t(info.rows) * info.columns;
    size_t expectedSegments = samples * bytesPerSample;
    if (capacity < pixels * expectedSegments) throw Failure(DCMSHIM_ERR_BUFFER_TOO_SMALL, "buffer too small for the RLE frame");
    if (frame.size() < 64) throw Failure(DCMSHIM_ERR_DECODE, "the RLE frame is shorter than its 64-byte header");
    uint32_t segments = readUint32(frame.data());
    if (segments != expectedSegments) {
        throw Failure(DCMSHIM_ERR_DECODE, "the RLE header lists " + std::to_string(segments) + " segments, the image needs " +
                                              std::to_string(expectedSegments));
    }
    uint32_t offsets[16];
    for (uint32_t index = 0; index < segments; ++index) {
        offsets[index] = readUint32(frame.data() + 4 + 4 * index);
        if (offsets[index] < 64 || offsets[index] > frame.size() || (index > 0 && offsets[index] < offsets[index - 1])) {
            throw Failure(DCMSHIM_ERR_DECODE, "RLE segment " + std::to_string(index + 1) + " has an invalid offset " +
                                                  std::to_string(offsets[index]));
        }
    }
    // Segment order (G.2): for each sample, its bytes from most to least significant.
    for (uint32_t segment = 0; segment < segments; ++segment) {
        size_t sample = segment / bytesPerSample, byteFromTop = segment % bytesPerSample;
        size_t byteOffset = bytesPerSample - 1 - byteFromTop;  // little-endian host order
        size_t end = segment + 1 < segments ? offsets[segment + 1] : frame.size();
        unpackSegment(frame.data() + offsets[segment], end - offsets[segment], buffer + sample * bytesPerSample + byteOffset,
                      pixels, samples * bytesPerSample, int(segment));
    }
    info.planar_configuration = 0;
    info.frame_bytes = pixels * expectedSegments;
}

}  // namespace dcmshim
