/* The Python calls the fast paths' C made per order, made in C (included by path.c).
 *
 * Under load (20 sessions x 1,000 orders/s) a profile of the gateway's Python calls
 * (sys.setprofile, a bounded window) showed, with the read entry and the bookings in C, no Python
 * frame per read on the fast paths but ~14 per order, every one called from these C paths: the
 * session's write through its WriteBatcher (``WriteBatcher.write``: a read's later venue orders,
 * every client report), the stores' inbound number (``MemoryStore.set_next_target``, client and
 * venue), the report's ExecID (``StringIds.__next__``), the venue ClOrdID's order id
 * (``venue_order_id``, a Python wrapper of the C function), the fill's LastPx in ticks
 * (``TickSize.parse_ticks`` and its two ``digits``) and the client report's fields
 * (``report_fields``, its ``by_name``, ``_tick_args`` and the tick's dataclass ``__hash__``
 * before the C ``ReportFields``). Each is done here for its common case, on the same objects,
 * with the same result; anything else calls the Python as before:
 *
 * - ``batched_write(write, data)``: ``write`` is ``functools.partial(WriteBatcher.write of a
 *   batcher, proto)`` (FixProtocol._attach) and the batcher is inside a read, with no trail gate:
 *   WriteBatcher.write's read branch (the read's first write to proto straight to its transport,
 *   the next ones collected in ``_pending``, ``batched`` counted; READ_BATCH reached: its
 *   ``flush_one``). Any other write, or outside a read, or a gate: the call.
 * - ``store_next_target(meth, next)``: ``meth`` is a store's bound ``set_next_target`` of
 *   MemoryStore (``self.next_target_seq = seq``): the attribute set. Else the call.
 * - ``next_exec_id(exec_next)``: ``StringIds.__next__`` bound (``_n += 1``, ``f"{_prefix}{_n}"``)
 *   on an int ``_n`` and a str ``_prefix``. Else the call.
 * - ``ticks_of(...)``: TickSize.parse_ticks of a price it accepts (ASCII digits, an optional
 *   fraction, <= 18 whole digits, the fraction within the tick's decimals, on the grid); any other
 *   text (every one parse_ticks refuses among them) is parse_ticks' own (its PriceError).
 *
 * ``bind_calls(MemoryStore.set_next_target, WriteBatcher.write, READ_BATCH, StringIds.__next__)``
 * turns them on (order_fast.py, unless WIRESPEED_C_CALLS=0); ``bind_calls(None, None, 0, None)``
 * off. The report side's two (venue_order_id's C function, the C ReportFields with the tick's
 * arguments) are bound per VenueFastPath (report_fast.py). docs/gateway/native.md. */
#ifndef WIRESPEED_CALLS_H
#define WIRESPEED_CALLS_H

static PyObject *C_MEM_SNT, *C_WB_WRITE, *C_SIDS_NEXT;
static Py_ssize_t C_READ_BATCH;
static PyObject *S_c_gate, *S_c_batched, *S_c_flush_one, *S_c_func, *S_c_args, *S_c_keywords, *S_c_ntarget,
                *S_c_n, *S_c_prefix;

static int calls_names(void) {
    const char *n[] = {"gate", "batched", "flush_one", "func", "args", "keywords", "next_target_seq", "_n", "_prefix"};
    PyObject **d[] = {&S_c_gate, &S_c_batched, &S_c_flush_one, &S_c_func, &S_c_args, &S_c_keywords, &S_c_ntarget,
                      &S_c_n, &S_c_prefix};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if ((*d[i] = PyUnicode_InternFromString(n[i])) == NULL) return -1;
    return 0;
}

/* 1: ``write`` is partial(batcher.write, proto) of a WriteBatcher (new references in *bp, *pp);
 * 0: not (nothing set); -1: error */
static int batcher_partial(PyObject *write, PyObject **bp, PyObject **pp) {
    if (C_WB_WRITE == NULL || PyMethod_Check(write) || PyFunction_Check(write) || PyCFunction_Check(write)) return 0;
    PyObject *func = PyObject_GetAttr(write, S_c_func);
    if (func == NULL) { PyErr_Clear(); return 0; }
    int ok = PyMethod_Check(func) && PyMethod_GET_FUNCTION(func) == C_WB_WRITE;
    PyObject *args = ok ? PyObject_GetAttr(write, S_c_args) : NULL, *kw = args ? PyObject_GetAttr(write, S_c_keywords) : NULL;
    ok = ok && kw != NULL && PyTuple_CheckExact(args) && PyTuple_GET_SIZE(args) == 1 &&
         (kw == Py_None || (PyDict_Check(kw) && PyDict_GET_SIZE(kw) == 0));
    if (ok) {
        *bp = Py_NewRef(PyMethod_GET_SELF(func));
        *pp = Py_NewRef(PyTuple_GET_ITEM(args, 0));
    }
    Py_DECREF(func); Py_XDECREF(args); Py_XDECREF(kw);
    if (!ok) PyErr_Clear();
    return ok;
}

