/* The venue-report side's booking in C: report_fast.VenueFastPath._book's common case, done in
 * the report's own step right after its client write (included by path.c).
 *
 * A report the C call applied and whose client ExecutionReport it wrote itself (client_send's
 * 1) is booked here when the gateway has no on_change hook and no trail gate (bind_book, checked
 * at each reports call) and, when it ends the order (a full fill, the Canceled of the client's
 * cancel), nothing of the order is left reserved and no replace or cancel of the client is
 * pending (gw._end's common case). The booking is _book's, in its order, on the same objects
 * (the OrderState stays the one copy; gw.orders, gw._live, gw._done, gw._finished, the books):
 * the ack round trip hop, the open notional of the released quantity (the client's book and the
 * venue link's), the fill / cancel / filled counts, the client session's _last_sent and
 * messages_out, the ClOrdID done and retained (gw._evict past retain_finished), the
 * venue->client hop (gw.drain_latency at its bound), the venue session's inbound number.
 * Any other report gets its record, booked by Python; once one of a call's reports is left to
 * Python, the rest of the call's are too (booked in frame order). */

static PyObject *B_hop_buf, *B_ack_rtt, *B_venue_client, *B_sent_ns, *B_client_open, *B_venues, *B_open_notional,
                *B_counts, *B_canceled, *B_fills, *B_filled, *B_last_sent, *B_clock, *B_messages_out, *B_pending,
                *B_live, *B_done, *B_awaiting, *B_discard, *B_finished, *B_append, *B_retain, *B_evict, *B_drain,
                *B_client_id, *B_on_change, *B_gate_batcher, *B_set_next_target, *B_pop, *ONE_B;

static int book_names(void) {
    const char *n[] = {"_hop_buf", "venue ack rtt", "venue->client", "sent_ns", "_client_open", "venues",
        "open_notional", "counts", "canceled", "fills", "filled", "_last_sent", "clock", "messages_out", "pending",
        "_live", "_done", "awaiting", "discard", "_finished", "append", "_retain", "_evict", "drain_latency",
        "client_id", "on_change", "gate_batcher", "set_next_target", "pop"};
    PyObject **d[] = {&B_hop_buf, &B_ack_rtt, &B_venue_client, &B_sent_ns, &B_client_open, &B_venues,
        &B_open_notional, &B_counts, &B_canceled, &B_fills, &B_filled, &B_last_sent, &B_clock, &B_messages_out,
        &B_pending, &B_live, &B_done, &B_awaiting, &B_discard, &B_finished, &B_append, &B_retain, &B_evict,
        &B_drain, &B_client_id, &B_on_change, &B_gate_batcher, &B_set_next_target, &B_pop};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if ((*d[i] = PyUnicode_InternFromString(n[i])) == NULL) return -1;
    return (ONE_B = PyLong_FromLong(1)) == NULL ? -1 : 0;
}

/* At the start of a reports call: whether its reports may be booked here (bound, no on_change
 * hook, no trail gate); -1 error */
static int book_begin(FastPath *self) {
    self->booked = 0;
    self->bk_behind = 0;
    self->bk_on = 0;
    if (self->bk_gw == NULL) return 0;
    PyObject *hook = PyObject_GetAttr(self->bk_gw, B_on_change);
    if (hook == NULL) return -1;
    Py_DECREF(hook);
    PyObject *gate = PyObject_GetAttr(self->bk_gw, B_gate_batcher);
    if (gate == NULL) return -1;
    Py_DECREF(gate);
    self->bk_on = hook == Py_None && gate == Py_None;
    return 0;
}

/* Whether the report's booking is the common case (1), Python's (0), -1 error. */
static int book_ready(PyObject *state, char et, int full) {
    if (et != '4' && !full) return 1;
    long long reserved = 0;
    int fits = 1;
    if (attr_ll(state, S_reserved, &reserved, &fits)) return -1;
    if (!fits || reserved) return 0;
    PyObject *p = PyObject_GetAttr(state, B_pending);
    if (p == NULL) return -1;
    Py_DECREF(p);
    if (p != Py_None) return 0;
    int t = attr_true(state, S_pending_cl);
    return t < 0 ? -1 : !t;
}

