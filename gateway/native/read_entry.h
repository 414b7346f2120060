/* The read entry: a connection's bytes from uvloop's read callback straight into the fast path's C
 * driver, with no Python frame before the venue write (included by path.c: it calls ``drive``).
 *
 * ``ReadEntry`` is a base of ``FixProtocol`` (transport/tcp.py) with no fields of its own. uvloop
 * calls a protocol's ``data_received`` as the bound method it fetched once: here a C method, so a
 * read of a client session's NewOrderSingles (or a venue session's ExecutionReports) reaches
 * ``FastPath.run`` (``reports``) without an interpreted frame. Before that it checks, attribute
 * by attribute, every condition under which the Python chain (FairReads.data_received,
 * FixProtocol._handle, Session.data_received, the fast path's on_read) would hand the read to the
 * same C call at its start: a short read (no fair-read budget, no receive backlog), nothing held
 * or paused, a session logged on with a fast path of the bound types, nothing queued or buffered
 * in its parser, the trail not backlogged, the venue table current. It then does what those
 * frames do before the call (the backlog stamps, WriteBatcher.begin_read, the token bucket) and
 * hands the call's result to ``FixProtocol._fast_read``, which books it in Python after the write
 * (the fast path's ``finish``: the same code as on_read's) and ends the read as ``_handle`` does.
 * Whatever else (any condition not met, any unexpected attribute) goes to FairReads.data_received
 * whole: the Python path as before, nothing of the read changed. docs/gateway/native.md. */

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static PyObject *E_slow, *E_client_type, *E_venue_type, *E_active, *E_parser_type, *E_audit_type;
static Py_ssize_t E_backlog_read;
static PyObject *S_held, *S_tail_ns, *S_fast, *S_queue, *S_parser, *S_data, *S_buf, *S_gw, *S_auditing, *S_audit,
                *S_max_pending, *S_venue_epoch, *S_venues_seen, *S_core, *S_clock, *S_rate, *S_tokens, *S_tokens_at,
                *S_next_target_seq, *S_batcher, *S_reading, *S_empty_ns, *S_read_since_ns, *S_fast_read, *S_on_change,
                *S_backlogged, *ONE;
static PyObject *S_qa_fd;
static long long entry_taken, entry_passed;    /* reads the entry took / passed to Python (for tests, tuning) */

static int entry_names(void) {
    const char *n[] = {"_held", "_tail_ns", "fast", "_queue", "parser", "_data", "_buf", "gw", "_auditing", "audit",
        "max_pending", "venue_epoch", "_venues_seen", "core", "clock", "_rate", "_tokens", "_tokens_at",
        "next_target_seq", "_batcher", "_reading", "_empty_ns", "read_since_ns", "_fast_read", "on_change", "backlogged"};
    PyObject **d[] = {&S_held, &S_tail_ns, &S_fast, &S_queue, &S_parser, &S_data, &S_buf, &S_gw, &S_auditing,
        &S_audit, &S_max_pending, &S_venue_epoch, &S_venues_seen, &S_core, &S_clock, &S_rate, &S_tokens,
        &S_tokens_at, &S_next_target_seq, &S_batcher, &S_reading, &S_empty_ns, &S_read_since_ns, &S_fast_read,
        &S_on_change, &S_backlogged};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if ((*d[i] = PyUnicode_InternFromString(n[i])) == NULL) return -1;
    if ((S_qa_fd = PyUnicode_InternFromString("_qa_fd")) == NULL) return -1;
    return (ONE = PyLong_FromLong(1)) == NULL ? -1 : 0;
}

static PyObject *entry_slow(PyObject *self, PyObject *data) {
    entry_passed++;
    if (E_slow == NULL) { PyErr_SetString(PyExc_RuntimeError, "ReadEntry: _path.bind_entry_slow was not called"); return NULL; }
    PyObject *a[2] = {self, data};
    return PyObject_Vectorcall(E_slow, a, 2, NULL);
}

