/* HDR histogram recording in C: many values into an ``hdrh.HdrHistogram``'s own counts array in
 * one call (gateway/native/hist.py, docs/gateway/latency.md).
 *
 * The counts array stays the hdrh package's (a ctypes uint64 array exported through the buffer
 * protocol), so every reader -- percentiles, encode, add, the report, Prometheus -- sees exactly
 * what one ``record_value`` per value would have left; only the per-value Python is gone. The
 * index arithmetic is HdrHistogram's (bucket = power of two above the sub-bucket mask, sub-bucket =
 * the value's top bits); values are clamped to [lowest, highest] as LatencyRecorder.record clamps.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include "stamp_ring.h"

/* the counts array is the hdrh package's: 64-bit unsigned counters (ctypes' uint64 exports "<Q" or "<L") */
static int counts_are_u64(const Py_buffer *view) {
    const char *f = view->format;
    return view->itemsize == 8 && f != NULL && !(strcmp(f, "<Q") && strcmp(f, "Q") && strcmp(f, "<L") && strcmp(f, "L"));
}

/* HdrHistogram's index of a value v >= 1 in the counts of a histogram of that shape (``mask`` its
 * sub-bucket mask: ((1 << (half_mag + 1)) - 1) << unit_mag); the caller checks it against the length */
static inline Py_ssize_t counts_index(long long v, uint64_t mask, int unit_mag, int half_mag) {
    int pow2ceiling = 64 - __builtin_clzll((uint64_t)v | mask);
    int bucket = pow2ceiling - unit_mag - (half_mag + 1);
    long long sub = v >> (bucket + unit_mag);
    return ((Py_ssize_t)(bucket + 1) << half_mag) + (Py_ssize_t)(sub - ((long long)1 << half_mag));
}

static PyObject *
hist_record(PyObject *self, PyObject *args)
{
    PyObject *counts_obj, *values;
    int unit_mag, half_mag;
    long long lowest, highest;
    if (!PyArg_ParseTuple(args, "OOiiLL:record", &counts_obj, &values, &unit_mag, &half_mag, &lowest, &highest))
        return NULL;
    if (unit_mag < 0 || unit_mag > 62 || half_mag < 0 || half_mag > 30 || lowest < 1 || highest < lowest) {
        PyErr_Format(PyExc_ValueError, "record: bad histogram shape (unit_magnitude %d, "
                     "sub_bucket_half_count_magnitude %d, range %lld..%lld)", unit_mag, half_mag, lowest, highest);
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(counts_obj, &view, PyBUF_WRITABLE | PyBUF_FORMAT) < 0)
        return NULL;
    if (!counts_are_u64(&view)) {
        PyErr_Format(PyExc_TypeError, "record: counts must be 64-bit unsigned counters, not format %s size %zd",
                     view.format ? view.format : "?", view.itemsize);
        PyBuffer_Release(&view);
        return NULL;
    }
    uint64_t *counts = (uint64_t *)view.buf;
    Py_ssize_t counts_len = view.len / 8;
    PyObject *seq = PySequence_Fast(values, "record: values must be a sequence of ints");
    if (seq == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    const uint64_t mask = (((uint64_t)1 << (half_mag + 1)) - 1) << unit_mag;
    long long vmin = INT64_MAX, vmax = 0;
    Py_ssize_t recorded = 0;
    /* Convert (and clamp) every value first: a bad one leaves the histogram untouched. */
    long long *vals = PyMem_Malloc((n ? n : 1) * sizeof(long long));
    if (vals == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(items[i], &overflow);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Format(PyExc_TypeError, "record: value %zd is not an int", i);
            PyMem_Free(vals);
            goto fail;
        }
        if (overflow > 0 || v > highest)
            v = highest;
        else if (overflow < 0 || v < lowest)
            v = lowest;
        vals[i] = v;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long long v = vals[i];
        Py_ssize_t idx = counts_index(v, mask, unit_mag, half_mag);
        if (idx < 0 || idx >= counts_len)   /* (the clamp keeps it in range for a matching shape) */
            continue;
        counts[idx] += 1;
        recorded++;
        if (v < vmin) vmin = v;
        if (v > vmax) vmax = v;
    }
    PyMem_Free(vals);
    Py_DECREF(seq);
    PyBuffer_Release(&view);
    return Py_BuildValue("nLL", recorded, vmin, vmax);
fail:
    Py_DECREF(seq);
    PyBuffer_Release(&view);
    return NULL;
}

