/* Decimal and hex text of integers for the native paths, in place of snprintf.
 *
 * Under the sustained load (`make bench-load`) glibc's printf machinery (__vfprintf_internal,
 * _IO_default_xsputn, _itoa_word, strchrnul) was ~4 % of the gateway's CPU (perf, 2026-12-03):
 * some fifteen snprintf calls an order (the templates' integer values and BodyLength, prices,
 * the venue ClOrdID, the file store's record head). These write the same bytes with a digit
 * loop. Each returns the length written; none writes a terminating NUL. The buffers the callers
 * pass hold at least 24 bytes a number (20 digits and a sign). */
#ifndef WIRESPEED_FMT_H
#define WIRESPEED_FMT_H

#include <string.h>

/* "%llu" */
static inline int fmt_u64(char *out, unsigned long long v) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (int k = 0; k < n; k++) out[k] = tmp[n - 1 - k];
    return n;
}

/* "%lld" */
static inline int fmt_i64(char *out, long long v) {
    if (v >= 0) return fmt_u64(out, (unsigned long long)v);
    out[0] = '-';
    return 1 + fmt_u64(out + 1, 0ULL - (unsigned long long)v);
}

/* "%0*llu": at least ``width`` digits, zero-padded */
static inline int fmt_u64_pad(char *out, unsigned long long v, int width) {
    char tmp[24];
    int n = fmt_u64(tmp, v), k = 0;
    for (; k < width - n; k++) out[k] = '0';
    memcpy(out + k, tmp, n);
    return k + n;
}

/* "%llu.%0*llu" of (whole, frac, places): a fixed-point number with exactly ``places`` decimals */
static inline int fmt_fixed(char *out, unsigned long long whole, unsigned long long frac, int places) {
    int n = fmt_u64(out, whole);
    out[n++] = '.';
    return n + fmt_u64_pad(out + n, frac, places);
}

/* TickSize.format of ``ticks`` (units a tick, decimals) for 0 <= ticks * units < 2**63: the length
 * written (at most 21 bytes), or -1 for any other (not handled here: the caller's Python renders it).
 * fix.c's OrderValues and path.c's venue values both write a price through this. */
static inline int fmt_ticks(char *out, long long ticks, unsigned long long units, long decimals) {
    if (ticks < 0 || decimals < 0 || decimals > 9 || units == 0) return -1;
    unsigned __int128 scaled = (unsigned __int128)ticks * units;
    if (scaled >> 63) return -1;
    unsigned long long v = (unsigned long long)scaled, p = 1;
    if (decimals == 0) return fmt_u64(out, v);
    for (long k = 0; k < decimals; k++) p *= 10;
    return fmt_fixed(out, v / p, v % p, (int)decimals);
}

/* "%08llX": upper-case hex, at least eight digits */
static inline int fmt_hex08(char *out, unsigned long long v) {
    static const char digits[] = "0123456789ABCDEF";
    char tmp[16];
    int n = 0;
    do { tmp[n++] = digits[v & 15]; v >>= 4; } while (v);
    int k = 0;
    for (; k < 8 - n; k++) out[k] = '0';
    for (int j = 0; j < n; j++) out[k + j] = tmp[n - 1 - j];
    return k + n;
}

#endif