#define NREFS 32
static PyObject *ReadEntry_data_received(PyObject *self, PyObject *data) {
    int64_t recv_ns = mono_ns();       /* the read's stamp: the first thing its callback does */
    PyObject *refs[NREFS];
    int nr = 0, begun = 0;
    PyObject *out = NULL, *result = NULL, *now = NULL, *tokens = NULL, *budget = NULL, *first = NULL, *t = NULL,
             *stamp = NULL, *batcher = NULL;
#define GET(var, obj, name) do { if (nr >= NREFS - 1 || ((var) = PyObject_GetAttr((obj), (name))) == NULL) goto slow; \
                                 refs[nr++] = (var); } while (0)
    PyObject *session, *fast, *held, *paused, *tail, *state, *queue, *write, *parser, *pdata, *pbuf, *gw, *auditing,
             *core, *clock_fn, *rate, *tok, *tok_at, *store, *expected;
    if (E_client_type == NULL || !PyBytes_CheckExact(data) || PyBytes_GET_SIZE(data) >= E_backlog_read) goto slow;
    GET(session, self, S_session);
    if (session == Py_None) goto slow;
    GET(fast, session, S_fast);
    int venue_side = (PyObject *)Py_TYPE(fast) == E_venue_type;
    if (!venue_side && (PyObject *)Py_TYPE(fast) != E_client_type) goto slow;
    /* FairReads: nothing of a long read held, no receive backlog's tail; _handle: not paused */
    GET(held, self, S_held);
    if (!PyBytes_Check(held) || PyBytes_GET_SIZE(held)) goto slow;
    GET(paused, self, S_paused);
    if (paused != Py_False) goto slow;
    GET(tail, self, S_tail_ns);
    long long tail_ns = PyLong_Check(tail) ? PyLong_AsLongLong(tail) : -1;
    if (tail_ns == -1 && PyErr_Occurred()) goto slow;
    if (!PyLong_Check(tail) || recv_ns < tail_ns) goto slow;
    /* Session.data_received: logged on, nothing queued, connected, the parser idle */
    GET(state, session, S_state);
    if (state != E_active) goto slow;
    GET(queue, session, S_queue);
    if (!PyDict_Check(queue) || PyDict_GET_SIZE(queue)) goto slow;
    GET(write, session, S_write);
    if (write == Py_None) goto slow;
    GET(parser, session, S_parser);
    if ((PyObject *)Py_TYPE(parser) != E_parser_type) goto slow;
    GET(pdata, parser, S_data);
    if (pdata != Py_None) goto slow;
    GET(pbuf, parser, S_buf);
    if (!PyByteArray_CheckExact(pbuf) || PyByteArray_GET_SIZE(pbuf)) goto slow;
    /* on_read: the trail not backlogged (AuditTrail.backlogged's length compare), the venue table current */
    GET(gw, fast, S_gw);
    GET(auditing, gw, S_auditing);
    if (auditing == Py_True) {
        PyObject *audit, *apending, *maxp;
        GET(audit, gw, S_audit);
        if ((PyObject *)Py_TYPE(audit) != E_audit_type) {     /* another trail: its own backlogged() */
            PyObject *b = PyObject_CallMethodNoArgs(audit, S_backlogged);
            if (b == NULL) goto slow;
            refs[nr++] = b;
            if (b != Py_False) goto slow;
        } else {
            GET(apending, audit, S_pending);
            GET(maxp, audit, S_max_pending);
            Py_ssize_t np = PyObject_Length(apending);
            long long mp = PyLong_Check(maxp) ? PyLong_AsLongLong(maxp) : -1;
            if (np < 0 || PyErr_Occurred() || !((long long)np < mp)) goto slow;
        }
    } else if (auditing != Py_False) {
        goto slow;
    }
    PyObject *onchg = Py_None;
    if (venue_side) {
        GET(onchg, gw, S_on_change);
    } else {
        PyObject *epoch, *seen;
        GET(epoch, gw, S_venue_epoch);
        GET(seen, fast, S_venues_seen);
        if (!PyLong_CheckExact(epoch) || !PyLong_CheckExact(seen) || PyObject_RichCompareBool(epoch, seen, Py_EQ) != 1)
            goto slow;
    }
    GET(core, fast, S_core);
    if (Py_TYPE(core) != &FastPathType || (venue_side && ((FastPath *)core)->r_orders == NULL)) goto slow;
    GET(clock_fn, session, S_clock);
    GET(rate, session, S_rate);
    GET(tok, session, S_tokens);
    GET(tok_at, session, S_tokens_at);
    GET(store, session, S_store);
    GET(expected, store, S_next_target_seq);
    if (!PyLong_CheckExact(expected)) goto slow;
    GET(batcher, self, S_batcher);
    /* FairReads.data_received's stamps of a short read with the queue quiet */
    stamp = PyLong_FromLongLong(recv_ns);
    if (stamp == NULL || PyObject_SetAttr(self, S_empty_ns, stamp) || PyObject_SetAttr(self, S_read_since_ns, stamp))
        goto slow;
    /* _handle: WriteBatcher.begin_read (what the read causes goes out once it is handled) */
    if (batcher != Py_None) {
        PyObject *r = PyObject_GetAttr(batcher, S_reading), *r1 = r ? PyNumber_Add(r, ONE) : NULL;
        int bad = r1 == NULL || PyObject_SetAttr(batcher, S_reading, r1);
        Py_XDECREF(r); Py_XDECREF(r1);
        if (bad) goto slow;
    }
    begun = 1;
    entry_taken++;
    /* ---- from here the read is the fast path's: the result (or the error) goes to _fast_read ---- */
    /* on_read's token bucket, as Session._on_message keeps it (Python's arithmetic on its numbers) */
    now = PyObject_CallNoArgs(clock_fn);
    if (now == NULL) goto failed;
    t = PyNumber_Subtract(now, tok_at);
    if (t == NULL) goto failed;
    Py_SETREF(t, PyNumber_Multiply(t, rate));
    if (t == NULL) goto failed;
    tokens = PyNumber_Add(tok, t);
    if (tokens == NULL) goto failed;
    int over = PyObject_RichCompareBool(tokens, rate, Py_GT);
    if (over < 0) goto failed;
    if (over) Py_SETREF(tokens, Py_NewRef(rate));
    budget = PyNumber_Long(tokens);
    if (budget == NULL) goto failed;
    first = Py_NewRef(budget);
    if (onchg != Py_None) {     /* (an on_change hook sees each report's state: one report a call) */
        int more = PyObject_RichCompareBool(budget, ONE, Py_GT);
        if (more < 0) goto failed;
        if (more) Py_SETREF(first, Py_NewRef(ONE));
    }
    {
        PyObject *zero = ZERO, *a[5] = {data, zero, stamp, expected, first};
        result = venue_side ? FastPath_reports((FastPath *)core, a, 5) : FastPath_run((FastPath *)core, a, 5);
    }
    if (result == NULL) goto failed;
    goto book;