/* group(buf, stamps) -> (decode, risk, groups) or None: OrderGateway.drain_latency's grouping of
 * the buffered hops, one loop in C instead of a Python iteration (and a list append) per value:
 * ``decode`` and ``risk`` the stamps' t1 - t0 and t2 - t1 (None without stamps), ``groups`` a dict
 * (hop, venue, client) -> [ns, ...] in the order the keys first occur: every (hop, venue, client,
 * ns) of buf, then ("client->venue", venue, client) -> t3 - t0 of each stamp (t0, t1, t2, t3,
 * venue, client) with a t3. None (nothing made) for an item of another shape: Python's loop. */
static PyObject *S_client_venue;

static int group_add(PyObject *groups, PyObject **last_key, PyObject **last_list, PyObject *hop, PyObject *venue,
                     PyObject *client, PyObject *ns) {
    PyObject *k = *last_key;
    if (k == NULL || PyTuple_GET_ITEM(k, 0) != hop || PyTuple_GET_ITEM(k, 1) != venue || PyTuple_GET_ITEM(k, 2) != client) {
        PyObject *key = PyTuple_Pack(3, hop, venue, client);
        if (key == NULL) return -1;
        PyObject *list = PyDict_GetItemWithError(groups, key);
        if (list == NULL) {
            if (PyErr_Occurred() || (list = PyList_New(0)) == NULL) { Py_DECREF(key); return -1; }
            if (PyDict_SetItem(groups, key, list)) { Py_DECREF(key); Py_DECREF(list); return -1; }
            Py_DECREF(list);
        }
        Py_XSETREF(*last_key, key);
        *last_list = list;     /* (borrowed: the dict holds it) */
    }
    return PyList_Append(*last_list, ns);
}

static PyObject *hist_group(PyObject *mod, PyObject *args) {
    PyObject *buf, *stamps;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &buf, &PyList_Type, &stamps)) return NULL;
    Py_ssize_t nb = PyList_GET_SIZE(buf), ns = PyList_GET_SIZE(stamps);
    for (Py_ssize_t i = 0; i < nb; i++) {
        PyObject *it = PyList_GET_ITEM(buf, i);
        if (!PyTuple_CheckExact(it) || PyTuple_GET_SIZE(it) != 4) Py_RETURN_NONE;
    }
    for (Py_ssize_t i = 0; i < ns; i++) {
        PyObject *it = PyList_GET_ITEM(stamps, i);
        if (!PyTuple_CheckExact(it) || PyTuple_GET_SIZE(it) != 6) Py_RETURN_NONE;
    }
    if (S_client_venue == NULL && (S_client_venue = PyUnicode_InternFromString("client->venue")) == NULL) return NULL;
    PyObject *groups = PyDict_New(), *dec = ns ? PyList_New(ns) : Py_NewRef(Py_None),
             *risk = ns ? PyList_New(ns) : Py_NewRef(Py_None), *last = NULL, *out = NULL;
    PyObject *list = NULL;
    if (groups == NULL || dec == NULL || risk == NULL) goto done;
    for (Py_ssize_t i = 0; i < nb; i++) {
        PyObject *it = PyList_GET_ITEM(buf, i);
        if (group_add(groups, &last, &list, PyTuple_GET_ITEM(it, 0), PyTuple_GET_ITEM(it, 1), PyTuple_GET_ITEM(it, 2),
                      PyTuple_GET_ITEM(it, 3)))
            goto done;
    }
    for (Py_ssize_t i = 0; i < ns; i++) {      /* decode, risk (by_hop's first two, as Python made them) */
        PyObject *it = PyList_GET_ITEM(stamps, i);
        PyObject *d = PyNumber_Subtract(PyTuple_GET_ITEM(it, 1), PyTuple_GET_ITEM(it, 0));
        if (d == NULL) goto done;
        PyList_SET_ITEM(dec, i, d);
        PyObject *r = PyNumber_Subtract(PyTuple_GET_ITEM(it, 2), PyTuple_GET_ITEM(it, 1));
        if (r == NULL) goto done;
        PyList_SET_ITEM(risk, i, r);
    }
    for (Py_ssize_t i = 0; i < ns; i++) {
        PyObject *it = PyList_GET_ITEM(stamps, i), *t3 = PyTuple_GET_ITEM(it, 3);
        int yes = PyObject_IsTrue(t3);
        if (yes < 0) goto done;
        if (!yes) continue;
        PyObject *v = PyNumber_Subtract(t3, PyTuple_GET_ITEM(it, 0));
        if (v == NULL) goto done;
        int bad = group_add(groups, &last, &list, S_client_venue, PyTuple_GET_ITEM(it, 4), PyTuple_GET_ITEM(it, 5), v);
        Py_DECREF(v);
        if (bad) goto done;
    }
    out = PyTuple_Pack(3, dec, risk, groups);
