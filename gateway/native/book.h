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
    return self->bk_on ? ring_begin(self, self->bk_gw) : 0;
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

/* ---- the stamp ring (stamp_ring.h): the C paths' hops and stamps as words, not tuples -------- */
static PyObject *G_ring, *G_buf, *G_ids, *G_names;

static void ring_release(FastPath *self) {
    if (self->rg != NULL) { PyBuffer_Release(&self->rg_view); Py_CLEAR(self->rg); }
    Py_CLEAR(self->rg_ids); Py_CLEAR(self->rg_names);
}

/* At a call's start: the gateway's ring (gw._ring; None or absent: none) held, its words checked;
 * the same ring as the last call's is kept as it is. -1 error (a _ring that is not a StampRing) */
static int ring_begin(FastPath *self, PyObject *gw) {
    if (G_ring == NULL && ((G_ring = PyUnicode_InternFromString("_ring")) == NULL ||
            (G_buf = PyUnicode_InternFromString("buf")) == NULL || (G_ids = PyUnicode_InternFromString("ids")) == NULL ||
            (G_names = PyUnicode_InternFromString("names")) == NULL))
        return -1;
    PyObject *r = PyObject_GetAttr(gw, G_ring);
    if (r == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return -1;
        PyErr_Clear();
        r = Py_NewRef(Py_None);
    }
    if (r == self->rg || (r == Py_None && self->rg == NULL)) { Py_DECREF(r); return 0; }
    ring_release(self);
    if (r == Py_None) { Py_DECREF(r); return 0; }
    PyObject *buf = PyObject_GetAttr(r, G_buf), *ids = buf ? PyObject_GetAttr(r, G_ids) : NULL,
             *names = ids ? PyObject_GetAttr(r, G_names) : NULL;
    int rc = -1;
    if (names == NULL) goto out;
    if (!PyDict_CheckExact(ids) || !PyList_CheckExact(names) || !PyByteArray_CheckExact(buf)) {
        PyErr_SetString(PyExc_TypeError, "the gateway's _ring must be a StampRing (a bytearray, a dict and a list)");
        goto out;
    }
    if (PyObject_GetBuffer(buf, &self->rg_view, PyBUF_WRITABLE) < 0) goto out;
    if (ring_words(&self->rg_view) == NULL) {
        PyBuffer_Release(&self->rg_view);
        PyErr_SetString(PyExc_ValueError, "the gateway's _ring: its head does not fit its bytes");
        goto out;
    }
    self->rg = Py_NewRef(r), self->rg_ids = Py_NewRef(ids), self->rg_names = Py_NewRef(names);
    rc = 0;
out:
    Py_DECREF(r); Py_XDECREF(buf); Py_XDECREF(ids); Py_XDECREF(names);
    return rc;
}

/* A hop's value (``stamps`` 0: v[0]) or an order's four stamps (1: v[0..3]) into the ring, under
 * the id of (hop, venue, cid) in its names (added on first sight): 1 written; 0 not (no ring, or
 * full after the drain at its bound: the caller appends its tuple, as before); -1 error */