failed: {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb != NULL && value != NULL) PyException_SetTraceback(value, tb);
        Py_XDECREF(type); Py_XDECREF(tb);
        result = value ? value : Py_NewRef(Py_None);
    }
book: {
        /* (looked up first: if that fails, _fast_read never runs its end_read, and the batcher's
         * _reading stays raised for good -- every later write through it collected, never sent --
         * so it is ended here, the lookup's error kept) */
        PyObject *meth = PyObject_GetAttr(self, S_fast_read);
        if (meth == NULL) {
            if (batcher != Py_None) {
                PyObject *type, *value, *tb;
                PyErr_Fetch(&type, &value, &tb);
                PyObject *r = PyObject_CallMethod(batcher, "end_read", NULL);
                if (r == NULL) PyErr_WriteUnraisable(batcher);
                Py_XDECREF(r);
                PyErr_Restore(type, value, tb);
            }
            goto done;
        }
        PyObject *a[7] = {data, stamp, fast, now ? now : Py_None, tokens ? tokens : Py_None,
                          budget ? budget : Py_None, result};
        out = PyObject_Vectorcall(meth, a, 7, NULL);
        Py_DECREF(meth);
        if (out != NULL) {      /* TCP_QUICKACK after the read's writes (transport/tcp.py QUICKACK; _qa_fd -1: off) */
            PyObject *qa = PyObject_GetAttr(self, S_qa_fd);
            long fd = qa != NULL && PyLong_Check(qa) ? PyLong_AsLong(qa) : -1;
            Py_XDECREF(qa);
            if (fd >= 0) {
                int one = 1;
                (void)setsockopt((int)fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
            }
            if (PyErr_Occurred()) PyErr_Clear();     /* (no _qa_fd: a protocol without it, nothing set) */
        }
    }
    goto done;
slow:
    if (begun) goto done;       /* (not reached: every error after begun goes to failed) */
    PyErr_Clear();
    out = entry_slow(self, data);
done:
    while (nr) Py_DECREF(refs[--nr]);
    Py_XDECREF(result); Py_XDECREF(now); Py_XDECREF(tokens); Py_XDECREF(budget); Py_XDECREF(first); Py_XDECREF(t);
    Py_XDECREF(stamp);
    return out;
#undef GET
}

static PyMethodDef ReadEntry_methods[] = {
    {"data_received", (PyCFunction)ReadEntry_data_received, METH_O,
     "a read: the fast path's C call without a Python frame before the write, else FairReads.data_received"},
    {NULL}
};

static PyTypeObject ReadEntryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._path.ReadEntry",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A base of FixProtocol: its data_received in C (gateway/native/read_entry.h).",
    .tp_new = PyType_GenericNew,
    .tp_methods = ReadEntry_methods,
};

/* bind_entry_slow(slow, backlog_read): where every read the entry does not take goes (transport/tcp.py) */
static PyObject *bind_entry_slow(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyCallable_Check(args[0]) || !PyLong_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "bind_entry_slow(slow: callable, backlog_read: int)");
        return NULL;
    }
    Py_ssize_t br = PyLong_AsSsize_t(args[1]);
    if (br == -1 && PyErr_Occurred()) return NULL;
    Py_XSETREF(E_slow, Py_NewRef(args[0]));
    E_backlog_read = br;
    Py_RETURN_NONE;
}

/* bind_entry(client_type, venue_type, active, parser_type, audit_type): the reads it may take (order_fast.py) */
static PyObject *bind_entry(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "bind_entry(client_type, venue_type, active, parser_type, audit_type)");
        return NULL;
    }
    PyObject **d[] = {&E_client_type, &E_venue_type, &E_active, &E_parser_type, &E_audit_type};
    for (int i = 0; i < 5; i++) Py_XSETREF(*d[i], Py_NewRef(args[i]));
    Py_RETURN_NONE;
}

/* entry_counts() -> (reads taken, reads passed to Python), and reset */
static PyObject *entry_counts(PyObject *mod, PyObject *unused) {
    PyObject *r = Py_BuildValue("(LL)", entry_taken, entry_passed);
    entry_taken = entry_passed = 0;
    return r;
}