done:
    Py_XDECREF(groups); Py_XDECREF(dec); Py_XDECREF(risk); Py_XDECREF(last);
    return out;
}

/* drain(buf, stamps, histogram, lowest, highest[, ring]) -> True, or None (nothing recorded): the whole of
 * OrderGateway.drain_latency in one pass, no per-value lists: each value of buf (hop, venue,
 * client, ns) and of the stamps (decode t1 - t0, risk t2 - t1, client->venue t3 - t0 where t3), and
 * of the stamp ring's words (stamp_ring.h: its hops after buf's, its stamps after the list's, as
 * hist.py's StampRing.take hands them to Python; the ring emptied once they are counted), is
 * counted straight into the counts of its histograms (hop, "hop @venue", "hop client"; the hop alone
 * without a venue), which ``histogram(name)`` gives (LatencyRecorder.histogram: made on first use),
 * called in the order Python's grouping makes them: decode and risk first (with stamps), then each
 * group's names as its key first occurs, buf's before the stamps'. Each value clamped to its
 * histogram's [max(lowest, its lowest), min(highest, its highest)] as record_many clamps, its
 * total_count, min_value and max_value moved as record_many moves them. None before anything is
 * counted for an item of another shape, a value that is not an int of 64 bits, a name that is not a
 * str, a histogram that is not 64-bit counts: Python's drain (make bench-load: 2.3 ms a 50-ms drain
 * with hist.group and record_many, docs/gateway/order_path.md). */
typedef struct {
    PyObject *hist;         /* (a reference held for the call) */
    Py_buffer view;
    uint64_t *counts;
    Py_ssize_t len;
    int unit_mag, half_mag;
    long long lo, hi, vmin, vmax;
    Py_ssize_t n;
} Target;

typedef struct { Target *t; Py_ssize_t nt, cap; PyObject *by_name; } Targets;

/* the histogram attributes the drain reads and sets, interned once (a C-string lookup makes a str
 * each time: ~100 histograms x 9 attributes a 50-ms drain) */
enum { A_WORD_SIZE, A_UNIT_MAG, A_HALF_MAG, A_LOWEST, A_HIGHEST, A_COUNTS, A_TOTAL, A_MIN, A_MAX, NATTR };
static PyObject *A[NATTR];
static int attr_names(void) {
    const char *n[NATTR] = {"word_size", "unit_magnitude", "sub_bucket_half_count_magnitude", "lowest_trackable_value",
                            "highest_trackable_value", "counts", "total_count", "min_value", "max_value"};
    for (int k = 0; k < NATTR; k++)
        if (A[k] == NULL && (A[k] = PyUnicode_InternFromString(n[k])) == NULL) return -1;
    return 0;
}

