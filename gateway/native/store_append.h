/* A session store's append (``save_sent(seq, raw, reply_to)``) callable from C, for the fast path's
 * sends (the venue NewOrderSingle, the client's ExecutionReport): included by path.c.
 *
 * FileStore (gateway/store/file.py): its common case in C, byte for byte what ``save_sent``
 * writes: the record ``b"%d %d %d\n%b\n" % (seq, reply_to, len(raw), raw)`` copied into the
 * mapped log at ``_size``, its start appended to the ``_starts`` index, ``_size``,
 * ``next_sender_seq`` and ``_dirty`` set (a number that is not the index's next: indexed by its
 * ``_note``, as ``save_sent`` does). A record that does not fit the mapping (the log grows) is the
 * Python method's, before anything is written. MemoryStore: ``_sent[seq] = raw`` and
 * ``next_sender_seq``. Any other store: its ``save_sent``. The Python methods stay the reference: tests/gateway/test_fast_path_store.py
 * appends the same records both ways (gaps, resends, growth) and compares the files. */
#ifndef WIRESPEED_STORE_APPEND_H
#define WIRESPEED_STORE_APPEND_H

static PyObject *FileStoreType, *MemoryStoreType;    /* (bind_stores; NULL: every store's own method) */
static PyObject *S_size, *S_capacity, *S_first, *S_starts, *S_mm, *S_dirty, *S_sent, *S_append;

static PyObject *S_note;

