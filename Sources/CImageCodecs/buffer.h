// Internal helpers shared by the encoders.
#ifndef CIMG_BUFFER_H
#define CIMG_BUFFER_H

#include "CImageCodecs.h"

/// Appends bytes, growing geometrically. Returns 0 when memory runs out.
int cimg_buffer_append(cimg_buffer *buffer, const void *bytes, size_t count);

void cimg_set_message(char *message, size_t capacity, const char *text);

#endif
