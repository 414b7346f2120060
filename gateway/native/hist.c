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
    if (view.itemsize != 8 || view.format == NULL || (strcmp(view.format, "<Q") && strcmp(view.format, "Q")
                                                      && strcmp(view.format, "<L") && strcmp(view.format, "L"))) {
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
        int pow2ceiling = 64 - __builtin_clzll((uint64_t)v | mask);
        int bucket = pow2ceiling - unit_mag - (half_mag + 1);
        long long sub = v >> (bucket + unit_mag);
        Py_ssize_t idx = ((Py_ssize_t)(bucket + 1) << half_mag) + (Py_ssize_t)(sub - ((long long)1 << half_mag));
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

static PyMethodDef methods[] = {
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