/* the index of the histogram named ``name`` (made through ``histogram``), -1 error, -2 not one we can count into */
static Py_ssize_t target_of(Targets *ts, PyObject *histogram, PyObject *name, long long lowest, long long highest) {
    PyObject *ix = PyDict_GetItemWithError(ts->by_name, name);
    if (ix != NULL) return PyLong_AsSsize_t(ix);
    if (PyErr_Occurred()) return -1;
    if (ts->nt == ts->cap) {
        Py_ssize_t cap = ts->cap ? 2 * ts->cap : 64;
        Target *t = PyMem_Realloc(ts->t, cap * sizeof(Target));
        if (t == NULL) { PyErr_NoMemory(); return -1; }
        ts->t = t, ts->cap = cap;
    }
    PyObject *h = PyObject_CallOneArg(histogram, name);     /* (held until the call's end) */
    if (h == NULL) return -1;
    Target *t = &ts->t[ts->nt];
    memset(t, 0, sizeof *t);
    t->hist = h;
    Py_ssize_t rc = -2;
    long long got[5];
    if (attr_names()) { rc = -1; goto fail; }
    for (int k = 0; k < 5; k++) {
        PyObject *v = PyObject_GetAttr(h, A[A_WORD_SIZE + k]);
        if (v == NULL) { rc = -1; goto fail; }
        got[k] = PyLong_AsLongLong(v);
        Py_DECREF(v);
        if (got[k] == -1 && PyErr_Occurred()) { PyErr_Clear(); goto fail; }
    }
    if (got[0] != 8 || got[1] < 0 || got[1] > 62 || got[2] < 0 || got[2] > 30) goto fail;
    t->unit_mag = (int)got[1], t->half_mag = (int)got[2];
    t->lo = got[3] > lowest ? got[3] : lowest;
    t->hi = got[4] < highest ? got[4] : highest;
    if (t->lo < 1 || t->hi < t->lo) goto fail;
    PyObject *counts = PyObject_GetAttr(h, A[A_COUNTS]);
    if (counts == NULL) { rc = -1; goto fail; }
    int bad = PyObject_GetBuffer(counts, &t->view, PyBUF_WRITABLE | PyBUF_FORMAT);
    Py_DECREF(counts);
    if (bad) { PyErr_Clear(); goto fail; }
    if (!counts_are_u64(&t->view)) {
        PyBuffer_Release(&t->view);
        goto fail;
    }
    t->counts = (uint64_t *)t->view.buf;
    t->len = t->view.len / 8;
    t->vmin = INT64_MAX, t->vmax = 0;
    PyObject *num = PyLong_FromSsize_t(ts->nt);
    if (num == NULL || PyDict_SetItem(ts->by_name, name, num)) {
        Py_XDECREF(num);
        PyBuffer_Release(&t->view);
        rc = -1;
        goto fail;
    }
    Py_DECREF(num);
    return ts->nt++;
fail:
    Py_DECREF(h);
    return rc;
}

static void target_count(Target *t, long long v) {
    if (v < t->lo) v = t->lo; else if (v > t->hi) v = t->hi;
    const uint64_t mask = (((uint64_t)1 << (t->half_mag + 1)) - 1) << t->unit_mag;
    Py_ssize_t idx = counts_index(v, mask, t->unit_mag, t->half_mag);
    if (idx < 0 || idx >= t->len) return;
    t->counts[idx] += 1;
    t->n++;
    if (v < t->vmin) t->vmin = v;
    if (v > t->vmax) t->vmax = v;
}

static int as_ll(PyObject *o, long long *out) {     /* 0 not a 64-bit int (no error set) */
    if (!PyLong_Check(o)) return 0;
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow || (*out == -1 && PyErr_Occurred())) { PyErr_Clear(); return 0; }
    return 1;
}

/* one group: its index (into ``gts``, the histograms of its names, up to three), -1 error, -2 unfit */
typedef struct { Py_ssize_t t[3]; int n; } GroupTargets;
typedef struct { GroupTargets *g; Py_ssize_t ng, cap; } Groups;

