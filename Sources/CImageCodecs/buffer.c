#include "buffer.h"

#include <stdlib.h>
#include <string.h>

void cimg_buffer_free(cimg_buffer *buffer) {
    if (!buffer) return;
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
    buffer->capacity = 0;
}

int cimg_buffer_append(cimg_buffer *buffer, const void *bytes, size_t count) {
    if (count > SIZE_MAX - buffer->size) return 0;
    size_t needed = buffer->size + count;
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < needed) capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        uint8_t *grown = realloc(buffer->data, capacity);
        if (!grown) return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, count);
    buffer->size = needed;
    return 1;
}

void cimg_set_message(char *message, size_t capacity, const char *text) {
    if (!message || capacity == 0) return;
    strncpy(message, text ? text : "", capacity - 1);
    message[capacity - 1] = '\0';
}