/* d[key] += 1 of a dict of counts (KeyError where the key is missing, as Python's) */
static int book_count(PyObject *counts, PyObject *key) {
    PyObject *v = PyDict_GetItemWithError(counts, key);
    if (v == NULL) { if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key); return -1; }
    PyObject *n = PyNumber_Add(v, ONE_B);
    if (n == NULL) return -1;
    int rc = PyDict_SetItem(counts, key, n);
    Py_DECREF(n);
    return rc;
}

/* obj.name += by (by: a new int or the one constant), -1 error */
static int book_add_attr(PyObject *obj, PyObject *name, PyObject *by, int subtract) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    PyObject *n = subtract ? PyNumber_Subtract(v, by) : PyNumber_Add(v, by);
    Py_DECREF(v);
    if (n == NULL) return -1;
    int rc = PyObject_SetAttr(obj, name, n);
    Py_DECREF(n);
    return rc;
}

static int book_hop(PyObject *buf, PyObject *hop, PyObject *venue, PyObject *cid, long long ns) {
    PyObject *t = Py_BuildValue("(OOOL)", hop, venue, cid, ns);
    if (t == NULL) return -1;
    int rc = PyList_Append(buf, t);
    Py_DECREF(t);
    return rc;
}

/* The booking (the header's list), -1 error: the venue session's inbound number is consumed
 * whatever fails, as _book's finally does */
static int book_report(FastPath *self, PyObject *state, PyObject *client, PyObject *venue, PyObject *order, char et,
                       int ack_owed, long long released, int full, long long seq, int64_t t0, int64_t t_sent) {
    PyObject *gw = self->bk_gw;
    int rc = -1;
    PyObject *cid = NULL, *buf = NULL, *counts = NULL, *venues = NULL, *link = NULL, *tmp = NULL, *key = NULL,
             *oid = NULL, *coll = NULL, *num = NULL;
    if ((cid = PyObject_GetAttr(state, B_client_id)) == NULL || (buf = PyObject_GetAttr(gw, B_hop_buf)) == NULL ||
        (counts = PyObject_GetAttr(gw, B_counts)) == NULL || (venues = PyObject_GetAttr(gw, B_venues)) == NULL)
        goto done;
    if (!PyList_Check(buf) || !PyDict_Check(counts) || !PyDict_Check(venues)) {
        PyErr_SetString(PyExc_TypeError, "book: the gateway's _hop_buf, counts and venues must be a list and dicts");
        goto done;
    }
    link = PyDict_GetItemWithError(venues, venue);
    if (link == NULL) { if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, venue); goto done; }
    Py_INCREF(link);
    if (ack_owed) {      /* the ack round trip (gw._hop's append) */
        long long sent_ns = 0;
        int fits = 1;
        if (attr_ll(state, B_sent_ns, &sent_ns, &fits)) goto done;
        if (!fits) { PyErr_SetString(PyExc_ValueError, "book: sent_ns out of range"); goto done; }
        if (book_hop(buf, B_ack_rtt, venue, cid, (long long)t0 - sent_ns)) goto done;
    }
    if (released) {      /* gw._book: the client's and the venue's open notional */
        PyObject *price = PyObject_GetAttr(order, S_price), *rq = price ? PyLong_FromLongLong(released) : NULL;
        num = rq ? PyNumber_Multiply(rq, price) : NULL;
        Py_XDECREF(price); Py_XDECREF(rq);
        if (num == NULL || (coll = PyObject_GetAttr(gw, B_client_open)) == NULL) goto done;
        if (!PyDict_Check(coll)) { PyErr_SetString(PyExc_TypeError, "book: _client_open must be a dict"); goto done; }
        PyObject *old = PyDict_GetItemWithError(coll, cid);
        if (old == NULL && PyErr_Occurred()) goto done;
        if ((tmp = PyNumber_Subtract(old ? old : ZERO, num)) == NULL || PyDict_SetItem(coll, cid, tmp)) goto done;
        Py_CLEAR(tmp); Py_CLEAR(coll);
        if (book_add_attr(link, B_open_notional, num, 1)) goto done;
    }
    if (et == '4') { if (book_count(counts, B_canceled)) goto done; }
    else if (et != '0' && book_count(counts, B_fills)) goto done;
    /* the client's report written by C: Session._record_and_write's bookkeeping after its write */
    if ((tmp = PyObject_CallMethodNoArgs(client, B_clock)) == NULL || PyObject_SetAttr(client, B_last_sent, tmp)) goto done;
    Py_CLEAR(tmp);
    if (book_add_attr(client, B_messages_out, ONE_B, 0)) goto done;
    if (et == '4' || full) {       /* gw._end's common case: the ClOrdID done, the order retained */
        if (et != '4' && book_count(counts, B_filled)) goto done;
        PyObject *ocl = PyObject_GetAttr(order, S_cl_ord_id);
        if (ocl == NULL) goto done;
        key = PyTuple_Pack(2, cid, ocl);
        Py_DECREF(ocl);
        if (key == NULL || (oid = PyObject_GetAttr(order, S_order_id)) == NULL) goto done;
        if ((coll = PyObject_GetAttr(gw, B_live)) == NULL) goto done;
        if (PyDict_Check(coll)) {
            PyObject *v = PyDict_GetItemWithError(coll, key);
            if (v == NULL ? PyErr_Occurred() != NULL : PyDict_DelItem(coll, key) < 0) goto done;
        } else if ((tmp = PyObject_CallMethodObjArgs(coll, B_pop, key, Py_None, NULL)) == NULL) goto done;
        Py_CLEAR(tmp); Py_CLEAR(coll);
        if ((coll = PyObject_GetAttr(gw, B_done)) == NULL || PyObject_SetItem(coll, key, oid)) goto done;
        Py_CLEAR(coll);
        if ((coll = PyObject_GetAttr(link, B_awaiting)) == NULL) goto done;
        int t = PyObject_IsTrue(coll);
        if (t < 0 || (t && (tmp = PyObject_CallMethodOneArg(coll, B_discard, oid)) == NULL)) goto done;
        Py_CLEAR(tmp); Py_CLEAR(coll);
        if ((coll = PyObject_GetAttr(gw, B_finished)) == NULL ||
            (tmp = PyObject_CallMethodOneArg(coll, B_append, oid)) == NULL)
            goto done;
        Py_CLEAR(tmp);
        Py_ssize_t nfin = PyObject_Length(coll);
        if (nfin < 0 || (tmp = PyObject_GetAttr(gw, B_retain)) == NULL) goto done;
        Py_ssize_t retain = PyLong_AsSsize_t(tmp);
        if (retain == -1 && PyErr_Occurred()) goto done;
        Py_CLEAR(tmp);
        if (nfin > retain && (tmp = PyObject_CallMethodNoArgs(gw, B_evict)) == NULL) goto done;
        Py_CLEAR(tmp);
    }
    /* received -> the client's report written (here: written by C) */
    if (book_hop(buf, B_venue_client, venue, cid, (long long)(t_sent - t0))) goto done;
    if (PyList_GET_SIZE(buf) > 100000 && (tmp = PyObject_CallMethodNoArgs(gw, B_drain)) == NULL) goto done;
    rc = 0;