static Py_ssize_t group_index(Targets *ts, Groups *gs, PyObject *groups, PyObject *histogram, PyObject *hop,
                              PyObject *venue, PyObject *client, long long lowest, long long highest) {
    PyObject *key = PyTuple_Pack(3, hop, venue, client);
    if (key == NULL) return -1;
    PyObject *g = PyDict_GetItemWithError(groups, key);
    if (g != NULL) { Py_DECREF(key); return PyLong_AsSsize_t(g); }
    if (PyErr_Occurred()) { Py_DECREF(key); return -1; }
    if (!PyUnicode_CheckExact(hop) || !PyUnicode_CheckExact(venue) || !PyUnicode_CheckExact(client)) {
        Py_DECREF(key); return -2;
    }
    if (gs->ng == gs->cap) {
        Py_ssize_t cap = gs->cap ? 2 * gs->cap : 64;
        GroupTargets *n = PyMem_Realloc(gs->g, cap * sizeof(GroupTargets));
        if (n == NULL) { Py_DECREF(key); PyErr_NoMemory(); return -1; }
        gs->g = n, gs->cap = cap;
    }
    GroupTargets *gt = &gs->g[gs->ng];
    int with_venue = PyUnicode_GET_LENGTH(venue) > 0;   /* (Python: ``if venue``) */
    PyObject *names[3] = {Py_NewRef(hop), NULL, NULL};
    gt->n = 1;
    if (with_venue) {
        names[1] = PyUnicode_FromFormat("%U @%U", hop, venue);
        names[2] = PyUnicode_FromFormat("%U %U", hop, client);
        gt->n = 3;
    }
    Py_ssize_t rc = gs->ng;
    for (int k = 0; k < gt->n && rc >= 0; k++) {
        if (names[k] == NULL) { rc = -1; break; }
        Py_ssize_t i = target_of(ts, histogram, names[k], lowest, highest);
        if (i < 0) rc = i; else gt->t[k] = i;
    }
    if (rc >= 0) {
        PyObject *num = PyLong_FromSsize_t(rc);
        if (num == NULL || PyDict_SetItem(groups, key, num)) rc = -1; else gs->ng++;
        Py_XDECREF(num);
    }
    for (int k = 0; k < 3; k++) Py_XDECREF(names[k]);
    Py_DECREF(key);
    return rc;
}

/* the ring's entries (stamp_ring.h) checked: each a hop or an order's stamps under a name of
 * ``names`` that is a (hop, venue, client) tuple; 1 fit (*nh hops, *ns stamps), 0 not */
static int ring_fit(const int64_t *w, PyObject *names, Py_ssize_t *nh, Py_ssize_t *ns) {
    Py_ssize_t n = PyList_GET_SIZE(names);
    *nh = *ns = 0;
    for (int64_t i = 0; i < w[0];) {
        int64_t h = w[RING_HEAD + i], gid = h >> 1, size = h & 1 ? RING_STAMP_WORDS : RING_HOP_WORDS;
        if (h < 0 || gid >= n || i + size > w[0]) return 0;
        PyObject *k = PyList_GET_ITEM(names, gid);
        if (!PyTuple_CheckExact(k) || PyTuple_GET_SIZE(k) != 3) return 0;
        if (h & 1) ++*ns; else ++*nh;
        i += size;
    }
    return 1;
}

