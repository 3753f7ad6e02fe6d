// glibc's allocator thresholds (mallopt is declared in <malloc.h>, which Swift's Glibc module leaves out).
#include "CImageCodecs.h"

#include <malloc.h>

void cimg_set_allocator_thresholds(int mmap_threshold, int trim_threshold) {
#ifdef M_MMAP_THRESHOLD
    (void)mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    (void)mallopt(M_TRIM_THRESHOLD, trim_threshold);
#else
    (void)mmap_threshold;
    (void)trim_threshold;
#endif
}
