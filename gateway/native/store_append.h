/* A session store's append (``save_sent(seq, raw, reply_to)``) callable from C, for the fast path's
 * sends (the venue NewOrderSingle, the client's ExecutionReport): included by path.c.
 *
 * FileStore (gateway/store/file.py): its common case in C, byte for byte what ``save_sent``
 * writes: the record ``b"%d %d %d\n%b\n" % (seq, reply_to, len(raw), raw)`` copied into the
 * mapped log at ``_size``, its start appended to the ``_starts`` index, ``_size``,
 * ``next_sender_seq`` and ``_dirty`` set. Anything else (the record does not fit the mapping,
 * a number that is not the next of the index) is the Python method's, before anything is
 * written. MemoryStore: ``_sent[seq] = raw`` and ``next_sender_seq``. Any other store: its
 * ``save_sent``. The Python methods stay the reference: tests/gateway/test_store_append.py
 * appends the same records both ways (gaps, resends, growth) and compares the files. */
#ifndef WIRESPEED_STORE_APPEND_H
#define WIRESPEED_STORE_APPEND_H

static PyObject *FileStoreType, *MemoryStoreType;    /* (bind_stores; NULL: every store's own method) */
static PyObject *S_size, *S_capacity, *S_first, *S_starts, *S_mm, *S_dirty, *S_sent, *S_append;

static int store_names(void) {
    const char *n[] = {"_size", "_capacity", "_first", "_starts", "_mm", "_dirty", "_sent", "append"};
    PyObject **d[] = {&S_size, &S_capacity, &S_first, &S_starts, &S_mm, &S_dirty, &S_sent, &S_append};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if ((*d[i] = PyUnicode_InternFromString(n[i])) == NULL) return -1;
    return 0;
}

static int get_ssize(PyObject *obj, PyObject *name, Py_ssize_t *out) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    *out = PyLong_AsSsize_t(v);
    Py_DECREF(v);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static int set_ssize(PyObject *obj, PyObject *name, Py_ssize_t v) {
    PyObject *o = PyLong_FromSsize_t(v);
    if (o == NULL) return -1;
    int rc = PyObject_SetAttr(obj, name, o);
    Py_DECREF(o);
    return rc;
}

/* the store's own save_sent */
static int store_method(PyObject *store, PyObject *seqobj, PyObject *raw, long long reply_to) {
    PyObject *r = PyLong_FromLongLong(reply_to);
    if (r == NULL) return -1;
    PyObject *out = PyObject_CallMethodObjArgs(store, S_save_sent, seqobj, raw, r, NULL);
    Py_DECREF(r);
    if (out == NULL) return -1;
    Py_DECREF(out);
    return 0;
}

/* 0 stored (2: by the store's own method), -1 error (nothing stored, as the method leaves it) */
static int store_append(PyObject *store, PyObject *seqobj, PyObject *raw, long long reply_to) {
    PyObject *type = (PyObject *)Py_TYPE(store);
    long long seq = PyLong_AsLongLong(seqobj);
    if (seq == -1 && PyErr_Occurred()) return -1;
    if (!PyBytes_Check(raw)) return store_method(store, seqobj, raw, reply_to) ? -1 : 2;
    if (type == MemoryStoreType && MemoryStoreType != NULL) {
        PyObject *sent = PyObject_GetAttr(store, S_sent);
        if (sent == NULL) return -1;
        int bad = !PyDict_Check(sent) || PyDict_SetItem(sent, seqobj, raw);
        Py_DECREF(sent);
        if (bad) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "MemoryStore._sent must be a dict"); return -1; }
        PyObject *next = PyLong_FromLongLong(seq + 1);
        int rc = next ? PyObject_SetAttr(store, S_next_sender_seq, next) : -1;
        Py_XDECREF(next);
        return rc;
    }
    if (type != FileStoreType || FileStoreType == NULL) return store_method(store, seqobj, raw, reply_to) ? -1 : 2;
    Py_ssize_t size, capacity, first, len = PyBytes_GET_SIZE(raw);
    if (get_ssize(store, S_size, &size) || get_ssize(store, S_capacity, &capacity) || get_ssize(store, S_first, &first))
        return -1;
    char head[64];
    int hlen = fmt_i64(head, seq);             /* "%lld %lld %zd\n" (fmt.h) */
    head[hlen++] = ' ';
    hlen += fmt_i64(head + hlen, reply_to);
    head[hlen++] = ' ';
    hlen += fmt_i64(head + hlen, (long long)len);
    head[hlen++] = '\n';
    Py_ssize_t end = size + hlen + len + 1;
    PyObject *starts = PyObject_GetAttr(store, S_starts);
    if (starts == NULL) return -1;
    Py_ssize_t nstarts = PyObject_Length(starts);
    if (nstarts < 0) { Py_DECREF(starts); return -1; }
    if (end > capacity || seq - first != nstarts || reply_to < 0) {
        Py_DECREF(starts);    /* (the log grows, or the index is not simply the next number: Python's) */
        return store_method(store, seqobj, raw, reply_to) ? -1 : 2;
    }
    PyObject *mm = PyObject_GetAttr(store, S_mm);
    if (mm == NULL) { Py_DECREF(starts); return -1; }
    Py_buffer view;
    int rc = PyObject_GetBuffer(mm, &view, PyBUF_WRITABLE | PyBUF_SIMPLE);
    Py_DECREF(mm);
    if (rc) { Py_DECREF(starts); return -1; }
    if (view.len < end) {
        PyBuffer_Release(&view);
        Py_DECREF(starts);
        PyErr_SetString(PyExc_RuntimeError, "store: the log's mapping is shorter than its _capacity");
        return -1;
    }
    char *p = (char *)view.buf + size;
    memcpy(p, head, hlen);
    memcpy(p + hlen, PyBytes_AS_STRING(raw), len);
    p[hlen + len] = '\n';
    PyBuffer_Release(&view);
    PyObject *start = PyLong_FromSsize_t(size);
    PyObject *ok = start ? PyObject_CallMethodOneArg(starts, S_append, start) : NULL;
    Py_XDECREF(start);
    Py_DECREF(starts);
    if (ok == NULL) return -1;
    Py_DECREF(ok);
    PyObject *next = PyLong_FromLongLong(seq + 1);
    if (next == NULL) return -1;
    rc = set_ssize(store, S_size, end) || PyObject_SetAttr(store, S_next_sender_seq, next) ||
         PyObject_SetAttr(store, S_dirty, Py_True);
    Py_DECREF(next);
    return rc ? -1 : 0;
}

#endif