static PyObject *hist_drain(PyObject *mod, PyObject *args) {
    PyObject *buf, *stamps, *histogram, *ring = Py_None;
    long long lowest, highest;
    if (!PyArg_ParseTuple(args, "O!O!OLL|O", &PyList_Type, &buf, &PyList_Type, &stamps, &histogram, &lowest, &highest,
                          &ring))
        return NULL;
    /* the stamp ring (a StampRing or None): its words read in place, emptied once all is counted */
    Py_buffer rview = {0};
    int64_t *w = NULL;
    PyObject *names = NULL, *rbuf = NULL;
    Py_ssize_t nrh = 0, nrs = 0, nn = 0;
    if (ring != Py_None) {
        if ((rbuf = PyObject_GetAttrString(ring, "buf")) == NULL || (names = PyObject_GetAttrString(ring, "names")) == NULL) {
            Py_XDECREF(rbuf);
            return NULL;
        }
        if (!PyList_CheckExact(names) || PyObject_GetBuffer(rbuf, &rview, PyBUF_WRITABLE) < 0) {
            PyErr_Clear();
            Py_DECREF(rbuf); Py_DECREF(names);
            Py_RETURN_NONE;
        }
        w = ring_words(&rview);
        if (w == NULL || !ring_fit(w, names, &nrh, &nrs)) {
            PyBuffer_Release(&rview); Py_DECREF(rbuf); Py_DECREF(names);
            Py_RETURN_NONE;
        }
        nn = PyList_GET_SIZE(names);
    }
    Py_ssize_t nb = PyList_GET_SIZE(buf), ns = PyList_GET_SIZE(stamps), m = nb + ns + nrh + nrs, nst = ns + nrs;
    /* every item's shape and numbers first: a bad one leaves everything to Python. The grouped
     * values (buf's, the ring's hops, then the stamps' client->venue, the list's and the ring's) are
     * iv / ig; the stamps' decode and risk dv, rv */
    long long *iv = PyMem_Malloc((m + 1) * sizeof(long long)), *dv = PyMem_Malloc((nst + 1) * sizeof(long long)),
              *rv = PyMem_Malloc((nst + 1) * sizeof(long long));
    Py_ssize_t *ig = PyMem_Malloc((m + 1) * sizeof(Py_ssize_t)), *order = NULL, *start = NULL,
               *gmap = PyMem_Malloc((nn + 1) * sizeof(Py_ssize_t));     /* the ring's name -> its group (-1: not yet) */
    Py_ssize_t *rgid = PyMem_Malloc((nrh + nrs + 1) * sizeof(Py_ssize_t));    /* the ring values' names, in iv's order */
    Targets ts = {NULL, 0, 0, PyDict_New()};
    Groups gs = {NULL, 0, 0};
    PyObject *groups = PyDict_New(), *out = NULL;
    Py_ssize_t ni = 0, nd = 0, nr = 0;
    if (!iv || !dv || !rv || !ig || !gmap || !rgid) { PyErr_NoMemory(); goto done; }
    if (ts.by_name == NULL || groups == NULL) goto done;
    for (Py_ssize_t j = 0; j < nn; j++) gmap[j] = -1;
    for (Py_ssize_t i = 0; i < nb; i++) {
        PyObject *it = PyList_GET_ITEM(buf, i);
        if (!PyTuple_CheckExact(it) || PyTuple_GET_SIZE(it) != 4 || !as_ll(PyTuple_GET_ITEM(it, 3), &iv[i])) goto unfit;
    }
    ni = nb;
    for (int64_t i = 0; w != NULL && i < w[0];) {        /* the ring's hops (after buf's, as Python's fallback) */
        int64_t h = w[RING_HEAD + i];
        if (!(h & 1)) { rgid[nr++] = h >> 1; iv[ni++] = w[RING_HEAD + i + 1]; }
        i += h & 1 ? RING_STAMP_WORDS : RING_HOP_WORDS;
    }
    Py_ssize_t ncv_list = 0;
    for (Py_ssize_t i = 0; i < ns; i++) {
        PyObject *it = PyList_GET_ITEM(stamps, i);
        long long t[4], cv;
        if (!PyTuple_CheckExact(it) || PyTuple_GET_SIZE(it) != 6) goto unfit;
        for (int k = 0; k < 4; k++)
            if (!as_ll(PyTuple_GET_ITEM(it, k), &t[k])) goto unfit;
        if (__builtin_sub_overflow(t[1], t[0], &dv[nd]) || __builtin_sub_overflow(t[2], t[1], &rv[nd]) ||
            __builtin_sub_overflow(t[3], t[0], &cv))
            goto unfit;
        nd++;
        if (t[3] != 0) { iv[ni++] = cv; ncv_list++; }
    }
    Py_ssize_t ring_cv_at = nr;
    for (int64_t i = 0; w != NULL && i < w[0];) {        /* the ring's stamps (after the list's) */
        int64_t h = w[RING_HEAD + i];
        if (h & 1) {
            const int64_t *t = &w[RING_HEAD + i + 1];
            long long cv;
            if (__builtin_sub_overflow(t[1], t[0], &dv[nd]) || __builtin_sub_overflow(t[2], t[1], &rv[nd]) ||
                __builtin_sub_overflow(t[3], t[0], &cv))
                goto unfit;
            nd++;
            if (t[3] != 0) { rgid[nr++] = h >> 1; iv[ni++] = cv; }
        }
        i += h & 1 ? RING_STAMP_WORDS : RING_HOP_WORDS;
    }
    /* the histograms, in the order Python makes them */
    Py_ssize_t dec = -1, risk = -1;
    if (nst) {
        PyObject *d = PyUnicode_InternFromString("decode"), *r = PyUnicode_InternFromString("risk");
        if (d == NULL || r == NULL) { Py_XDECREF(d); Py_XDECREF(r); goto done; }
        dec = target_of(&ts, histogram, d, lowest, highest);
        if (dec >= 0) risk = target_of(&ts, histogram, r, lowest, highest);
        Py_DECREF(d); Py_DECREF(r);
        if (dec == -2 || risk == -2) goto unfit;
        if (dec < 0 || risk < 0) goto done;
    }
    if (S_client_venue == NULL && (S_client_venue = PyUnicode_InternFromString("client->venue")) == NULL) goto done;
    /* each value's group: iv's order is buf, the ring's hops, the list's stamps, the ring's stamps */
    Py_ssize_t at = 0, x = 0;
#define RING_GROUP() do {                                                                                          \
        Py_ssize_t gid = rgid[x++];                                                                                 \
        if (gmap[gid] < 0) {                                                                                        \
            PyObject *k = PyList_GET_ITEM(names, gid);                                                              \
            gmap[gid] = group_index(&ts, &gs, groups, histogram, PyTuple_GET_ITEM(k, 0), PyTuple_GET_ITEM(k, 1),    \
                                    PyTuple_GET_ITEM(k, 2), lowest, highest);                                       \
            if (gmap[gid] == -2) goto unfit;                                                                        \
            if (gmap[gid] < 0) goto done;                                                                           \
        }                                                                                                           \
        ig[at++] = gmap[gid];                                                                                       \
    } while (0)
    for (Py_ssize_t i = 0; i < nb; i++) {
        PyObject *it = PyList_GET_ITEM(buf, i);
        ig[at] = group_index(&ts, &gs, groups, histogram, PyTuple_GET_ITEM(it, 0), PyTuple_GET_ITEM(it, 1),
                             PyTuple_GET_ITEM(it, 2), lowest, highest);
        if (ig[at] == -2) goto unfit;
        if (ig[at] < 0) goto done;
        at++;
    }
    while (x < ring_cv_at) RING_GROUP();
    for (Py_ssize_t i = 0; i < ns; i++) {
        PyObject *it = PyList_GET_ITEM(stamps, i);
        long long t3;
        as_ll(PyTuple_GET_ITEM(it, 3), &t3);      /* (checked above) */
        if (t3 == 0) continue;
        ig[at] = group_index(&ts, &gs, groups, histogram, S_client_venue, PyTuple_GET_ITEM(it, 4),
                             PyTuple_GET_ITEM(it, 5), lowest, highest);
        if (ig[at] == -2) goto unfit;
        if (ig[at] < 0) goto done;
        at++;
    }
    while (x < nr) RING_GROUP();