/* ``write(data)``, WriteBatcher.write's read branch done here where it is one (above). Returns a
 * new reference (None) or NULL. */
static PyObject *batched_write(PyObject *write, PyObject *data) {
    PyObject *batcher = NULL, *proto = NULL;
    int is = batcher_partial(write, &batcher, &proto);
    if (is <= 0) return is < 0 ? NULL : PyObject_CallOneArg(write, data);
    PyObject *out = NULL, *reading = NULL, *gate = NULL, *pending = NULL, *sent = NULL, *n = NULL;
    if ((reading = PyObject_GetAttr(batcher, S_w_reading)) == NULL || (gate = PyObject_GetAttr(batcher, S_c_gate)) == NULL)
        goto done;
    int r = PyObject_IsTrue(reading);
    if (r < 0) goto done;
    if (!r || gate != Py_None) { out = PyObject_CallOneArg(write, data); goto done; }    /* (outside a read, a trail) */
    if ((pending = PyObject_GetAttr(batcher, S_pending)) == NULL || (sent = PyObject_GetAttr(batcher, S_sent)) == NULL)
        goto done;
    if (!PyDict_CheckExact(pending) || !PySet_CheckExact(sent)) { out = PyObject_CallOneArg(write, data); goto done; }
    PyObject *buf = PyDict_GetItemWithError(pending, proto);
    if (buf == NULL && PyErr_Occurred()) goto done;
    if (buf == NULL) {
        int seen = PySet_Contains(sent, proto);
        if (seen < 0) goto done;
        if (!seen) {        /* the read's first write to it: at once (WriteBatcher.write's own first case) */
            PyObject *t = PyObject_GetAttr(proto, S_transport);
            if (t == NULL) goto done;
            if (PySet_Add(sent, proto)) { Py_DECREF(t); goto done; }
            out = PyObject_CallMethodOneArg(t, S_write_m, data);
            Py_DECREF(t);
            goto done;
        }
        PyObject *list = PyList_New(1);
        if (list == NULL) goto done;
        PyList_SET_ITEM(list, 0, Py_NewRef(data));
        int bad = PyDict_SetItem(pending, proto, list);
        Py_DECREF(list);
        if (bad) goto done;
    } else {
        if (!PyList_CheckExact(buf)) { out = PyObject_CallOneArg(write, data); goto done; }
        Py_INCREF(buf);
        int bad = PyList_Append(buf, data);
        Py_ssize_t len = PyList_GET_SIZE(buf);
        Py_DECREF(buf);
        if (bad) goto done;
        if (len >= C_READ_BATCH) {
            PyObject *f = PyObject_CallMethodOneArg(batcher, S_c_flush_one, proto);
            if (f == NULL) goto done;
            Py_DECREF(f);
        }
    }
    /* self.batched += 1 */
    if ((n = PyObject_GetAttr(batcher, S_c_batched)) == NULL) goto done;
    Py_SETREF(n, PyNumber_Add(n, ONE_C));
    if (n == NULL || PyObject_SetAttr(batcher, S_c_batched, n)) goto done;
    out = Py_NewRef(Py_None);
done:
    Py_XDECREF(batcher); Py_XDECREF(proto); Py_XDECREF(reading); Py_XDECREF(gate); Py_XDECREF(pending);
    Py_XDECREF(sent); Py_XDECREF(n);
    return out;
}

