/* The stamp ring's layout, shared by its writers (book.h, in path.c) and its drain (hist.c ``drain``);
 * gateway/native/hist.py ``StampRing`` owns it and reads it the same way where C does not.
 *
 * The ring is a bytearray of 64-bit words: word 0 the words used, word 1 the capacity (the words
 * after the two of the head), then the entries, packed, in the order they were written:
 *   a hop:           (gid << 1) | 0, ns                    gid: ("hop", venue, client) in the names
 *   an order's stamps: (gid << 1) | 1, t0, t1, t2, t3      gid: ("client->venue", venue, client)
 * The C paths write integers here instead of appending one Python tuple a hop to the gateway's
 * lists, so the 50-ms drain counts words, not cold tuples (docs/gateway/order_path.md). */
#ifndef WIRESPEED_STAMP_RING_H
#define WIRESPEED_STAMP_RING_H
#include <stdint.h>

#define RING_HEAD 2
#define RING_HOP_WORDS 2
#define RING_STAMP_WORDS 5

/* the ring's words (NULL: not a ring: too short, a capacity past its length, more used than that) */
static inline int64_t *ring_words(const Py_buffer *view) {
    if (view->len < (Py_ssize_t)(RING_HEAD * 8) || view->len % 8) return NULL;
    int64_t *w = (int64_t *)view->buf;
    if (w[1] < 0 || w[1] > (int64_t)(view->len / 8 - RING_HEAD) || w[0] < 0 || w[0] > w[1]) return NULL;
    return w;
}
#endif