static int ring_put(FastPath *self, PyObject *gw, PyObject *hop, PyObject *venue, PyObject *cid, int stamps,
                    const int64_t *v) {
    if (self->rg == NULL) return 0;
    /* the head checked at every write, not only when the ring was first bound: Python owns the
     * words too (its reset, its reader), and a head that does not fit the bytes must not move the
     * write past them */
    int64_t need = stamps ? RING_STAMP_WORDS : RING_HOP_WORDS, *w = ring_words(&self->rg_view);
    if (w == NULL) goto bad_head;
    if (w[0] + need > w[1]) {      /* full: drained now (as the lists at 100,000 items) */
        PyObject *t = PyObject_CallMethodNoArgs(gw, B_drain);
        if (t == NULL) return -1;
        Py_DECREF(t);
        if ((w = ring_words(&self->rg_view)) == NULL) goto bad_head;
        if (w[0] + need > w[1]) return 0;
    }
    PyObject *key = PyTuple_Pack(3, hop, venue, cid);
    if (key == NULL) return -1;
    long long gid;
    PyObject *g = PyDict_GetItemWithError(self->rg_ids, key);
    if (g != NULL) {
        gid = PyLong_AsLongLong(g);
        if (gid < 0 || gid >= PyList_GET_SIZE(self->rg_names)) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "the stamp ring's ids and names disagree");
            Py_DECREF(key);
            return -1;
        }
    } else {
        PyObject *n = PyErr_Occurred() ? NULL : PyLong_FromSsize_t(gid = PyList_GET_SIZE(self->rg_names));
        if (n == NULL || PyList_Append(self->rg_names, key) || PyDict_SetItem(self->rg_ids, key, n)) {
            Py_XDECREF(n); Py_DECREF(key);
            return -1;
        }
        Py_DECREF(n);
    }
    Py_DECREF(key);
    int64_t *p = w + RING_HEAD + w[0];
    p[0] = ((int64_t)gid << 1) | stamps;
    memcpy(p + 1, v, (size_t)(need - 1) * sizeof(int64_t));
    w[0] += need;
    return 1;
bad_head:
    PyErr_SetString(PyExc_ValueError, "the gateway's _ring: its head does not fit its bytes");
    return -1;
}

/* A hop's value into the ring, else appended to gw._hop_buf (``*buf``: fetched on first use) */
static int book_hop_of(FastPath *self, PyObject *gw, PyObject **buf, PyObject *hop, PyObject *venue, PyObject *cid,
                       long long ns) {
    int64_t v = ns;
    int r = ring_put(self, gw, hop, venue, cid, 0, &v);
    if (r) return r < 0 ? -1 : 0;
    if (*buf == NULL) {
        if ((*buf = PyObject_GetAttr(gw, B_hop_buf)) == NULL) return -1;
        if (!PyList_Check(*buf)) {
            PyErr_SetString(PyExc_TypeError, "book: the gateway's _hop_buf must be a list");
            return -1;
        }
    }
    return book_hop(*buf, hop, venue, cid, ns);
}

static PyObject *E_orders, *E_popleft, *E_ouch_refs, *E_ouch_map;

/* gw._evict, written out (a Python call a finished order once past retain_finished): the oldest
 * finished orders forgotten until ``retain`` are left; their ClOrdID's done entry if it is still
 * theirs, their OUCH UserRefNums. ``finished``: gw._finished (a deque). -1 error */