done:
    {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject *store = PyObject_GetAttr(self->bk_session, S_store), *next = store ? PyLong_FromLongLong(seq + 1) : NULL;
        PyObject *r = next ? PyObject_CallMethodOneArg(store, B_set_next_target, next) : NULL;
        Py_XDECREF(store); Py_XDECREF(next);
        if (r == NULL) {
            if (type != NULL) PyErr_Clear(); else rc = -1;      /* (the first error is raised) */
        }
        Py_XDECREF(r);
        if (type != NULL) PyErr_Restore(type, value, tb);
    }
    Py_XDECREF(cid); Py_XDECREF(buf); Py_XDECREF(counts); Py_XDECREF(venues); Py_XDECREF(link); Py_XDECREF(tmp);
    Py_XDECREF(key); Py_XDECREF(oid); Py_XDECREF(coll); Py_XDECREF(num);
    return rc;
}

/* bind_book(gw, session): the venue-report side books its common reports itself (book_report);
 * bind_book(None, None) leaves every report's booking to Python */
static PyObject *FastPath_bind_book(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "bind_book(gateway, venue_session)"); return NULL; }
    if (args[0] == Py_None) { Py_CLEAR(self->bk_gw); Py_CLEAR(self->bk_session); Py_RETURN_NONE; }
    Py_XSETREF(self->bk_gw, Py_NewRef(args[0]));
    Py_XSETREF(self->bk_session, Py_NewRef(args[1]));
    Py_RETURN_NONE;
}