#undef RING_GROUP
    (void)ncv_list;
    /* counted: nothing can fail from here. A histogram's values are counted together (grouped by
     * a counting sort), not item by item across ~100 histograms of ~300 KiB counts each. */
    order = PyMem_Malloc((ni + 1) * sizeof(Py_ssize_t));
    start = PyMem_Calloc(gs.ng + 1, sizeof(Py_ssize_t));
    if (!order || !start) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < ni; i++) start[ig[i] + 1]++;
    for (Py_ssize_t g = 0; g < gs.ng; g++) start[g + 1] += start[g];
    for (Py_ssize_t i = 0; i < ni; i++) order[start[ig[i]]++] = i;
    for (Py_ssize_t g = gs.ng; g > 0; g--) start[g] = start[g - 1];
    start[0] = 0;
    for (Py_ssize_t i = 0; i < nd; i++) target_count(&ts.t[dec], dv[i]);
    for (Py_ssize_t i = 0; i < nd; i++) target_count(&ts.t[risk], rv[i]);
    for (Py_ssize_t g = 0; g < gs.ng; g++)
        for (int k = 0; k < gs.g[g].n; k++) {
            Target *t = &ts.t[gs.g[g].t[k]];
            for (Py_ssize_t y = start[g]; y < start[g + 1]; y++) target_count(t, iv[order[y]]);
        }
    if (w != NULL) w[0] = 0;       /* (the ring's entries are counted: emptied) */
    /* each histogram's total, min and max as record_many moves them (an error here: raised, the
     * counts are in) */
    for (Py_ssize_t j = 0; j < ts.nt; j++) {
        Target *t = &ts.t[j];
        if (!t->n) continue;
        for (int k = 0; k < 3; k++) {
            PyObject *cur = PyObject_GetAttr(t->hist, A[A_TOTAL + k]);
            if (cur == NULL) goto done;
            long long c = PyLong_AsLongLong(cur);
            Py_DECREF(cur);
            if (c == -1 && PyErr_Occurred()) goto done;
            long long nv = k == 0 ? c + t->n : k == 1 ? (t->vmin < c ? t->vmin : c) : (t->vmax > c ? t->vmax : c);
            PyObject *o = PyLong_FromLongLong(nv);
            if (o == NULL || PyObject_SetAttr(t->hist, A[A_TOTAL + k], o)) { Py_XDECREF(o); goto done; }
            Py_DECREF(o);
        }
    }
    out = Py_NewRef(Py_True);
    goto done;