static int book_evict(PyObject *gw, PyObject *finished, Py_ssize_t retain) {
    if (E_orders == NULL && ((E_orders = PyUnicode_InternFromString("orders")) == NULL ||
            (E_popleft = PyUnicode_InternFromString("popleft")) == NULL ||
            (E_ouch_refs = PyUnicode_InternFromString("ouch_refs")) == NULL ||
            (E_ouch_map = PyUnicode_InternFromString("_ouch_refs")) == NULL))
        return -1;
    int rc = -1;
    PyObject *orders = PyObject_GetAttr(gw, E_orders), *done = orders ? PyObject_GetAttr(gw, B_done) : NULL;
    if (done == NULL) goto out;
    if (!PyDict_Check(orders) || !PyDict_Check(done)) {
        Py_DECREF(done); done = NULL;
        PyObject *r = PyObject_CallMethodNoArgs(gw, B_evict);      /* (not dicts: Python's own) */
        Py_XDECREF(r);
        rc = r ? 0 : -1;
        goto out;
    }
    for (;;) {
        Py_ssize_t n = PyObject_Length(finished);
        if (n < 0) goto out;
        if (n <= retain) break;
        PyObject *oid = PyObject_CallMethodNoArgs(finished, E_popleft);
        if (oid == NULL) goto out;
        PyObject *old = PyDict_GetItemWithError(orders, oid);      /* orders.pop(oid, None) */
        if (old == NULL) { Py_DECREF(oid); if (PyErr_Occurred()) goto out; continue; }
        Py_INCREF(old);
        int bad = PyDict_DelItem(orders, oid) < 0;
        Py_DECREF(oid);
        PyObject *cid = NULL, *ord = NULL, *ocl = NULL, *key = NULL, *ooid = NULL, *refs = NULL;
        if (!bad) bad = (cid = PyObject_GetAttr(old, B_client_id)) == NULL || (ord = PyObject_GetAttr(old, S_order)) == NULL ||
                        (ocl = PyObject_GetAttr(ord, S_cl_ord_id)) == NULL || (key = PyTuple_Pack(2, cid, ocl)) == NULL ||
                        (ooid = PyObject_GetAttr(ord, S_order_id)) == NULL;
        if (!bad) {    /* if done.get(key) == old.order.order_id: del done[key] */
            PyObject *v = PyDict_GetItemWithError(done, key);
            if (v == NULL) bad = PyErr_Occurred() != NULL;
            else {
                Py_INCREF(v);
                int same = PyObject_RichCompareBool(v, ooid, Py_EQ);
                Py_DECREF(v);
                bad = same < 0 || (same && PyDict_DelItem(done, key) < 0);
            }
        }
        if (!bad) bad = (refs = PyObject_GetAttr(old, E_ouch_refs)) == NULL;
        if (!bad) {
            int t = PyObject_IsTrue(refs);
            bad = t < 0;
            if (t > 0) {    /* for ref in old.ouch_refs: self._ouch_refs.pop(ref, None) */
                PyObject *map = PyObject_GetAttr(gw, E_ouch_map), *it = map ? PyObject_GetIter(refs) : NULL, *ref;
                bad = it == NULL;
                while (!bad && (ref = PyIter_Next(it)) != NULL) {
                    PyObject *r = PyObject_CallMethodObjArgs(map, B_pop, ref, Py_None, NULL);
                    Py_DECREF(ref);
                    bad = r == NULL;
                    Py_XDECREF(r);
                }
                if (!bad && PyErr_Occurred()) bad = 1;
                Py_XDECREF(it); Py_XDECREF(map);
            }
        }
        Py_DECREF(old); Py_XDECREF(cid); Py_XDECREF(ord); Py_XDECREF(ocl); Py_XDECREF(key); Py_XDECREF(ooid);
        Py_XDECREF(refs);
        if (bad) goto out;
    }
    rc = 0;
out:
    Py_XDECREF(orders); Py_XDECREF(done);
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
    if ((cid = PyObject_GetAttr(state, B_client_id)) == NULL ||
        (counts = PyObject_GetAttr(gw, B_counts)) == NULL || (venues = PyObject_GetAttr(gw, B_venues)) == NULL)
        goto done;
    if (!PyDict_Check(counts) || !PyDict_Check(venues)) {
        PyErr_SetString(PyExc_TypeError, "book: the gateway's counts and venues must be dicts");
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
        if (book_hop_of(self, gw, &buf, B_ack_rtt, venue, cid, (long long)t0 - sent_ns)) goto done;
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
        if (nfin > retain && book_evict(gw, coll, retain) < 0) goto done;
    }
    /* received -> the client's report written (here: written by C) */
    if (book_hop_of(self, gw, &buf, B_venue_client, venue, cid, (long long)(t_sent - t0))) goto done;
    if (buf != NULL && PyList_GET_SIZE(buf) > 100000 && (tmp = PyObject_CallMethodNoArgs(gw, B_drain)) == NULL) goto done;
    rc = 0;
done:
    {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject *store = PyObject_GetAttr(self->bk_session, S_store), *next = store ? PyLong_FromLongLong(seq + 1) : NULL;
        PyObject *meth = next ? PyObject_GetAttr(store, B_set_next_target) : NULL;
        PyObject *r = meth ? (store_next_target(meth, next) ? NULL : Py_NewRef(Py_None)) : NULL;   /* (calls.h) */
        Py_XDECREF(meth); Py_XDECREF(store); Py_XDECREF(next);
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

/* ---- the client side: ClientFastPath._sent's booking, right after the venue write -------------
 * While the gateway has no trail (gw._auditing false, read at each run call) and bind_new_book
 * bound it, an order the C call wrote to its venue is booked in the same step, no record
 * returned: what _sent does, in its order, on the same objects: counts["received"], the venue
 * session's _last_sent (its clock()) and messages_out, the "venue send" hop, the OrderState
 * (OrderState(order, client, venue, qty=, reserved=, venue_cl=), sent_ns), gw.orders and
 * gw._live, the client's and the venue link's open notional, the stamps, counts["accepted"],
 * drain_latency at the buffers' bound. With a trail, Python books (the trail's in / risk / out
 * records interleave with it). core.booked says how many the call booked. */

static PyObject *N_auditing, *N_received, *N_accepted, *N_hops, *N_orders, *N_venue_send, *N_client_venue, *N_kwnames;

static int new_book_names(void) {
    if ((N_auditing = PyUnicode_InternFromString("_auditing")) == NULL ||
        (N_received = PyUnicode_InternFromString("received")) == NULL ||
        (N_accepted = PyUnicode_InternFromString("accepted")) == NULL ||
        (N_hops = PyUnicode_InternFromString("_hops")) == NULL ||
        (N_orders = PyUnicode_InternFromString("orders")) == NULL ||
        (N_venue_send = PyUnicode_InternFromString("venue send")) == NULL ||
        (N_client_venue = PyUnicode_InternFromString("client->venue")) == NULL)
        return -1;
    return (N_kwnames = Py_BuildValue("(sss)", "qty", "reserved", "venue_cl")) == NULL ? -1 : 0;
}

/* At the start of a run call: whether its orders are booked here (bound, no trail); -1 error */
static int new_book_begin(FastPath *self) {
    self->booked = 0;
    self->nb_on = 0;
    if (self->nb_gw == NULL) return 0;
    PyObject *a = PyObject_GetAttr(self->nb_gw, N_auditing);
    if (a == NULL) return -1;
    int t = PyObject_IsTrue(a);
    Py_DECREF(a);
    if (t < 0) return -1;
    self->nb_on = !t;
    return self->nb_on ? ring_begin(self, self->nb_gw) : 0;
}

/* d[key] = d.get(key, 0) + by of a dict, -1 error */
static int book_dict_add(PyObject *d, PyObject *key, PyObject *by) {
    if (!PyDict_Check(d)) { PyErr_SetString(PyExc_TypeError, "book: _client_open must be a dict"); return -1; }
    PyObject *old = PyDict_GetItemWithError(d, key);
    if (old == NULL && PyErr_Occurred()) return -1;
    PyObject *n = PyNumber_Add(old ? old : ZERO, by);
    if (n == NULL) return -1;
    int rc = PyDict_SetItem(d, key, n);
    Py_DECREF(n);
    return rc;
}

/* OrderState(order, client, venue, qty=, reserved=, venue_cl=) made here, its dataclass __init__
 * and __post_init__ written out (calls.h's pattern: ~2 Python frames an order under load).
 * ``spec`` (order_fast.state_spec, checked against the class when bound) is a tuple of
 * (name, kind, value) in the order __init__ sets them: kind 0 the value a[value], 1 a default,
 * 2 a default factory called, 3 the client's config.target_comp_id (__post_init__). */
static PyObject *S_ms_config, *S_ms_target, *MS_EMPTY;

static PyObject *make_state(PyObject *type, PyObject *spec, PyObject *const *a) {
    if (S_ms_config == NULL && ((S_ms_config = PyUnicode_InternFromString("config")) == NULL ||
                                (S_ms_target = PyUnicode_InternFromString("target_comp_id")) == NULL ||
                                (MS_EMPTY = PyTuple_New(0)) == NULL))
        return NULL;
    PyTypeObject *t = (PyTypeObject *)type;
    PyObject *obj = t->tp_new(t, MS_EMPTY, NULL);
    if (obj == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(spec);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PyTuple_GET_ITEM(spec, i), *name = PyTuple_GET_ITEM(f, 0), *v = PyTuple_GET_ITEM(f, 2);
        long kind = PyLong_AsLong(PyTuple_GET_ITEM(f, 1));
        PyObject *val = NULL;
        if (kind == 0) val = Py_NewRef(a[PyLong_AsSsize_t(v)]);
        else if (kind == 1) val = Py_NewRef(v);
        else if (kind == 2) val = PyObject_CallNoArgs(v);
        else {
            PyObject *cfg = PyObject_GetAttr(a[1], S_ms_config);
            val = cfg ? PyObject_GetAttr(cfg, S_ms_target) : NULL;
            Py_XDECREF(cfg);
        }
        if (val == NULL || PyObject_SetAttr(obj, name, val)) { Py_XDECREF(val); Py_DECREF(obj); return NULL; }
        Py_DECREF(val);
    }
    return obj;
}

static int book_new(FastPath *self, PyObject *order, PyObject *oid, PyObject *key, PyObject *venue, PyObject *values,
                    int64_t t0, int64_t t1, int64_t t2, int64_t t3, int64_t tw) {
    PyObject *gw = self->nb_gw, *client = self->nb_client, *cid = self->client_id;
    int rc = -1;
    PyObject *counts = NULL, *venues = NULL, *link = NULL, *vs = NULL, *tmp = NULL, *buf = NULL, *qty = NULL,
             *vcl = NULL, *state = NULL, *coll = NULL, *price = NULL, *notional = NULL, *stamps = NULL;
    if ((counts = PyObject_GetAttr(gw, B_counts)) == NULL) goto done;
    if (!PyDict_Check(counts)) { PyErr_SetString(PyExc_TypeError, "book: the gateway's counts must be a dict"); goto done; }
    if (book_count(counts, N_received)) goto done;
    if ((venues = PyObject_GetAttr(gw, B_venues)) == NULL) goto done;
    if ((link = PyObject_GetItem(venues, venue)) == NULL || (vs = PyObject_GetAttr(link, S_session)) == NULL) goto done;
    /* Session._record_and_write's bookkeeping after its write */
    if ((tmp = PyObject_CallMethodNoArgs(vs, B_clock)) == NULL || PyObject_SetAttr(vs, B_last_sent, tmp)) goto done;
    Py_CLEAR(tmp);
    if (book_add_attr(vs, B_messages_out, ONE_B, 0)) goto done;
    if (book_hop_of(self, gw, &buf, N_venue_send, venue, cid, (long long)(t3 - tw))) goto done;    /* the write's system call */
    /* the order's state */
    if ((qty = PyObject_GetAttr(order, S_qty)) == NULL || (vcl = PySequence_GetItem(values, 0)) == NULL) goto done;
    {
        PyObject *a[6] = {order, client, venue, qty, qty, vcl};
        state = self->nb_state_spec != NULL ? make_state(self->nb_state_type, self->nb_state_spec, a)
                                            : PyObject_Vectorcall(self->nb_state_type, a, 3, N_kwnames);
    }
    if (state == NULL) goto done;
    if ((tmp = PyLong_FromLongLong((long long)t3)) == NULL || PyObject_SetAttr(state, B_sent_ns, tmp)) goto done;
    Py_CLEAR(tmp);
    if ((coll = PyObject_GetAttr(gw, N_orders)) == NULL || PyObject_SetItem(coll, oid, state)) goto done;
    Py_CLEAR(coll);
    if ((coll = PyObject_GetAttr(gw, B_live)) == NULL || PyObject_SetItem(coll, key, oid)) goto done;
    Py_CLEAR(coll);
    /* the notional booked: the client's, the venue link's */
    if ((price = PyObject_GetAttr(order, S_price)) == NULL || (notional = PyNumber_Multiply(qty, price)) == NULL) goto done;
    if ((coll = PyObject_GetAttr(gw, B_client_open)) == NULL || book_dict_add(coll, cid, notional)) goto done;
    Py_CLEAR(coll);
    if (book_add_attr(link, B_open_notional, notional, 0)) goto done;
    {
        const int64_t t[4] = {t0, t1, t2, t3};
        int r = ring_put(self, gw, N_client_venue, venue, cid, 1, t);
        if (r < 0) goto done;
        if (r == 0) {
            if ((stamps = PyObject_GetAttr(gw, N_hops)) == NULL) goto done;
            if (!PyList_Check(stamps)) { PyErr_SetString(PyExc_TypeError, "book: the gateway's _hops must be a list"); goto done; }
            tmp = Py_BuildValue("(LLLLOO)", (long long)t0, (long long)t1, (long long)t2, (long long)t3, venue, cid);
            if (tmp == NULL || PyList_Append(stamps, tmp)) goto done;
            Py_CLEAR(tmp);
        }
    }
    if (book_count(counts, N_accepted)) goto done;
    if (((buf != NULL && PyList_GET_SIZE(buf) > 100000) || (stamps != NULL && PyList_GET_SIZE(stamps) > 100000)) &&
        (tmp = PyObject_CallMethodNoArgs(gw, B_drain)) == NULL)      /* (_hop's and _stamp's bound) */
        goto done;
    rc = 0;
done:
    Py_XDECREF(counts); Py_XDECREF(venues); Py_XDECREF(link); Py_XDECREF(vs); Py_XDECREF(tmp); Py_XDECREF(buf);
    Py_XDECREF(qty); Py_XDECREF(vcl); Py_XDECREF(state); Py_XDECREF(coll); Py_XDECREF(price); Py_XDECREF(notional);
    Py_XDECREF(stamps);
    return rc;
}

/* bind_new_book(gw, client_session, OrderState[, spec]): the client side books its sent orders
 * itself (book_new) while the gateway has no trail, the OrderState made by make_state where a
 * spec is given (calls.h's switch); bind_new_book(None, None, None): Python books them */
static PyObject *FastPath_bind_new_book(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 && nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "bind_new_book(gateway, client_session, OrderState[, spec])");
        return NULL;
    }
    Py_CLEAR(self->nb_state_spec);
    if (nargs == 4 && args[3] != Py_None) {
        if (!PyType_Check(args[2]) || !PyTuple_CheckExact(args[3])) {
            PyErr_SetString(PyExc_TypeError, "bind_new_book: a spec needs OrderState a type and the spec a tuple");
            return NULL;
        }
        Py_ssize_t n = PyTuple_GET_SIZE(args[3]);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *f = PyTuple_GET_ITEM(args[3], i);
            long kind = PyTuple_CheckExact(f) && PyTuple_GET_SIZE(f) == 3 && PyUnicode_Check(PyTuple_GET_ITEM(f, 0)) &&
                        PyLong_CheckExact(PyTuple_GET_ITEM(f, 1)) ? PyLong_AsLong(PyTuple_GET_ITEM(f, 1)) : -1;
            /* (kind 0's value indexes make_state's array: an int in 0..5, anything else refused) */
            long at = kind != 0 ? 0 : PyLong_CheckExact(PyTuple_GET_ITEM(f, 2)) ? PyLong_AsLong(PyTuple_GET_ITEM(f, 2)) : -1;
            if (kind < 0 || kind > 3 || at < 0 || at > 5 || (kind == 2 && !PyCallable_Check(PyTuple_GET_ITEM(f, 2)))) {
                PyErr_SetString(PyExc_ValueError, "bind_new_book: a spec item is (name, 0..3, value)");
                return NULL;
            }
        }
        self->nb_state_spec = Py_NewRef(args[3]);
    }
    if (args[0] == Py_None) { Py_CLEAR(self->nb_gw); Py_CLEAR(self->nb_client); Py_CLEAR(self->nb_state_type); Py_RETURN_NONE; }
    if (!PyCallable_Check(args[2])) { PyErr_SetString(PyExc_TypeError, "bind_new_book: OrderState must be callable"); return NULL; }
    Py_XSETREF(self->nb_gw, Py_NewRef(args[0]));
    Py_XSETREF(self->nb_client, Py_NewRef(args[1]));
    Py_XSETREF(self->nb_state_type, Py_NewRef(args[2]));
    Py_RETURN_NONE;
}