/* ``meth(next)`` for a store's bound set_next_target; MemoryStore's done here. 0 or -1. */
static int store_next_target(PyObject *meth, PyObject *next) {
    if (C_MEM_SNT != NULL && PyMethod_Check(meth) && PyMethod_GET_FUNCTION(meth) == C_MEM_SNT)
        return PyObject_SetAttr(PyMethod_GET_SELF(meth), S_c_ntarget, next);
    PyObject *r = PyObject_CallOneArg(meth, next);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* The next ExecID: ``exec_next()``, StringIds.__next__'s done here. A new reference or NULL. */
static PyObject *next_exec_id(PyObject *exec_next) {
    if (C_SIDS_NEXT == NULL || !PyMethod_Check(exec_next) || PyMethod_GET_FUNCTION(exec_next) != C_SIDS_NEXT)
        return PyObject_CallNoArgs(exec_next);
    PyObject *ids = PyMethod_GET_SELF(exec_next);
    PyObject *n = PyObject_GetAttr(ids, S_c_n), *prefix = n ? PyObject_GetAttr(ids, S_c_prefix) : NULL, *out = NULL;
    if (prefix == NULL) { Py_XDECREF(n); return NULL; }
    if (!PyLong_CheckExact(n) || !PyUnicode_CheckExact(prefix)) {
        Py_DECREF(n); Py_DECREF(prefix);
        return PyObject_CallNoArgs(exec_next);
    }
    PyObject *n1 = PyNumber_Add(n, ONE_C);
    if (n1 != NULL && PyObject_SetAttr(ids, S_c_n, n1) == 0)
        out = PyUnicode_FromFormat("%U%S", prefix, n1);
    Py_DECREF(n); Py_DECREF(prefix); Py_XDECREF(n1);
    return out;
}

/* TickSize.parse_ticks of the price d[0:len] on a tick of ``units`` x 10^-``decimals``: 1 and *out
 * for a price it accepts (a text parse_ticks gives the same int for), 0 for any other (the caller
 * calls parse_ticks: its PriceError or its result). */
static int ticks_of(const char *d, Py_ssize_t len, long long units, long long decimals, long long *out) {
    if (units <= 0 || decimals < 0 || decimals > 18) return 0;
    Py_ssize_t dot = -1;
    for (Py_ssize_t i = 0; i < len; i++) {
        if (d[i] == '.') { dot = i; break; }
        if (d[i] < '0' || d[i] > '9') return 0;
    }
    Py_ssize_t wlen = dot < 0 ? len : dot;
    if (wlen < 1 || wlen > 18) return 0;         /* (parse_ticks' ".5" and long wholes: its own) */
    Py_ssize_t fend = len;
    if (dot >= 0) {
        if (dot + 1 >= len) return 0;            /* "5.": malformed (its PriceError) */
        for (Py_ssize_t i = dot + 1; i < len; i++)
            if (d[i] < '0' || d[i] > '9') return 0;
        while (fend > dot + 1 && d[fend - 1] == '0') fend--;      /* frac.rstrip("0") */
    }
    Py_ssize_t flen = dot < 0 ? 0 : fend - dot - 1;
    if (flen > decimals) return 0;               /* finer than the tick: its PriceError */
    __int128 whole = 0, frac = 0, scale = 1;
    for (Py_ssize_t i = 0; i < wlen; i++) whole = whole * 10 + (d[i] - '0');
    for (long long k = 0; k < decimals; k++) scale *= 10;
    for (Py_ssize_t i = 0; i < flen; i++) frac = frac * 10 + (d[dot + 1 + i] - '0');
    for (Py_ssize_t k = flen; k < decimals; k++) frac *= 10;     /* frac.ljust(decimals, "0") */
    __int128 scaled = whole * scale + frac;
    if (scaled % units) return 0;                 /* off the grid: its PriceError */
    __int128 t = scaled / units;
    if (t > (__int128)LLONG_MAX) return 0;
    *out = (long long)t;
    return 1;
}

/* ticks_of(price: bytes, units, decimals) -> int, or None where parse_ticks is left to do it (tests) */
static PyObject *ticks_of_py(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "ticks_of(price: bytes, units: int, decimals: int)");
        return NULL;
    }
    long long units = PyLong_AsLongLong(args[1]), decimals = PyLong_AsLongLong(args[2]), out = 0;
    if (PyErr_Occurred()) return NULL;
    if (!ticks_of(PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]), units, decimals, &out)) Py_RETURN_NONE;
    return PyLong_FromLongLong(out);
}

/* bind_calls(MemoryStore.set_next_target, WriteBatcher.write, READ_BATCH, StringIds.__next__), or
 * bind_calls(None, None, 0, None): the calls above made in C, or all called again */
static PyObject *bind_calls(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "bind_calls(MemoryStore.set_next_target, WriteBatcher.write, READ_BATCH, StringIds.__next__)");
        return NULL;
    }
    for (int i = 0; i < 4; i++) {
        if (i != 2 && args[i] != Py_None && !PyFunction_Check(args[i])) {
            PyErr_SetString(PyExc_TypeError, "bind_calls: the methods must be Python functions (or None)");
            return NULL;
        }
    }
    Py_ssize_t rb = PyLong_AsSsize_t(args[2]);
    if (rb == -1 && PyErr_Occurred()) return NULL;
    PyObject **d[] = {&C_MEM_SNT, &C_WB_WRITE, NULL, &C_SIDS_NEXT};
    for (int i = 0; i < 4; i++)
        if (d[i]) Py_XSETREF(*d[i], args[i] == Py_None ? NULL : Py_NewRef(args[i]));
    C_READ_BATCH = rb < 1 ? 1 : rb;
    Py_RETURN_NONE;
}

#endif