unfit:
    out = Py_NewRef(Py_None);
done:
    for (Py_ssize_t j = 0; j < ts.nt; j++) { PyBuffer_Release(&ts.t[j].view); Py_DECREF(ts.t[j].hist); }
    PyMem_Free(ts.t);
    PyMem_Free(gs.g);
    Py_XDECREF(ts.by_name);
    Py_XDECREF(groups);
    PyMem_Free(iv); PyMem_Free(dv); PyMem_Free(rv); PyMem_Free(ig); PyMem_Free(order); PyMem_Free(start);
    PyMem_Free(gmap); PyMem_Free(rgid);
    if (w != NULL || rbuf != NULL) { if (rview.obj != NULL) PyBuffer_Release(&rview); }
    Py_XDECREF(rbuf); Py_XDECREF(names);
    return out;
}

static PyMethodDef methods[] = {
    {"drain", hist_drain, METH_VARARGS, "drain(buf, stamps, histogram, lowest, highest): drain_latency's values counted "
     "straight into their histograms; True, or None (nothing counted) for what Python must do"},
    {"group", hist_group, METH_VARARGS, "group(buf, stamps): drain_latency's grouping of the buffered hops, or None"},
    {"record", hist_record, METH_VARARGS,
     "record(counts, values, unit_magnitude, sub_bucket_half_count_magnitude, lowest, highest) -> "
     "(recorded, min, max): count each value (clamped) into an HdrHistogram counts array."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hist", "HDR histogram recording in C.", -1, methods};

PyMODINIT_FUNC
PyInit__hist(void)
{
    return PyModule_Create(&module);
}
