/* The parser fast path's frame check, one implementation for fix.c's frame_ok and path.c's fast
 * path (which calls it without a Python call): whether the frame d[start:end] has the BodyLength
 * it states (its ``length`` bytes from ``body_start`` end where "10=xxx|" begins, and that is the
 * frame's end) and the CheckSum it states (the sum of every byte before "10="). */
#ifndef WIRESPEED_FRAME_CHECK_H
#define WIRESPEED_FRAME_CHECK_H

static int frame_bytes_ok(const unsigned char *d, Py_ssize_t n, Py_ssize_t start, Py_ssize_t end,
                          Py_ssize_t body_start, Py_ssize_t length) {
    Py_ssize_t trailer = body_start + length;   /* where "10=" must be */
    if (start < 0 || body_start < start || length < 1 || end > n || trailer + 7 != end) return 0;
    if (d[trailer - 1] != 1 || d[trailer] != '1' || d[trailer + 1] != '0' || d[trailer + 2] != '=' ||
        d[trailer + 6] != 1)
        return 0;
    unsigned sum = 0;
    for (Py_ssize_t k = start; k < trailer; k++) sum += d[k];
    sum &= 0xFF;
    return d[trailer + 3] == '0' + sum / 100 && d[trailer + 4] == '0' + sum / 10 % 10 &&
           d[trailer + 5] == '0' + sum % 10;
}

#endif