static int store_names(void) {
    const char *n[] = {"_size", "_capacity", "_first", "_starts", "_mm", "_dirty", "_sent", "append", "_note"};
    PyObject **d[] = {&S_size, &S_capacity, &S_first, &S_starts, &S_mm, &S_dirty, &S_sent, &S_append, &S_note};
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

/* the store's own save_sent (0 stored, -1 error) */
static int store_method(PyObject *store, PyObject *seqobj, PyObject *raw, long long reply_to) {
    PyObject *r = PyLong_FromLongLong(reply_to);
    if (r == NULL) return -1;
    PyObject *out = PyObject_CallMethodObjArgs(store, S_save_sent, seqobj, raw, r, NULL);
    Py_DECREF(r);
    if (out == NULL) return -1;
    Py_DECREF(out);
    return 0;
}

/* An append in two halves around a write (the fast path's venue NewOrderSingle). store_prepare,
 * before the write, does everything that can fail: the checks, the log's growth (the store's own
 * method, here: a full disk raises before anything is written), the record copied into FileStore's
 * mapped log (the kernel's pages: a kill -9 after the write finds it when the log is opened
 * again), the numbers (``next_sender_seq``, FileStore's ``_size``: taken before the write, so
 * anything that appends while it runs appends after it) and the index (FileStore's ``_starts``,
 * its ``_note`` where the index is not simply the next number; MemoryStore's ``_sent``): a message
 * the venue may have is always one a resend can replay. An index that fails (memory) takes the
 * record and its number back and raises: nothing is written, as the Python path's store-first
 * send leaves it. store_commit, after the write (also one that raised: stored, as when the whole
 * append came first), marks FileStore's log for its writer thread's sync (``_dirty``). */
enum { SP_DONE, SP_MEMORY, SP_FILE };
typedef struct {
    int kind;                       /* SP_DONE: stored already (the store's own method) */
    PyObject *store, *seqobj, *raw;
    long long seq;
} StorePlan;

/* sets next_sender_seq to seq + 1 (-1 error) */
static int store_number(PyObject *store, long long seq) {
    PyObject *next = PyLong_FromLongLong(seq + 1);
    int rc = next ? PyObject_SetAttr(store, S_next_sender_seq, next) : -1;
    Py_XDECREF(next);
    return rc;
}

/* FileStore's index for a record at ``start`` (its ``_note`` where the number is not simply the
 * next one); 0 indexed, -1 error */
static int store_index(PyObject *store, PyObject *seqobj, long long seq, Py_ssize_t start_at) {
    PyObject *starts = NULL, *out = NULL;
    Py_ssize_t first, nstarts;
    PyObject *start = PyLong_FromSsize_t(start_at);
    if (start == NULL || get_ssize(store, S_first, &first) || (starts = PyObject_GetAttr(store, S_starts)) == NULL ||
            (nstarts = PyObject_Length(starts)) < 0)
        goto out;
    if (seq - first == nstarts) out = PyObject_CallMethodOneArg(starts, S_append, start);
    else out = PyObject_CallMethodObjArgs(store, S_note, seqobj, start, NULL);   /* (a gap, a jump) */
out:
    Py_XDECREF(starts);
    Py_XDECREF(start);
    if (out == NULL) return -1;
    Py_DECREF(out);
    return 0;
}

/* 0 prepared (plan->kind SP_DONE: stored by the store's own method), -1 error: nothing stored or
 * numbered (as the method leaves it). A prepared plan must be committed (store_commit). */
static int store_prepare(PyObject *store, PyObject *seqobj, PyObject *raw, long long reply_to, StorePlan *plan) {
    PyObject *type = (PyObject *)Py_TYPE(store);
    plan->kind = SP_DONE;
    long long seq = PyLong_AsLongLong(seqobj);
    if (seq == -1 && PyErr_Occurred()) return -1;
    plan->store = store; plan->seqobj = seqobj; plan->raw = raw; plan->seq = seq;
    if (!PyBytes_Check(raw)) return store_method(store, seqobj, raw, reply_to);
    if (type == MemoryStoreType && MemoryStoreType != NULL) {
        PyObject *sent = PyObject_GetAttr(store, S_sent);
        if (sent == NULL) return -1;
        if (!PyDict_Check(sent)) {
            Py_DECREF(sent);
            PyErr_SetString(PyExc_TypeError, "MemoryStore._sent must be a dict");
            return -1;
        }
        int rc = PyDict_SetItem(sent, seqobj, raw);
        if (rc == 0 && store_number(store, seq)) {
            PyObject *type_, *value, *tb;         /* (not numbered: not stored) */
            PyErr_Fetch(&type_, &value, &tb);
            if (PyDict_DelItem(sent, seqobj)) PyErr_Clear();
            PyErr_Restore(type_, value, tb);
            rc = -1;
        }
        Py_DECREF(sent);
        if (rc) return -1;
        plan->kind = SP_MEMORY;
        return 0;
    }
    if (type != FileStoreType || FileStoreType == NULL || reply_to < 0) return store_method(store, seqobj, raw, reply_to);
    Py_ssize_t size, capacity, len = PyBytes_GET_SIZE(raw);
    if (get_ssize(store, S_size, &size) || get_ssize(store, S_capacity, &capacity)) return -1;
    char head[64];
    int hlen = fmt_i64(head, seq);             /* "%lld %lld %zd\n" (fmt.h) */
    head[hlen++] = ' ';
    hlen += fmt_i64(head + hlen, reply_to);
    head[hlen++] = ' ';
    hlen += fmt_i64(head + hlen, (long long)len);
    head[hlen++] = '\n';
    Py_ssize_t end = size + hlen + len + 1;
    if (end > capacity) return store_method(store, seqobj, raw, reply_to);   /* (the log grows: Python's) */
    PyObject *end_o = PyLong_FromSsize_t(end), *next_o = end_o ? PyLong_FromLongLong(seq + 1) : NULL;
    PyObject *mm = next_o ? PyObject_GetAttr(store, S_mm) : NULL;
    if (mm == NULL) { Py_XDECREF(end_o); Py_XDECREF(next_o); return -1; }
    Py_buffer view;
    int rc = PyObject_GetBuffer(mm, &view, PyBUF_WRITABLE | PyBUF_SIMPLE);
    Py_DECREF(mm);
    if (rc == 0 && view.len < end) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "store: the log's mapping is shorter than its _capacity");
        rc = -1;
    }
    if (rc) { Py_DECREF(end_o); Py_DECREF(next_o); return -1; }
    char *p = (char *)view.buf + size;
    memcpy(p, head, hlen);
    memcpy(p + hlen, PyBytes_AS_STRING(raw), len);
    p[hlen + len] = '\n';
    rc = PyObject_SetAttr(store, S_size, end_o) ? -1 : PyObject_SetAttr(store, S_next_sender_seq, next_o) ? -2 :
         store_index(store, seqobj, seq, size) ? -3 : 0;
    if (rc) {       /* (nothing numbered or indexed: the record taken back out of the log) */
        PyObject *type_, *value, *tb;
        PyErr_Fetch(&type_, &value, &tb);
        memset(p, 0, end - size);
        if (set_ssize(store, S_size, size)) PyErr_Clear();
        if (rc == -3 && store_number(store, seq - 1)) PyErr_Clear();
        PyErr_Restore(type_, value, tb);
        rc = -1;
    }
    PyBuffer_Release(&view);
    Py_DECREF(end_o);
    Py_DECREF(next_o);
    if (rc) return -1;
    plan->kind = SP_FILE;
    return 0;
}

/* after the write (0; -1 error: only FileStore's ``_dirty`` not set, which the next append sets) */
static int store_commit(StorePlan *plan) {
    int kind = plan->kind;
    plan->kind = SP_DONE;
    return kind == SP_FILE ? PyObject_SetAttr(plan->store, S_dirty, Py_True) : 0;
}

/* 0 stored (2: by the store's own method), -1 error (nothing stored, as the method leaves it) */
static int store_append(PyObject *store, PyObject *seqobj, PyObject *raw, long long reply_to) {
    StorePlan plan;
    if (store_prepare(store, seqobj, raw, reply_to, &plan) < 0) return -1;
    if (plan.kind == SP_DONE) return 2;
    return store_commit(&plan);
}

#endif
