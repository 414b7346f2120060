/* The client order path's common case in one C call per read: wirespeed.gateway.native._path.
 *
 * FastPath.run(data, start, recv_ns, expected_seq, budget) takes the frames of one client read
 * from ``start`` on, as long as each is an in-sequence NewOrderSingle of a shape the session's
 * dictionary has learned, from the right CompIDs, inside the SendingTime window, that decodes,
 * routes to an up FIX venue with nothing special configured (no throttle, no credit limit, no
 * hardware encoder), is no live ClOrdID and passes the ``native`` risk core. For each it assigns
 * the gateway order id, renders the venue NewOrderSingle through the venue session's template,
 * stores it, writes it (the venue session's own write: one send, or behind what waits) and moves
 * the client store's inbound number on. Everything is done by the very callables the Python path
 * calls (the shape's compiled pattern, _fix.frame_ok, _fix.OrderDecoder, _order.OrderMaker,
 * _fix.OrderValues, _risk.RiskCore.order, _fix.Template, the stores): one C loop instead of ~200
 * interpreted calls, the same decisions and bytes (tests/gateway/test_fast_path.py).
 *
 * It returns (end, records, reason): where it stopped, one tuple per order it took (for the order
 * state, the audit trail and the stamps, which Python adds after the venue write), and why it
 * stopped (None: the read is done). A frame it does not take is left whole to the Python path
 * (``reason`` names why); nothing of it has been changed. A risk reject is the one case past the
 * point of no return (the order id is taken, risk has counted it): it is handed back as a record
 * (kind 1) with reason "risk_reject" and Python writes the reject, byte for byte its own.
 * An exception after an order went out is returned as the reason (an exception object), with the
 * records of what went out before it, so Python records them before it raises.
 * docs/gateway/native.md.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#define MAX_SHAPES 8
/* the tags the path reads, and their slot in a shape's group table */
enum { G_SEQ, G_SENDER, G_TARGET, G_TIME, G_CLORD, G_SYMBOL, G_SIDE, G_TYPE, G_TIF, G_QTY, G_PRICE, G_EXDEST,
       G_STRATEGY, G_BODYLEN, G_EXECID, G_EXECTYPE, G_LASTQTY, G_LASTPX, NGROUPS };
static const char *GROUP_TAGS[NGROUPS] = {"34", "49", "56", "52", "11", "55", "54", "40", "59", "38", "44", "100",
                                          "847", "9", "17", "150", "32", "31"};

typedef struct { Py_ssize_t a, b; } Span;

/* A shape's fields as a program the C matcher runs (order_fast.shape_program): per field its tag
 * and the kind of value its pattern allows. */
enum { K_FIXED, K_DIGITS, K_INT, K_DECIMAL, K_TIME, K_TEXT, K_CHARSET };
#define MAX_FIELDS 64
typedef struct {
    char tag[12];
    int taglen, kind, lo, hi;
    char set[64];
    int setlen;
} FieldCheck;

typedef struct {
    PyObject *shape;          /* strong ref; NULL: free */
    PyObject *match;          /* shape.match */
    int for_app;
    Py_ssize_t group[NGROUPS];   /* group number of each tag, 0 where absent */
    int nfields;              /* the program's length; 0: no program, the regular expression matches */
    FieldCheck fields[MAX_FIELDS];
} ShapeEntry;

typedef struct {
    PyObject_HEAD
    PyObject *shapes, *program_of, *frame_ok, *decode, *make_order, *values, *risk_order, *risk_clock, *timestamp;
    PyObject *symbols, *live, *session_index, *client_throttles, *client_credit, *routes, *venues, *slots;
    PyObject *ids_next, *client_id, *their_id, *our_id, *set_next_target, *active, *limit;
    /* the venue values rendered here (bind_values: ``values``' own tables; v_sides NULL: it is called) */
    PyObject *v_sides, *v_types, *v_tifs, *v_limit;
    /* the venue-report side (bind_reports; NULL until bound): gw.orders, the venue's name, the
     * risk core's release, report_fields and its symbol table, the gateway's ExecIDs, per symbol
     * index (parse_ticks, name), venue_order_id, PriceError, the statuses and exec types used */
    PyObject *r_orders, *r_venue, *r_release, *r_report_fields, *r_symtab, *r_exec_next, *r_ticks, *r_venue_id,
             *r_price_error, *r_pending_new, *r_new, *r_partial, *r_filled, *r_pending_cancel, *r_pending_replace,
             *r_et_new, *r_et_trade, *r_reason_none, *r_canceled, *r_et_canceled, *r_orig_tag;
    /* the C ReportFields itself (bind_report_calls, calls.h; NULL: r_report_fields is called) */
    PyObject *r_fields_c;
    /* the client send (bind_client_send; cs_type NULL: Python sends every client report): the
     * Session type, SessionState.ACTIVE, the gateway's held reports, the trail's gate (None: no
     * trail), the pinned SendingTime (None: the C clock) */
    PyObject *cs_type, *cs_active, *cs_held, *cs_trail;
    int cs_behind;     /* a report of this call was left to Python's send: the rest follow it (the order kept) */
    /* the booking in C (bind_book, book.h; bk_gw NULL: Python books every report): the gateway, the
     * venue session; on for this call, a report of it left to Python's booking, reports booked here */
    PyObject *bk_gw, *bk_session;
    int bk_on, bk_behind;
    Py_ssize_t booked;
    /* the client side's booking in C (bind_new_book, book.h; nb_gw NULL: Python's ClientFastPath._sent
     * books every order): the gateway, the client session, OrderState; on for this run call (no trail) */
    PyObject *nb_gw, *nb_client, *nb_state_type, *nb_state_spec;
    int nb_on;
    /* the gateway's stamp ring (book.h ring_begin, read at each call's start; rg NULL: none, the
     * hops and stamps go to its lists as tuples): the StampRing, its words (held), names and ids */
    PyObject *rg, *rg_ids, *rg_names;
    Py_buffer rg_view;
    int native_frame;  /* frame_ok is _fix.frame_ok: its check (frame_check.h) is called directly */
    int risk_mono;     /* bind_risk_clock: risk's now is (CLOCK_MONOTONIC ns - risk_t0) & risk_mask, read here */
    long long risk_t0, risk_mask;
    long tolerance;
    int check_latency;
    Py_ssize_t max_bytes;
    ShapeEntry cache[MAX_SHAPES];
    time_t window_sec, ts_sec;
    char lo[18], hi[18], ts_prefix[18];
} FastPath;

/* the client side's booking (book.h, included below) */
static int new_book_begin(FastPath *self);
static void ring_release(FastPath *self);
static int ring_begin(FastPath *self, PyObject *gw);
static int book_new(FastPath *self, PyObject *order, PyObject *oid, PyObject *key, PyObject *venue, PyObject *values,
                    int64_t t0, int64_t t1, int64_t t2, int64_t t3, int64_t tw);

static PyObject *S_D, *S_UP, *S_regs, *S_index, *S_for_app, *S_match, *S_state, *S_write, *S_throttle,
                *S_credit_limit, *S_next_sender_seq, *S_save_sent, *S_empty, *S_pending, *ZERO,
                *S_8, *S_venue, *S_exec_ids, *S_status, *S_qty, *S_cum_qty, *S_avg_px_num, *S_reserved, *S_acked,
                *S_order, *S_symbol, *S_side, *S_price, *S_session, *S_client, *S_config, *S_begin_string,
                *S_cl_ord_id, *S_order_id, *S_ord_type, *S_zero_text, *S_pending_cl;
/* the venue write (WriteBatcher.write's first write of a read, done here) and the order id
 * (OrderIds.__next__ of a day not exhausted, done here) */
static PyObject *S_w_reading, *S_transport, *S_write_m, *S_ids_next_attr, *S_ids_limit, *IDS_NEXT_FUNC;
#include "fmt.h"
#include "store_append.h"
#include "frame_check.h"
#include "stamp_ring.h"
static PyObject *ONE_C, *S_fix42;
#include "calls.h"
static PyObject *R[40];   /* interned fallback reasons */
enum { R_PARTIAL, R_ADMIN, R_CANCEL_REPLACE, R_STATUS, R_OTHER, R_SHAPE, R_FRAME, R_POSS_DUP, R_STRATEGY,
       R_SEQ, R_COMP_ID, R_SENDING_TIME, R_SYMBOL, R_DECODE, R_MARKET, R_RENDER, R_VENUE, R_DUPLICATE,
       R_THROTTLE, R_CREDIT, R_FIRST_ORDER, R_RATE, R_RISK_REJECT,
       /* the venue-report side's own */
       R_EXEC_TYPE, R_UNKNOWN_ORDER, R_DUP_REPORT, R_ILLEGAL, R_PENDING, R_QTY, R_PRICE, NREASONS };
static const char *REASON_TEXT[NREASONS] = {"partial", "admin", "cancel_replace", "status", "other_type",
    "unlearned_shape", "frame", "poss_dup", "strategy", "seq", "comp_id", "sending_time", "unknown_symbol",
    "decode", "market", "render", "venue", "duplicate", "client_throttle", "client_credit", "first_order",
    "rate", "risk_reject", "exec_type", "unknown_order", "duplicate_report", "illegal", "pending", "qty", "price"};

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);     /* what time.perf_counter_ns reads on Linux */
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* PATH_PROFILE (a build for measuring, off by default: cc -DPATH_PROFILE): the client side's time
 * between marks, summed per mark, read by _path.profile(); gateway/bench/path_stages.py. */
#ifdef PATH_PROFILE
#define NPROF 16
static int64_t prof_ns[NPROF], prof_last;
#define PROF_START() (prof_last = mono_ns())
#define PROF(i) do { int64_t t_ = mono_ns(); prof_ns[i] += t_ - prof_last; prof_last = t_; } while (0)
#else
#define PROF_START() ((void)0)
#define PROF(i) ((void)0)
#endif

static void utc_second(time_t sec, char out[18]) {
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(out, 18, "%Y%m%d-%H:%M:%S", &tm);
}

/* wirespeed.clock.fix_timestamp(): YYYYMMDD-HH:MM:SS.sss of the real-time clock (time.time_ns) */
static PyObject *timestamp_now(FastPath *self) {
    if (self->timestamp != Py_None) return PyObject_CallNoArgs(self->timestamp);   /* a pinned one (tests) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != self->ts_sec) {
        utc_second(ts.tv_sec, self->ts_prefix);
        self->ts_sec = ts.tv_sec;
    }
    char buf[22];
    memcpy(buf, self->ts_prefix, 17);
    long ms = ts.tv_nsec / 1000000;
    buf[17] = '.'; buf[18] = '0' + ms / 100; buf[19] = '0' + ms / 10 % 10; buf[20] = '0' + ms % 10;
    return PyUnicode_DecodeLatin1(buf, 21, NULL);
}

static void FastPath_dealloc(FastPath *self) {
    Py_XDECREF(self->shapes); Py_XDECREF(self->program_of); Py_XDECREF(self->frame_ok); Py_XDECREF(self->decode); Py_XDECREF(self->make_order);
    Py_XDECREF(self->values); Py_XDECREF(self->risk_order); Py_XDECREF(self->risk_clock);
    Py_XDECREF(self->timestamp); Py_XDECREF(self->symbols); Py_XDECREF(self->live);
    Py_XDECREF(self->session_index); Py_XDECREF(self->client_throttles); Py_XDECREF(self->client_credit);
    Py_XDECREF(self->routes); Py_XDECREF(self->venues); Py_XDECREF(self->slots); Py_XDECREF(self->ids_next);
    Py_XDECREF(self->client_id); Py_XDECREF(self->their_id); Py_XDECREF(self->our_id);
    Py_XDECREF(self->set_next_target); Py_XDECREF(self->active); Py_XDECREF(self->limit);
    Py_CLEAR(self->v_sides); Py_CLEAR(self->v_types); Py_CLEAR(self->v_tifs); Py_CLEAR(self->v_limit);
    for (int i = 0; i < MAX_SHAPES; i++) { Py_XDECREF(self->cache[i].shape); Py_XDECREF(self->cache[i].match); }
    PyObject **r[] = {&self->r_orders, &self->r_venue, &self->r_release, &self->r_report_fields, &self->r_symtab,
        &self->r_exec_next, &self->r_ticks, &self->r_venue_id, &self->r_price_error, &self->r_pending_new,
        &self->r_new, &self->r_partial, &self->r_filled, &self->r_pending_cancel, &self->r_pending_replace,
        &self->r_et_new, &self->r_et_trade, &self->r_reason_none, &self->r_canceled, &self->r_et_canceled,
        &self->r_orig_tag, &self->r_fields_c};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) Py_CLEAR(*r[i]);
    Py_CLEAR(self->cs_type); Py_CLEAR(self->cs_active); Py_CLEAR(self->cs_held); Py_CLEAR(self->cs_trail);
    Py_CLEAR(self->bk_gw); Py_CLEAR(self->bk_session);
    Py_CLEAR(self->nb_gw); Py_CLEAR(self->nb_client); Py_CLEAR(self->nb_state_type); Py_CLEAR(self->nb_state_spec);
    ring_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int FastPath_init(FastPath *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"shapes", "program_of", "frame_ok", "decode", "make_order", "values", "risk_order", "risk_clock",
        "timestamp", "symbols", "live", "session_index", "client_throttles", "client_credit", "routes", "venues",
        "slots", "ids_next", "client_id", "their_id", "our_id", "set_next_target", "active", "limit", "tolerance",
        "check_latency", "max_bytes", NULL};
    PyObject *o[24];
    long tol; int check; Py_ssize_t max_bytes;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!OOOOOOOOO!O!O!O!O!O!O!O!OUSSOOOlpn", names,
            &PyDict_Type, &o[0], &o[23], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &PyDict_Type, &o[8],
            &PyDict_Type, &o[9], &PyDict_Type, &o[10], &PyDict_Type, &o[11], &PyDict_Type, &o[12],
            &PyDict_Type, &o[13], &PyDict_Type, &o[14], &PyDict_Type, &o[15], &o[16], &o[17], &o[18], &o[19],
            &o[20], &o[21], &o[22], &tol, &check, &max_bytes))
        return -1;
    PyObject **dst[24] = {&self->shapes, &self->frame_ok, &self->decode, &self->make_order, &self->values,
        &self->risk_order, &self->risk_clock, &self->timestamp, &self->symbols, &self->live, &self->session_index,
        &self->client_throttles, &self->client_credit, &self->routes, &self->venues, &self->slots,
        &self->ids_next, &self->client_id, &self->their_id, &self->our_id, &self->set_next_target, &self->active,
        &self->limit, &self->program_of};
    for (int i = 0; i < 24; i++) { Py_INCREF(o[i]); Py_XSETREF(*dst[i], o[i]); }
    self->native_frame = 0;
    if (PyCFunction_Check(self->frame_ok) && strcmp(((PyCFunctionObject *)self->frame_ok)->m_ml->ml_name, "frame_ok") == 0) {
        PyObject *mod = PyCFunction_GET_SELF(self->frame_ok);
        const char *name = mod && PyModule_Check(mod) ? PyModule_GetName(mod) : NULL;
        size_t len = name ? strlen(name) : 0;
        self->native_frame = name && (strcmp(name, "_fix") == 0 || (len > 5 && strcmp(name + len - 5, "._fix") == 0));
        PyErr_Clear();
    }
    self->tolerance = tol;
    self->check_latency = check;
    self->max_bytes = max_bytes;
    self->window_sec = -1;
    self->ts_sec = -1;
    return 0;
}

/* The cache entry of ``shape`` (filled on first sight), or NULL with an exception set. */
static ShapeEntry *entry_of(FastPath *self, PyObject *shape) {
    int free_slot = -1;
    for (int i = 0; i < MAX_SHAPES; i++) {
        if (self->cache[i].shape == shape) return &self->cache[i];
        if (self->cache[i].shape == NULL && free_slot < 0) free_slot = i;
    }
    if (free_slot < 0) {           /* more shapes than the dictionary keeps: start over */
        for (int i = 0; i < MAX_SHAPES; i++) { Py_CLEAR(self->cache[i].shape); Py_CLEAR(self->cache[i].match); }
        free_slot = 0;
    }
    ShapeEntry *e = &self->cache[free_slot];
    PyObject *index = PyObject_GetAttr(shape, S_index);
    if (index == NULL) return NULL;
    PyObject *match = PyObject_GetAttr(shape, S_match);
    PyObject *for_app = match ? PyObject_GetAttr(shape, S_for_app) : NULL;
    if (for_app == NULL || !PyDict_Check(index)) {
        Py_DECREF(index); Py_XDECREF(match); Py_XDECREF(for_app);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "shape.index must be a dict");
        return NULL;
    }
    for (int g = 0; g < NGROUPS; g++) {
        PyObject *k = PyDict_GetItemString(index, GROUP_TAGS[g]);
        e->group[g] = k ? PyLong_AsSsize_t(k) : 0;
    }
    Py_DECREF(index);
    e->for_app = PyObject_IsTrue(for_app);
    Py_DECREF(for_app);
    if (PyErr_Occurred()) { Py_DECREF(match); return NULL; }
    /* the program: ((tag, kind, lo, hi, bytes), ...) or None */
    e->nfields = 0;
    PyObject *prog = PyObject_CallOneArg(self->program_of, shape);
    if (prog == NULL) { Py_DECREF(match); return NULL; }
    if (PyTuple_Check(prog) && PyTuple_GET_SIZE(prog) <= MAX_FIELDS) {
        int ok = 1;
        Py_ssize_t nf = PyTuple_GET_SIZE(prog);
        for (Py_ssize_t i = 0; i < nf && ok; i++) {
            PyObject *f = PyTuple_GET_ITEM(prog, i);
            FieldCheck *c = &e->fields[i];
            if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != 5) { ok = 0; break; }
            PyObject *tag = PyTuple_GET_ITEM(f, 0), *set = PyTuple_GET_ITEM(f, 4);
            if (!PyBytes_Check(tag) || !PyBytes_Check(set) || PyBytes_GET_SIZE(tag) >= (Py_ssize_t)sizeof c->tag ||
                PyBytes_GET_SIZE(set) > (Py_ssize_t)sizeof c->set) { ok = 0; break; }
            c->taglen = (int)PyBytes_GET_SIZE(tag);
            memcpy(c->tag, PyBytes_AS_STRING(tag), c->taglen);
            c->tag[c->taglen] = '=';
            c->kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(f, 1));
            c->lo = (int)PyLong_AsLong(PyTuple_GET_ITEM(f, 2));
            c->hi = (int)PyLong_AsLong(PyTuple_GET_ITEM(f, 3));
            c->setlen = (int)PyBytes_GET_SIZE(set);
            memcpy(c->set, PyBytes_AS_STRING(set), c->setlen);
            if (PyErr_Occurred()) { Py_DECREF(prog); Py_DECREF(match); return NULL; }
        }
        if (ok) e->nfields = (int)nf;
    }
    Py_DECREF(prog);
    Py_INCREF(shape);
    e->shape = shape;
    e->match = match;
    return e;
}

/* group ``g``'s span (0: the whole match); ``absent``: g 0 stands for a tag the shape lacks */
static int span_of(PyObject *regs, Py_ssize_t g, Span *s, int absent) {
    if (absent && g <= 0) { s->a = s->b = -1; return 0; }
    PyObject *t = PyTuple_GET_ITEM(regs, g);
    s->a = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 0));
    s->b = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 1));
    return PyErr_Occurred() ? -1 : 0;
}

/* data[span] as str (latin-1), or None where the tag is absent */
static PyObject *text_of(const char *d, Span s) {
    if (s.a < 0) Py_RETURN_NONE;
    return PyUnicode_DecodeLatin1(d + s.a, s.b - s.a, NULL);
}

static int same_bytes(const char *d, Span s, PyObject *b) {
    return s.a >= 0 && PyBytes_GET_SIZE(b) == s.b - s.a && memcmp(PyBytes_AS_STRING(b), d + s.a, s.b - s.a) == 0;
}

/* The session's SendingTime check (Session._in_window): the first 17 characters between the
 * window's ends, to the second, recomputed once a second. */
static int in_window(FastPath *self, const char *d, Span s) {
    if (s.a < 0 || s.b - s.a < 17) return 0;
    if (!self->check_latency) return 1;
    time_t now = time(NULL);
    if (now != self->window_sec) {
        utc_second(now - self->tolerance, self->lo);
        utc_second(now + self->tolerance, self->hi);
        self->window_sec = now;
    }
    return memcmp(self->lo, d + s.a, 17) <= 0 && memcmp(d + s.a, self->hi, 17) <= 0;
}

static int all_digits(const char *v, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) if (v[i] < '0' || v[i] > '9') return 0;
    return 1;
}

/* whether the value v[0:n] (no SOH in it) is what the field's pattern matches in full */
static int value_ok(const FieldCheck *c, const char *v, Py_ssize_t n) {
    switch (c->kind) {
    case K_FIXED: return n == c->setlen && memcmp(v, c->set, n) == 0;
    case K_DIGITS: return n >= c->lo && n <= c->hi && all_digits(v, n);
    case K_INT:
        if (n && v[0] == '-') { v++; n--; }
        return n >= 1 && n <= 18 && all_digits(v, n);
    case K_DECIMAL: {    /* -?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18}) */
        if (n && v[0] == '-') { v++; n--; }
        const char *dot = memchr(v, '.', n);
        Py_ssize_t whole = dot ? dot - v : n, frac = dot ? n - whole - 1 : 0;
        if (!all_digits(v, whole) || whole > 18 || !all_digits(v + whole + 1, frac) || frac > 18) return 0;
        return dot ? (whole >= 1 || frac >= 1) : whole >= 1;
    }
    case K_TIME:         /* [0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})? */
        if (n < 17 || !all_digits(v, 8) || v[8] != '-' || !all_digits(v + 9, 2) || v[11] != ':' ||
            !all_digits(v + 12, 2) || v[14] != ':' || !all_digits(v + 15, 2))
            return 0;
        if (n == 17) return 1;
        return v[17] == '.' && n >= 19 && n <= 27 && all_digits(v + 18, n - 18);
    case K_TEXT: return n >= 1;
    case K_CHARSET: return n == 1 && memchr(c->set, v[0], c->setlen) != NULL;
    }
    return 0;
}

/* The shape's program run over the frame at pos: the end of the match (-1: no match), and each
 * field's value span in spans[1..] (spans[0] the whole), as the regular expression's groups. */
static Py_ssize_t run_program(const ShapeEntry *e, const char *d, Py_ssize_t n, Py_ssize_t pos, Span *spans) {
    Py_ssize_t p = pos;
    spans[0].a = pos;
    for (int i = 0; i < e->nfields; i++) {
        const FieldCheck *c = &e->fields[i];
        if (n - p < c->taglen + 2 || memcmp(d + p, c->tag, c->taglen + 1) != 0) return -1;
        const char *v = d + p + c->taglen + 1;
        const char *soh = memchr(v, 1, d + n - v);
        if (soh == NULL || !value_ok(c, v, soh - v)) return -1;
        spans[i + 1].a = v - d;
        spans[i + 1].b = soh - d;
        p = soh - d + 1;
    }
    spans[0].b = p;
    return p;
}

/* test hook: the program's match end at pos of data, or -1 (tests compare it with the regex) */
static PyObject *FastPath_match(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyBytes_Check(args[1])) { PyErr_SetString(PyExc_TypeError, "match(shape, data, pos)"); return NULL; }
    ShapeEntry *e = entry_of(self, args[0]);
    if (e == NULL) return NULL;
    if (e->nfields == 0) Py_RETURN_NONE;
    Py_ssize_t pos = PyLong_AsSsize_t(args[2]);
    if (PyErr_Occurred()) return NULL;
    Span spans[MAX_FIELDS + 1];
    Py_ssize_t n = PyBytes_GET_SIZE(args[1]);
    if (pos < 0 || pos > n) { PyErr_SetString(PyExc_ValueError, "pos outside the data"); return NULL; }
    return PyLong_FromSsize_t(run_program(e, PyBytes_AS_STRING(args[1]), n, pos, spans));
}

/* The learned shape of type ``type`` the frame at pos matches: its program in C where it has one,
 * else its regular expression. 1 (*ep, the spans, *mp the match object or NULL for a program),
 * 0 none matches, -1 error. */
static int match_shape(FastPath *self, PyObject *type, PyObject *data, PyObject **textp, Py_ssize_t pos,
                       Span *spans, ShapeEntry **ep, PyObject **mp) {
    const char *d = PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    PyObject *list = PyDict_GetItemWithError(self->shapes, type);
    if (list == NULL) return PyErr_Occurred() ? -1 : 0;
    if (!PyList_Check(list)) return 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *shape = PyList_GET_ITEM(list, i);
        Py_INCREF(shape);
        ShapeEntry *e = entry_of(self, shape);
        Py_DECREF(shape);
        if (e == NULL) return -1;
        *ep = e;
        if (e->nfields) {
            if (run_program(e, d, n, pos, spans) >= 0) return 1;
            continue;
        }
        if (*textp == NULL && (*textp = PyUnicode_DecodeLatin1(d, n, NULL)) == NULL) return -1;   /* (once a read) */
        PyObject *posobj = PyLong_FromSsize_t(pos);
        if (posobj == NULL) return -1;
        PyObject *argv[2] = {*textp, posobj};
        PyObject *m = PyObject_Vectorcall(e->match, argv, 2, NULL);
        Py_DECREF(posobj);
        if (m == NULL) return -1;
        if (m == Py_None) { Py_DECREF(m); continue; }
        PyObject *regs = PyObject_GetAttr(m, S_regs);
        if (regs == NULL || !PyTuple_Check(regs)) { Py_XDECREF(regs); Py_DECREF(m); return -1; }
        Py_ssize_t ng = PyTuple_GET_SIZE(regs);
        int bad = ng > MAX_FIELDS + 1;
        for (Py_ssize_t k = 0; k < ng && !bad; k++) bad = span_of(regs, k, &spans[k], 0);
        Py_DECREF(regs);
        if (PyErr_Occurred()) { Py_DECREF(m); return -1; }
        if (bad) { Py_DECREF(m); return 0; }
        *mp = m;
        return 1;
    }
    return 0;
}

static int reason_of_type(const char *t, Py_ssize_t n) {
    if (n == 1 && strchr("012345A", t[0])) return R_ADMIN;
    if (n == 1 && (t[0] == 'F' || t[0] == 'G')) return R_CANCEL_REPLACE;
    if (n == 1 && t[0] == 'H') return R_STATUS;
    return R_OTHER;
}

/* The header's MsgType (8=...|9=...|35=X|): 1 found (*mtp, *mtlen); 0 not (*reason: partial or shape). */
static int header_type(const char *d, Py_ssize_t n, Py_ssize_t pos, const char **mtp, Py_ssize_t *mtlen, int *reason) {
    const char *p = d + pos, *lim = d + n;
    const char *s1 = memchr(p, 1, lim - p > 16 ? 16 : lim - p);
    if (s1 == NULL || lim - s1 < 4) { *reason = R_PARTIAL; return 0; }
    const char *s2 = memchr(s1 + 1, 1, lim - s1 - 1 > 12 ? 12 : lim - s1 - 1);
    if (s2 == NULL || lim - s2 < 5) { *reason = R_PARTIAL; return 0; }
    if (memcmp(s2 + 1, "35=", 3) != 0) { *reason = R_SHAPE; return 0; }
    if (s1[1] == '9' && s1[2] == '=' && s2 - s1 > 3) {     /* a frame cut by the read's end: partial */
        Py_ssize_t bl = 0;
        for (const char *q = s1 + 3; q < s2 && bl < (1 << 24); q++) bl = *q >= '0' && *q <= '9' ? bl * 10 + (*q - '0') : (1 << 24);
        if ((s2 + 1 - d) + bl + 7 > n && bl < (1 << 24)) { *reason = R_PARTIAL; return 0; }
    }
    const char *mt = s2 + 4, *s3 = memchr(mt, 1, lim - mt);
    if (s3 == NULL) { *reason = R_PARTIAL; return 0; }
    *mtp = mt;
    *mtlen = s3 - mt;
    return 1;
}

/* MsgSeqNum (at most 18 digits) is the expected one: 1; 0 not (*reason R_SEQ). */
static int expected_seq(const char *d, const Span *g, long long expected, long long *seq, int *reason) {
    long long v = 0;
    if (g[G_SEQ].a < 0 || g[G_SEQ].b - g[G_SEQ].a > 18) { *reason = R_SEQ; return 0; }
    for (Py_ssize_t i = g[G_SEQ].a; i < g[G_SEQ].b; i++) v = v * 10 + (d[i] - '0');
    *seq = v;
    if (v != expected) { *reason = R_SEQ; return 0; }
    return 1;
}

/* The parser fast path's frame check, shared by both sides: the size bound, BodyLength and
 * CheckSum (_fix.frame_ok), then PossDupFlag. -1 error; 0 not taken (*reason set); 1 passed. */
static int frame_check(FastPath *self, PyObject *data, const char *d, const Span *g, Py_ssize_t pos,
                       Py_ssize_t end, int for_app, int *reason) {
    if (g[G_BODYLEN].a < 0 || end - pos > self->max_bytes) { *reason = R_FRAME; return 0; }
    long long bl = 0;
    for (Py_ssize_t i = g[G_BODYLEN].a; i < g[G_BODYLEN].b; i++) bl = bl * 10 + (d[i] - '0');
    int ok;
    if (self->native_frame) {      /* _fix.frame_ok's own check (frame_check.h), without the call */
        ok = bl < ((long long)1 << 40) && frame_bytes_ok((const unsigned char *)d, PyBytes_GET_SIZE(data), pos, end,
                                                         g[G_BODYLEN].b + 1, (Py_ssize_t)bl);
    } else {
        PyObject *a[5] = {data, PyLong_FromSsize_t(pos), PyLong_FromSsize_t(end),
                          PyLong_FromSsize_t(g[G_BODYLEN].b + 1), PyLong_FromLongLong(bl)};
        PyObject *okv = NULL;
        if (a[1] && a[2] && a[3] && a[4]) okv = PyObject_Vectorcall(self->frame_ok, a, 5, NULL);
        for (int i = 1; i < 5; i++) Py_XDECREF(a[i]);
        if (okv == NULL) return -1;
        ok = okv == Py_True;
        Py_DECREF(okv);
    }
    if (!ok) { *reason = R_FRAME; return 0; }
    if (!for_app) { *reason = R_POSS_DUP; return 0; }
    return 1;
}

/* -1 error; 0 frame not taken (*reason set); 1 taken (a record appended); 2 risk reject (record appended) */
/* The gateway's next order id: OrderIds.__next__ in C while the day's ids are not exhausted and
 * the reservation block not used up (its ``_next`` below ``_limit``); its own __next__ otherwise
 * (a block to reserve, the overflow), and for any other id source. */
static PyObject *next_order_id(PyObject *ids_next) {
    if (IDS_NEXT_FUNC == NULL || !PyMethod_Check(ids_next) || PyMethod_GET_FUNCTION(ids_next) != IDS_NEXT_FUNC)
        return PyObject_CallNoArgs(ids_next);
    PyObject *ids = PyMethod_GET_SELF(ids_next);
    PyObject *n = PyObject_GetAttr(ids, S_ids_next_attr), *limit = n ? PyObject_GetAttr(ids, S_ids_limit) : NULL;
    if (limit == NULL) { Py_XDECREF(n); return NULL; }
    int below = PyLong_CheckExact(n) && PyLong_CheckExact(limit) ? PyObject_RichCompareBool(n, limit, Py_LT) : 0;
    Py_DECREF(limit);
    if (below <= 0) { Py_DECREF(n); return below < 0 ? NULL : PyObject_CallNoArgs(ids_next); }
    long long v = PyLong_AsLongLong(n);
    PyObject *n1 = v == -1 && PyErr_Occurred() ? NULL : PyLong_FromLongLong(v + 1);
    if (n1 == NULL || PyObject_SetAttr(ids, S_ids_next_attr, n1)) { Py_XDECREF(n1); Py_DECREF(n); return NULL; }
    Py_DECREF(n1);
    return n;
}

/* The callable that writes the venue's NewOrderSingle. The session's write as the slot was made
 * (slot[4]) through its WriteBatcher (slot[5], the connection slot[6]): inside a read, the first
 * write to the connection goes to the transport at once (WriteBatcher.write's own first case,
 * done here: the connection noted in ``_sent``, then ``transport.write``: *direct set); any other
 * (bytes collected for it, a second write of the read, outside a read) is WriteBatcher.write's.
 * A write changed since is called as it is. Returns a new reference. */
static PyObject *venue_write(PyObject *slot, PyObject *write, int *direct) {
    *direct = 0;
    if (write != PyTuple_GET_ITEM(slot, 4)) return Py_NewRef(write);
    PyObject *batcher = PyTuple_GET_ITEM(slot, 5), *proto = PyTuple_GET_ITEM(slot, 6);
    if (batcher == Py_None) return Py_NewRef(PyTuple_GET_ITEM(slot, 7));
    PyObject *pending = PyObject_GetAttr(batcher, S_pending);
    int waiting = pending == NULL ? -1 : PyDict_Check(pending) ? PyDict_Contains(pending, proto) : 1;
    Py_XDECREF(pending);
    if (waiting < 0) return NULL;
    if (waiting) return Py_NewRef(write);
    PyObject *reading = PyObject_GetAttr(batcher, S_w_reading);
    int r = reading == NULL ? -1 : PyObject_IsTrue(reading);
    Py_XDECREF(reading);
    if (r <= 0) return r < 0 ? NULL : Py_NewRef(write);
    PyObject *sent = PyObject_GetAttr(batcher, S_sent);
    if (sent == NULL) return NULL;
    int seen = PySet_Check(sent) ? PySet_Contains(sent, proto) : 1;
    PyObject *transport = seen == 0 ? PyObject_GetAttr(proto, S_transport) : NULL;
    if (seen != 0 || transport == NULL || transport == Py_None) {
        Py_DECREF(sent); Py_XDECREF(transport);
        if (seen < 0 || (seen == 0 && transport == NULL)) return NULL;
        return Py_NewRef(write);
    }
    if (PySet_Add(sent, proto)) { Py_DECREF(sent); Py_DECREF(transport); return NULL; }
    Py_DECREF(sent);
    *direct = 1;
    return transport;
}

/* Whether a record of this call (kind 0: sent, booked by Python after the call) is an order of
 * ClOrdID ``cl``: 1 yes, 0 no, -1 error. (An order booked in C is in gw._live already.) */
static int taken_in_call(PyObject *records, PyObject *cl) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(records); i++) {
        PyObject *rec = PyList_GET_ITEM(records, i);
        if (!PyTuple_Check(rec) || PyTuple_GET_SIZE(rec) < 2 || PyLong_AsLong(PyTuple_GET_ITEM(rec, 0)) != 0) {
            if (PyErr_Occurred()) return -1;
            continue;
        }
        PyObject *ocl = PyObject_GetAttr(PyTuple_GET_ITEM(rec, 1), S_cl_ord_id);
        if (ocl == NULL) return -1;
        int same = PyObject_RichCompareBool(ocl, cl, Py_EQ);
        Py_DECREF(ocl);
        if (same) return same;
    }
    return 0;
}

/* The venue NewOrderSingle's values, what ``values`` (_fix.OrderValues, bind_values: its tables)
 * returns for the Order just made of the decoder's ``got`` (side, type, tif, qty, price: the objects
 * the Order holds), read from them instead of back from the Order: (venue ClOrdID, symbol, side,
 * TransactTime, qty, type, price, tif) of a limit order. NULL without an error where it is not one
 * this renders (a member the tables lack, a price fmt_ticks does not take): ``values`` is called. */
static PyObject *venue_values(FastPath *self, PyObject *got, PyObject *sym, PyObject *venue_cl, PyObject *ts) {
    if (PyTuple_GET_ITEM(got, 1) != self->v_limit) return NULL;
    PyObject *side = PyDict_GetItemWithError(self->v_sides, PyTuple_GET_ITEM(got, 0));
    PyObject *type = side ? PyDict_GetItemWithError(self->v_types, PyTuple_GET_ITEM(got, 1)) : NULL;
    PyObject *tif = type ? PyDict_GetItemWithError(self->v_tifs, PyTuple_GET_ITEM(got, 2)) : NULL;
    if (tif == NULL) return NULL;
    int overflow = 0;
    long long ticks = PyLong_AsLongLongAndOverflow(PyTuple_GET_ITEM(got, 4), &overflow);
    unsigned long long units = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(sym, 1));
    long decimals = PyLong_AsLong(PyTuple_GET_ITEM(sym, 2));
    if (PyErr_Occurred()) { PyErr_Clear(); return NULL; }
    char buf[32];
    int n = overflow ? -1 : fmt_ticks(buf, ticks, units, decimals);
    if (n < 0) return NULL;
    PyObject *price = PyUnicode_FromStringAndSize(buf, n);
    if (price == NULL) return NULL;
    PyObject *out = PyTuple_Pack(8, venue_cl, PyTuple_GET_ITEM(sym, 3), side, ts, PyTuple_GET_ITEM(got, 3), type,
                                 price, tif);
    Py_DECREF(price);
    return out;
}

static int one_frame(FastPath *self, PyObject *data, PyObject **textp, Py_ssize_t pos, int64_t recv_ns,
                     long long seq_expected, PyObject *records, Py_ssize_t *end_out, int *reason) {
    const char *d = PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    /* MsgType from the header: 8=...|9=...|35=X| */
    const char *mt;
    Py_ssize_t mtlen;
    PROF_START();
    if (!header_type(d, n, pos, &mt, &mtlen, reason)) return 0;
    if (!(mtlen == 1 && mt[0] == 'D')) { *reason = reason_of_type(mt, mtlen); return 0; }

    PROF(0);
    PyObject *m = NULL;
    ShapeEntry *e = NULL;
    Span spans[MAX_FIELDS + 1];
    int matched = match_shape(self, S_D, data, textp, pos, spans, &e, &m);
    if (matched < 0) return -1;
    if (!matched) { *reason = R_SHAPE; return 0; }

    int rc = -1, committed = 0, accepted = 0;
    
    Py_ssize_t end_of_frame = pos;
    long long seq = 0;
    int64_t t0 = 0;
    PyObject *regs = NULL, *symname = NULL, *sym = NULL, *cl = NULL, *side = NULL, *otype = NULL,
             *tif = NULL, *qty = NULL, *price = NULL, *got = NULL, *venue = NULL, *slot_link_state = NULL,
             *key = NULL, *oid = NULL, *order = NULL, *venue_cl = NULL, *ts = NULL, *values = NULL, *mask = NULL,
             *now = NULL, *rec = NULL, *vseq = NULL, *raw_out = NULL, *tmp = NULL, *raw_in = NULL, *write = NULL,
             *seqobj = NULL, *st_type = NULL, *st_value = NULL, *st_tb = NULL;
    if (m == NULL) { m = Py_None; Py_INCREF(m); }    /* (the program matched: no match object) */
    Span whole = spans[0], g[NGROUPS];
    for (int k = 0; k < NGROUPS; k++) {
        Py_ssize_t grp = e->group[k];
        if (grp > MAX_FIELDS) { *reason = R_SHAPE; rc = 0; goto done; }
        if (grp <= 0) g[k].a = g[k].b = -1; else g[k] = spans[grp];
    }
    Py_ssize_t end = whole.b;
    end_of_frame = end;
    /* the frame check of the parser's fast path: BodyLength and CheckSum, and the size bound */
    {
        PROF(1);
        int fc = frame_check(self, data, d, g, pos, end, e->for_app, reason);
        if (fc <= 0) { rc = fc; goto done; }
        PROF(2);
    }
    if (g[G_STRATEGY].a >= 0) { *reason = R_STRATEGY; rc = 0; goto done; }
    /* the session's fast-path checks: MsgSeqNum, CompIDs, SendingTime */
    if (!expected_seq(d, g, seq_expected, &seq, reason)) { rc = 0; goto done; }
    if (!same_bytes(d, g[G_SENDER], self->their_id) || !same_bytes(d, g[G_TARGET], self->our_id)) {
        *reason = R_COMP_ID; rc = 0; goto done;
    }
    if (!in_window(self, d, g[G_TIME])) { *reason = R_SENDING_TIME; rc = 0; goto done; }
    PROF(3);
    /* decode: the symbol, then the values through the native decoder */
    symname = g[G_SYMBOL].a >= 0 ? text_of(d, g[G_SYMBOL]) : (Py_INCREF(S_empty), S_empty);
    if (symname == NULL) goto done;
    sym = PyDict_GetItemWithError(self->symbols, symname);     /* (index, units, decimals, name) */
    if (sym == NULL) { if (!PyErr_Occurred()) { *reason = R_SYMBOL; rc = 0; } goto done; }
    Py_INCREF(sym);
    if (!(side = text_of(d, g[G_SIDE])) || !(otype = text_of(d, g[G_TYPE])) || !(tif = text_of(d, g[G_TIF])) ||
        !(qty = text_of(d, g[G_QTY])) || !(price = text_of(d, g[G_PRICE])))
        goto done;
    {
        PyObject *a[7] = {side, otype, tif, qty, price, PyTuple_GET_ITEM(sym, 1), PyTuple_GET_ITEM(sym, 2)};
        got = PyObject_Vectorcall(self->decode, a, 7, NULL);
    }
    if (got == NULL) goto done;
    PROF(4);
    if (got == Py_None) { *reason = R_DECODE; rc = 0; goto done; }
    if (PyTuple_GET_ITEM(got, 1) != self->limit) { *reason = R_MARKET; rc = 0; goto done; }
    {
        int neg = PyObject_RichCompareBool(PyTuple_GET_ITEM(got, 4), ZERO, Py_LT);
        if (neg < 0) goto done;
        if (neg) { *reason = R_RENDER; rc = 0; goto done; }
    }
    cl = g[G_CLORD].a >= 0 ? text_of(d, g[G_CLORD]) : (Py_INCREF(S_empty), S_empty);
    if (cl == NULL) goto done;
    /* route: ExDestination, else the client's route, else the first venue */
    if (g[G_EXDEST].a >= 0 && g[G_EXDEST].b > g[G_EXDEST].a) {
        venue = text_of(d, g[G_EXDEST]);
    } else {
        venue = PyDict_GetItemWithError(self->routes, self->client_id);
        if (venue != NULL && PyObject_IsTrue(venue)) {
            Py_INCREF(venue);
        } else {
            Py_ssize_t it = 0; PyObject *k, *v;
            venue = PyDict_Next(self->venues, &it, &k, &v) ? k : S_empty;
            Py_INCREF(venue);
        }
    }
    if (venue == NULL || PyErr_Occurred()) goto done;
    /* (link, session, store, encode, the session's write as the slot was made, the WriteBatcher or None,
     * its FixProtocol, the transport's write) */
    PyObject *slot = PyDict_GetItemWithError(self->slots, venue);
    if (slot == NULL) { if (!PyErr_Occurred()) { *reason = R_VENUE; rc = 0; } goto done; }
    PyObject *link = PyTuple_GET_ITEM(slot, 0), *vsession = PyTuple_GET_ITEM(slot, 1),
             *vstore = PyTuple_GET_ITEM(slot, 2), *encode = PyTuple_GET_ITEM(slot, 3);
    Py_INCREF(slot);
    {   /* the venue must be up, its session logged on and connected, nothing per-order configured */
        int ok = 0;
        PyObject *st = PyObject_GetAttr(link, S_state), *sst = NULL, *thr = NULL, *cred = NULL;
        if (st) sst = PyObject_GetAttr(vsession, S_state);
        if (sst) write = PyObject_GetAttr(vsession, S_write);
        if (write) thr = PyObject_GetAttr(link, S_throttle);
        if (thr) cred = PyObject_GetAttr(link, S_credit_limit);
        if (cred) {
            int up = PyUnicode_Check(st) && PyUnicode_Compare(st, S_UP) == 0;
            int credit = PyObject_IsTrue(cred);
            ok = up && sst == self->active && write != Py_None && thr == Py_None && credit == 0;
        }
        Py_XDECREF(st); Py_XDECREF(sst); Py_XDECREF(thr); Py_XDECREF(cred);
        if (cred == NULL || PyErr_Occurred()) { Py_DECREF(slot); goto done; }
        if (!ok) { Py_DECREF(slot); *reason = R_VENUE; rc = 0; goto done; }
    }
    PROF(5);
    key = PyTuple_Pack(2, self->client_id, cl);
    if (key == NULL) { Py_DECREF(slot); goto done; }
    int c = PyDict_Contains(self->live, key);
    if (c) { Py_DECREF(slot); if (c > 0) { *reason = R_DUPLICATE; rc = 0; } goto done; }
    /* ... nor one this call took and left to Python's booking (its records): the Python path has
     * booked the first by the time it reads the second (gw._live), and so must the C path see it */
    c = taken_in_call(records, cl);
    if (c) { Py_DECREF(slot); if (c > 0) { *reason = R_DUPLICATE; rc = 0; } goto done; }
    c = PyDict_Contains(self->client_throttles, self->client_id);
    if (c) { Py_DECREF(slot); if (c > 0) { *reason = R_THROTTLE; rc = 0; } goto done; }
    PyObject *limit = PyDict_GetItemWithError(self->client_credit, self->client_id);   /* (borrowed) */
    if (limit != NULL && PyObject_IsTrue(limit)) { Py_DECREF(slot); *reason = R_CREDIT; rc = 0; goto done; }
    if (PyErr_Occurred()) { Py_DECREF(slot); goto done; }
    PyObject *sidx = PyDict_GetItemWithError(self->session_index, self->client_id);
    if (sidx == NULL) { Py_DECREF(slot); if (!PyErr_Occurred()) { *reason = R_FIRST_ORDER; rc = 0; } goto done; }

    PROF(6);
    /* ---- from here the order is the gateway's: an id is taken, risk decides ---- */
    committed = 1;
    t0 = recv_ns ? recv_ns : mono_ns();
    oid = next_order_id(self->ids_next);
    if (oid == NULL) { Py_DECREF(slot); goto done; }
    PROF(7);
    {
        PyObject *a[9] = {oid, cl, sidx, PyTuple_GET_ITEM(sym, 0), PyTuple_GET_ITEM(got, 0), PyTuple_GET_ITEM(got, 1),
                          PyTuple_GET_ITEM(got, 2), PyTuple_GET_ITEM(got, 3), PyTuple_GET_ITEM(got, 4)};
        order = PyObject_Vectorcall(self->make_order, a, 9, NULL);
    }
    if (order == NULL) { Py_DECREF(slot); goto done; }
    PROF(8);
    {
        unsigned long long id = PyLong_AsUnsignedLongLong(oid);
        if (PyErr_Occurred()) { Py_DECREF(slot); goto done; }
        char hex[24];
        int len = fmt_hex08(hex, id);
        venue_cl = PyUnicode_DecodeLatin1(hex, len, NULL);
    }
    if (venue_cl == NULL || (ts = timestamp_now(self)) == NULL) { Py_DECREF(slot); goto done; }
    values = self->v_sides ? venue_values(self, got, sym, venue_cl, ts) : NULL;
    if (values == NULL && !PyErr_Occurred()) {
        PyObject *a[6] = {order, venue_cl, PyTuple_GET_ITEM(sym, 3), PyTuple_GET_ITEM(sym, 1),
                          PyTuple_GET_ITEM(sym, 2), ts};
        values = PyObject_Vectorcall(self->values, a, 6, NULL);
    }
    if (values == NULL) { Py_DECREF(slot); goto done; }
    PROF(9);
    if (values == Py_None) {    /* (excluded above: a negative price is the only one it refuses) */
        Py_DECREF(slot);
        PyErr_SetString(PyExc_RuntimeError, "fast path: the venue values did not render");
        goto done;
    }
    int64_t t1 = mono_ns();
    now = self->risk_mono ? PyLong_FromLongLong((mono_ns() - self->risk_t0) & self->risk_mask)
                          : PyObject_CallNoArgs(self->risk_clock);
    if (now == NULL) { Py_DECREF(slot); goto done; }
    {
        PyObject *a[2] = {order, now};
        mask = PyObject_Vectorcall(self->risk_order, a, 2, NULL);
    }
    int64_t t2 = mono_ns();
    if (mask == NULL) { Py_DECREF(slot); goto done; }
    int refused = PyObject_IsTrue(mask);
    if (refused < 0) { Py_DECREF(slot); goto done; }
    if (refused) {
        Py_DECREF(slot);
        /* (the frame's bytes and its number, for Python's records only: made where a record is) */
        if ((raw_in = PyBytes_FromStringAndSize(d + pos, end - pos)) == NULL || (seqobj = PyLong_FromLongLong(seq)) == NULL)
            goto done;
        rec = Py_BuildValue("(iOOOLLLOOOO)", 1, order, venue, mask, (long long)t0, (long long)t1, (long long)t2,
                            m, e->shape, raw_in, seqobj);
        if (rec == NULL || PyList_Append(records, rec)) goto done;
        *end_out = end;
        *reason = R_RISK_REJECT;
        rc = 2;
        goto done;
    }
    accepted = 1;
    /* the venue NewOrderSingle: numbered, rendered, stored, written (Session.send_template) */
    vseq = PyObject_GetAttr(vstore, S_next_sender_seq);
    Py_CLEAR(ts);
    if (vseq == NULL || (ts = timestamp_now(self)) == NULL) { Py_DECREF(slot); goto done; }
    {
        PyObject *a[3] = {vseq, values, ts};
        raw_out = PyObject_Vectorcall(encode, a, 3, NULL);
    }
    if (raw_out == NULL) { Py_DECREF(slot); goto done; }
    /* stored before the write (store_append.h: the record in the log, its number taken, indexed):
     * whatever fails, fails here, before the venue has anything; only the log's mark for its sync
     * after the write */
    StorePlan plan;
    PROF_START();
    if (store_prepare(vstore, vseq, raw_out, 0, &plan) < 0) { Py_DECREF(slot); goto done; }
    PROF(10);
    int64_t tw = mono_ns();
    {   /* the first write of the read to this venue: straight to its transport (one send, or behind
         * what the transport already buffers); else through the session's write (venue_write) */
        int direct = 0;
        PyObject *how = venue_write(slot, write, &direct);
        if (how != NULL) {
            tmp = direct ? PyObject_CallMethodOneArg(how, S_write_m, raw_out) : batched_write(how, raw_out);
            Py_DECREF(how);
        }
    }
    int64_t t3 = mono_ns();
    PROF_START();
    {   /* marked for its sync whatever the write did (a write that raised: stored, as
         * Session._record_and_write leaves it); a mark that failed after a write that did not
         * (memory) is raised once the order is booked as the sent order it is */
        PyObject *type = NULL, *value = NULL, *tb = NULL;
        if (tmp == NULL) PyErr_Fetch(&type, &value, &tb);
        int marked = store_commit(&plan);
        Py_DECREF(slot);          /* (after the commit: the plan's store is the slot's) */
        PROF(12);
        if (tmp == NULL) {
            if (marked < 0) PyErr_Clear();
            PyErr_Restore(type, value, tb);
            goto done;
        }
        if (marked < 0) PyErr_Fetch(&st_type, &st_value, &st_tb);
    }
    Py_CLEAR(tmp);
    PROF_START();
    int book_failed = 0;
    if (self->nb_on) {   /* booked here, no record (book.h: ClientFastPath._sent's booking) */
        self->booked++;
        *end_out = end;   /* (booked: whatever fails, the order is not booked again) */
        book_failed = book_new(self, order, oid, key, venue, values, t0, t1, t2, t3, tw) < 0;
    } else {
        if ((raw_in = PyBytes_FromStringAndSize(d + pos, end - pos)) == NULL || (seqobj = PyLong_FromLongLong(seq)) == NULL)
            goto done;
        rec = Py_BuildValue("(iOOOLLLLOOOOOL)", 0, order, venue, values, (long long)t0, (long long)t1, (long long)t2,
                            (long long)t3, m, e->shape, raw_in, seqobj, vseq, (long long)tw);
        if (rec == NULL || PyList_Append(records, rec)) goto done;
        *end_out = end;   /* (recorded: whatever fails below, this order is Python's to book) */
    }
    {   /* the client's inbound number (consumed whatever the booking raised; its error is the one raised) */
        PyObject *type = NULL, *value = NULL, *tb = NULL;
        if (book_failed) PyErr_Fetch(&type, &value, &tb);
        PyObject *next = PyLong_FromLongLong(seq + 1);
        int snt = next ? store_next_target(self->set_next_target, next) : -1;
        tmp = snt == 0 ? Py_NewRef(Py_None) : NULL;
        Py_XDECREF(next);
        if (book_failed) {
            if (tmp == NULL) PyErr_Clear();
            Py_CLEAR(tmp);
            PyErr_Restore(type, value, tb);
            goto done;
        }
        if (tmp == NULL) goto done;
        Py_CLEAR(tmp);
    }
    PROF(11);
    rc = 1;
done:
    if (st_type != NULL) {      /* the store's sync mark failed after the write: raised, the order booked */
        if (rc < 0) { Py_XDECREF(st_type); Py_XDECREF(st_value); Py_XDECREF(st_tb); }   /* (a later error) */
        else { PyErr_Restore(st_type, st_value, st_tb); rc = -1; }
    }
    if (rc < 0 && committed && *end_out == pos) {
        /* failed past the point of no return (the id taken; maybe risk's reservation): Python books
         * what the Python path would have booked by then (kind 3), then raises the error */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (raw_in == NULL && (raw_in = PyBytes_FromStringAndSize(d + pos, end_of_frame - pos)) == NULL)
            PyErr_Clear();      /* (the record without them: None, as before when it failed) */
        PyObject *r3 = Py_BuildValue("(iOOOiOOOLL)", 3, order ? order : Py_None, venue ? venue : Py_None,
                                     values ? values : Py_None, accepted, m, e->shape,
                                     raw_in ? raw_in : Py_None, seq, (long long)t0);
        if (r3 == NULL || PyList_Append(records, r3)) {
            Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);   /* (the new error replaces it) */
        } else {
            PyErr_Restore(type, value, tb);
            *end_out = end_of_frame;
        }
        Py_XDECREF(r3);
    }
    Py_XDECREF(m); Py_XDECREF(regs); Py_XDECREF(symname); Py_XDECREF(sym); Py_XDECREF(cl);
    Py_XDECREF(side); Py_XDECREF(otype); Py_XDECREF(tif); Py_XDECREF(qty); Py_XDECREF(price); Py_XDECREF(got);
    Py_XDECREF(venue); Py_XDECREF(slot_link_state); Py_XDECREF(key); Py_XDECREF(oid); Py_XDECREF(order);
    Py_XDECREF(venue_cl); Py_XDECREF(ts); Py_XDECREF(values); Py_XDECREF(mask); Py_XDECREF(now); Py_XDECREF(rec);
    Py_XDECREF(vseq); Py_XDECREF(raw_out); Py_XDECREF(tmp); Py_XDECREF(raw_in); Py_XDECREF(write);
    Py_XDECREF(seqobj);
    return rc;
}

/* ---- the venue-report side: FastPath.reports -------------------------------------------------
 * A venue session's FastPath (bound with bind_reports) takes a read's in-sequence ExecutionReports
 * for orders the gateway knows, in the common case: the venue's New ack of a PendingNew order,
 * partial and full fills of a PendingNew, New or PartiallyFilled order, and the Canceled that
 * answers the client's own pending cancel. For each it applies
 * what the Python path (venue_reports.py: _venue_event, _apply, _fill) applies to the order's
 * OrderState, the one master copy of its state (C writes its slots: cancels, replaces, busts,
 * reconcile and the kill switch read what C did), releases the fill in the risk core, and renders
 * the client's ExecutionReport fields (report_fields, an ExecID taken). Python books the rest
 * from the record (report_fast.py: the trail, counts, open notional, the client send, _end). */


/* a long long attribute of obj (-1 error, 0 not one that fits: *fits 0) */
static int attr_ll(PyObject *obj, PyObject *name, long long *out, int *fits) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    int overflow = 0;
    *out = PyLong_Check(v) ? PyLong_AsLongLongAndOverflow(v, &overflow) : 0;
    *fits = PyLong_Check(v) && !overflow && *out >= 0 && *out < (1LL << 62);
    Py_DECREF(v);
    return PyErr_Occurred() ? -1 : 0;
}

static int set_ll(PyObject *obj, PyObject *name, long long v) {
    PyObject *o = PyLong_FromLongLong(v);
    if (o == NULL) return -1;
    int rc = PyObject_SetAttr(obj, name, o);
    Py_DECREF(o);
    return rc;
}

/* ---- the client send: the client's ExecutionReport written from the C call ------------------
 * What Session.send_template does for an established session (its next MsgSeqNum, the template,
 * the store append through store_append.h, the write), behind what OrderGateway._to_client does
 * first (the trail's in and out records, the journal flushed: the gate, a Python callable, when
 * there is a trail). Only in a plain state: anything else is the Python send (SEND_REASONS). */
enum { SR_SESSION, SR_NOT_ACTIVE, SR_NO_CONNECTION, SR_FSYNC, SR_RESEND, SR_PAUSED, SR_HELD, SR_FIELDS, SR_BEHIND,
       NSEND };
static const char *SEND_TEXT[NSEND] = {"not_session", "not_active", "no_connection", "fsync_held", "resend",
                                        "paused", "journal_held", "fields", "behind_python_send"};
static PyObject *SR[NSEND];
static PyObject *S_store, *S_deferred_sync, *S_resend_job, *S_paused, *S_encoder, *S_templates, *S_template,
                *S_encode, *S_in_reply_to;

/* attr of obj is (truth) */
static int attr_true(PyObject *obj, PyObject *name) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    int t = PyObject_IsTrue(v);
    Py_DECREF(v);
    return t;
}

/* -1 error, nothing written (*trailed: the gate recorded the trail's records); 0 left to Python
 * (*why); 1 written (*t_sent); 2 the gate held it (sent by release_held); 3 the write raised after
 * the message was stored (the error set); 4 the write raised RuntimeError, which Python's send
 * logs and goes on (_send_client): the error in *refused */
static int client_send(FastPath *self, PyObject *client, PyObject *fields, PyObject *m, PyObject *shape,
                       const char *frame, Py_ssize_t flen, int64_t t0, int *why, int64_t *t_sent, int *trailed,
                       PyObject **refused) {
    if ((PyObject *)Py_TYPE(client) != self->cs_type) { *why = SR_SESSION; return 0; }
    PyObject *st = PyObject_GetAttr(client, S_state);
    if (st == NULL) return -1;
    Py_DECREF(st);
    if (st != self->cs_active) { *why = SR_NOT_ACTIVE; return 0; }
    int rc = -1;
    PyObject *write = NULL, *store = NULL, *tags = NULL, *values = NULL, *key = NULL, *tmpl = NULL, *seq = NULL,
             *ts = NULL, *raw = NULL, *out = NULL;
    if ((write = PyObject_GetAttr(client, S_write)) == NULL) goto done;
    if (write == Py_None) { *why = SR_NO_CONNECTION; rc = 0; goto done; }
    if ((store = PyObject_GetAttr(client, S_store)) == NULL) goto done;
    int t;
    if ((t = attr_true(store, S_deferred_sync)) != 0) { if (t > 0) { *why = SR_FSYNC; rc = 0; } goto done; }
    PyObject *job = PyObject_GetAttr(client, S_resend_job);
    if (job == NULL) goto done;
    Py_DECREF(job);
    if (job != Py_None) { *why = SR_RESEND; rc = 0; goto done; }
    if ((t = attr_true(client, S_paused)) != 0) { if (t > 0) { *why = SR_PAUSED; rc = 0; } goto done; }
    Py_ssize_t held = PyObject_Length(self->cs_held);
    if (held < 0) goto done;
    if (held) { *why = SR_HELD; rc = 0; goto done; }
    /* the template of the report's tag sequence (Session.template: the encoder's cache) */
    if (!PyList_Check(fields)) { *why = SR_FIELDS; rc = 0; goto done; }
    Py_ssize_t nf = PyList_GET_SIZE(fields);
    if ((tags = PyTuple_New(nf)) == NULL || (values = PyList_New(nf)) == NULL) goto done;
    for (Py_ssize_t i = 0; i < nf; i++) {
        PyObject *f = PyList_GET_ITEM(fields, i);
        if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != 2) { *why = SR_FIELDS; rc = 0; goto done; }
        PyTuple_SET_ITEM(tags, i, Py_NewRef(PyTuple_GET_ITEM(f, 0)));
        PyList_SET_ITEM(values, i, Py_NewRef(PyTuple_GET_ITEM(f, 1)));
    }
    {
        PyObject *enc = PyObject_GetAttr(client, S_encoder), *cache = enc ? PyObject_GetAttr(enc, S_templates) : NULL;
        Py_XDECREF(enc);
        if (cache == NULL) goto done;
        key = PyTuple_Pack(2, S_8, tags);
        if (key && PyDict_Check(cache)) {
            tmpl = PyDict_GetItemWithError(cache, key);
            Py_XINCREF(tmpl);
        }
        Py_DECREF(cache);
        if (key == NULL || PyErr_Occurred()) goto done;
        if (tmpl == NULL && (tmpl = PyObject_CallMethodObjArgs(client, S_template, S_8, tags, NULL)) == NULL) goto done;
    }
    /* the trail's records, the journal flushed (OrderGateway._to_client's part before the send) */
    if (self->cs_trail != Py_None) {
        PyObject *rawin = PyBytes_FromStringAndSize(frame, flen), *t0obj = rawin ? PyLong_FromLongLong(t0) : NULL;
        PyObject *go = NULL;
        if (t0obj) {
            PyObject *a[6] = {m, shape, rawin, t0obj, client, fields};
            go = PyObject_Vectorcall(self->cs_trail, a, 6, NULL);
        }
        Py_XDECREF(rawin); Py_XDECREF(t0obj);
        if (go == NULL) goto done;
        *trailed = 1;
        int yes = PyObject_IsTrue(go);
        Py_DECREF(go);
        if (yes < 0) goto done;
        if (!yes) { rc = 2; goto done; }
    }
    /* Session.send_template: the number, the bytes, stored before the wire, written */
    if ((seq = PyObject_GetAttr(store, S_next_sender_seq)) == NULL || (ts = timestamp_now(self)) == NULL) goto done;
    {
        PyObject *enc = PyObject_GetAttr(tmpl, S_encode);
        if (enc == NULL) goto done;
        PyObject *a[3] = {seq, values, ts};
        raw = PyObject_Vectorcall(enc, a, 3, NULL);
        Py_DECREF(enc);
    }
    if (raw == NULL) goto done;
    long long reply_to = 0;
    {
        PyObject *r = PyObject_GetAttr(client, S_in_reply_to);
        if (r == NULL) goto done;
        reply_to = PyLong_AsLongLong(r);
        Py_DECREF(r);
        if (reply_to == -1 && PyErr_Occurred()) goto done;
    }
    if (store_append(store, seq, raw, reply_to) < 0) goto done;
    out = batched_write(write, raw);
    *t_sent = mono_ns();
    rc = out == NULL ? 3 : 1;
    if (out == NULL && PyErr_ExceptionMatches(PyExc_RuntimeError)) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        Py_XDECREF(type); Py_XDECREF(tb);
        *refused = value ? value : Py_NewRef(Py_None);
        rc = 4;
    }
done:
    Py_XDECREF(write); Py_XDECREF(store); Py_XDECREF(tags); Py_XDECREF(values); Py_XDECREF(key); Py_XDECREF(tmpl);
    Py_XDECREF(seq); Py_XDECREF(ts); Py_XDECREF(raw); Py_XDECREF(out);
    return rc;
}

#include "book.h"

/* -1 error (past the point of no return: a (None, seq) record appended, *end_out past the frame);
 * 0 not taken (*reason); 1 taken (record appended, or booked here: self->booked) */
static int one_report(FastPath *self, PyObject *data, PyObject **textp, Py_ssize_t pos, int64_t recv_ns,
                      long long seq_expected, PyObject *records, Py_ssize_t *end_out, int *reason) {
    int committed_ = 0, *committed = &committed_;
    const char *d = PyBytes_AS_STRING(data);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    const char *mt;
    Py_ssize_t mtlen;
    if (!header_type(d, n, pos, &mt, &mtlen, reason)) return 0;
    if (!(mtlen == 1 && mt[0] == '8')) {
        *reason = mtlen == 1 && strchr("012345A", mt[0]) ? R_ADMIN : R_OTHER;
        return 0;
    }
    PyObject *m = NULL;
    ShapeEntry *e = NULL;
    Span spans[MAX_FIELDS + 1];
    int matched = match_shape(self, S_8, data, textp, pos, spans, &e, &m);
    if (matched < 0) return -1;
    if (!matched) { *reason = R_SHAPE; return 0; }
    if (m == NULL) m = Py_NewRef(Py_None);
    int rc = -1;
    long long seq = 0;
    PyObject *cl = NULL, *oid = NULL, *state = NULL, *venue = NULL, *exec_id = NULL, *exec_ids = NULL,
             *status = NULL, *order = NULL, *symbol = NULL, *tick = NULL, *pxtext = NULL, *px = NULL, *fields = NULL,
             *raw = NULL, *rec = NULL, *tmp = NULL, *ex = NULL, *client = NULL, *cfg = NULL, *begin = NULL,
             *ocl = NULL, *ooid = NULL, *oside = NULL, *oprice = NULL, *otype = NULL, *pcl = NULL, *cumobj = NULL,
             *avgobj = NULL, *lqobj = NULL, *leavesobj = NULL, *qtyobj = NULL, *ntmp = NULL;
    Span g[NGROUPS];
    for (int k = 0; k < NGROUPS; k++) {
        Py_ssize_t grp = e->group[k];
        if (grp > MAX_FIELDS) { *reason = R_SHAPE; rc = 0; goto done; }
        if (grp <= 0) g[k].a = g[k].b = -1; else g[k] = spans[grp];
    }
    Py_ssize_t end = spans[0].b;
    {
        int fc = frame_check(self, data, d, g, pos, end, e->for_app, reason);
        if (fc <= 0) { rc = fc; goto done; }
    }
    if (!expected_seq(d, g, seq_expected, &seq, reason)) { rc = 0; goto done; }
    if (!same_bytes(d, g[G_SENDER], self->their_id) || !same_bytes(d, g[G_TARGET], self->our_id)) {
        *reason = R_COMP_ID; rc = 0; goto done;
    }
    if (!in_window(self, d, g[G_TIME])) { *reason = R_SENDING_TIME; rc = 0; goto done; }
    /* the common case's exec types only: New (0), Trade (F) and 4.2's PartialFill / Fill (1, 2), and
     * Canceled (4) of a client's pending cancel */
    if (g[G_EXECTYPE].a < 0 || g[G_EXECTYPE].b - g[G_EXECTYPE].a != 1 || !strchr("0F124", d[g[G_EXECTYPE].a])) {
        *reason = R_EXEC_TYPE; rc = 0; goto done;
    }
    char et = d[g[G_EXECTYPE].a];
    /* the order: the gateway id in the venue ClOrdID, its state, at this venue */
    cl = g[G_CLORD].a >= 0 ? text_of(d, g[G_CLORD]) : Py_NewRef(S_empty);
    if (cl == NULL || (oid = PyObject_CallOneArg(self->r_venue_id, cl)) == NULL) goto done;
    if (oid == Py_None) { *reason = R_UNKNOWN_ORDER; rc = 0; goto done; }
    state = PyDict_GetItemWithError(self->r_orders, oid);
    if (state == NULL) { if (!PyErr_Occurred()) { *reason = R_UNKNOWN_ORDER; rc = 0; } goto done; }
    Py_INCREF(state);
    if ((venue = PyObject_GetAttr(state, S_venue)) == NULL) goto done;
    if (!PyUnicode_Check(venue) || PyUnicode_Compare(venue, self->r_venue) != 0) {
        if (!PyErr_Occurred()) { *reason = R_UNKNOWN_ORDER; rc = 0; }
        goto done;
    }
    exec_id = g[G_EXECID].a >= 0 ? text_of(d, g[G_EXECID]) : Py_NewRef(S_empty);
    if (exec_id == NULL || (exec_ids = PyObject_GetAttr(state, S_exec_ids)) == NULL) goto done;
    if (!PySet_Check(exec_ids)) { *reason = R_DUP_REPORT; rc = 0; goto done; }
    if (PyUnicode_GET_LENGTH(exec_id)) {
        int c = PySet_Contains(exec_ids, exec_id);
        if (c) { if (c > 0) { *reason = R_DUP_REPORT; rc = 0; } goto done; }
    }
    if ((status = PyObject_GetAttr(state, S_status)) == NULL || (order = PyObject_GetAttr(state, S_order)) == NULL)
        goto done;
    if ((symbol = PyObject_GetAttr(order, S_symbol)) == NULL) goto done;
    tick = PyDict_GetItemWithError(self->r_ticks, symbol);      /* (parse_ticks, name) */
    if (tick == NULL) { if (!PyErr_Occurred()) { *reason = R_PRICE; rc = 0; } goto done; }
    Py_INCREF(tick);
    long long qty = 0, cum = 0, oqty = 0, reserved = 0;
    int fits = 1, f2 = 1, f3 = 1;
    PyObject *pending_cl = NULL;    /* (a pending cancel's client ClOrdID: the Canceled's ClOrdID) */
    if (et == '4') {
        /* only the answer to the client's own cancel: the kill switch's, cancel-on-disconnect's and
         * the venue's unsolicited cancels carry their texts (Python's) */
        if (status != self->r_pending_cancel) { *reason = R_EXEC_TYPE; rc = 0; goto done; }
        if ((pending_cl = PyObject_GetAttr(state, S_pending_cl)) == NULL) goto done;
        int has = PyObject_IsTrue(pending_cl);
        if (has <= 0) { Py_CLEAR(pending_cl); if (has == 0) { *reason = R_EXEC_TYPE; rc = 0; } goto done; }
        Py_DECREF(pending_cl);       /* (the state holds it; read again below) */
    } else if (et == '0') {
        if (status != self->r_pending_new) { *reason = R_ILLEGAL; rc = 0; goto done; }
    } else {
        if (status != self->r_pending_new && status != self->r_new && status != self->r_partial) {
            *reason = status == self->r_pending_cancel || status == self->r_pending_replace ? R_PENDING : R_ILLEGAL;
            rc = 0; goto done;
        }
        Span q = g[G_LASTQTY];
        if (q.a < 0 || q.b - q.a < 1 || q.b - q.a > 18 || !all_digits(d + q.a, q.b - q.a)) {
            *reason = R_QTY; rc = 0; goto done;
        }
        for (Py_ssize_t i = q.a; i < q.b; i++) qty = qty * 10 + (d[i] - '0');
        if (attr_ll(state, S_cum_qty, &cum, &fits) || attr_ll(state, S_qty, &oqty, &f2) ||
            attr_ll(state, S_reserved, &reserved, &f3))
            goto done;
        if (!fits || !f2 || !f3 || qty <= 0 || cum + qty > oqty) { *reason = R_QTY; rc = 0; goto done; }
        long long units = 0, decs = 0, pt = 0;
        if (PyTuple_GET_SIZE(tick) >= 5 && g[G_LASTPX].a >= 0) {      /* (parse_ticks' common case in C: calls.h) */
            units = PyLong_AsLongLong(PyTuple_GET_ITEM(tick, 3));
            decs = PyLong_AsLongLong(PyTuple_GET_ITEM(tick, 4));
            if (PyErr_Occurred()) goto done;
            if (ticks_of(d + g[G_LASTPX].a, g[G_LASTPX].b - g[G_LASTPX].a, units, decs, &pt) &&
                (px = PyLong_FromLongLong(pt)) == NULL)
                goto done;
        }
        if (px == NULL) {
            pxtext = g[G_LASTPX].a >= 0 ? text_of(d, g[G_LASTPX]) : Py_NewRef(S_zero_text);
            if (pxtext == NULL) goto done;
            px = PyObject_CallOneArg(PyTuple_GET_ITEM(tick, 0), pxtext);
        }
        if (px == NULL) {
            if (PyErr_ExceptionMatches(self->r_price_error)) { PyErr_Clear(); *reason = R_PRICE; rc = 0; }
            goto done;
        }
    }
    /* ---- from here the report is applied (as _venue_event / _apply / _fill apply it) ---- */
    *committed = 1;
    int64_t t0 = recv_ns ? recv_ns : mono_ns();
    int acked = 1, full = 0, applied = 0, trailed = 0;
    long long released = 0;
    {
        PyObject *a = PyObject_GetAttr(state, S_acked);
        if (a == NULL) goto done;
        acked = PyObject_IsTrue(a);
        Py_DECREF(a);
        if (acked < 0) { acked = 1; goto done; }
        if (!acked && PyObject_SetAttr(state, S_acked, Py_True)) { acked = 1; goto done; }
    }
    PyObject *new_status, *et_obj;
    if (et == '0' || et == '4') {
        new_status = et == '0' ? self->r_new : self->r_canceled;
        et_obj = et == '0' ? self->r_et_new : self->r_et_canceled;
        if (PyObject_SetAttr(state, S_status, new_status)) goto done;
        lqobj = Py_NewRef(ZERO);
        px = Py_NewRef(ZERO);
        if ((cumobj = PyObject_GetAttr(state, S_cum_qty)) == NULL || (qtyobj = PyObject_GetAttr(state, S_qty)) == NULL ||
            (avgobj = PyObject_GetAttr(state, S_avg_px_num)) == NULL)
            goto done;
        int truthy = PyObject_IsTrue(qtyobj);
        if (truthy < 0) goto done;
        if (!truthy) { Py_SETREF(qtyobj, PyObject_GetAttr(order, S_qty)); if (qtyobj == NULL) goto done; }
        /* (PendingNew -> New: not terminal; Canceled: terminal, nothing leaves) */
        leavesobj = et == '0' ? PyNumber_Subtract(qtyobj, cumobj) : Py_NewRef(ZERO);
        if (leavesobj == NULL) goto done;
    } else {
        full = cum + qty >= oqty;
        new_status = full ? self->r_filled : self->r_partial;
        et_obj = self->r_et_trade;
        if (PyObject_SetAttr(state, S_status, new_status)) goto done;
        released = qty < reserved ? qty : reserved;
        if (released > 0) {      /* NativeRiskBackend.release(order, released, filled=True) */
            PyObject *side = PyObject_GetAttr(order, S_side), *price = side ? PyObject_GetAttr(order, S_price) : NULL;
            PyObject *sess = price ? PyObject_GetAttr(order, S_session) : NULL;
            PyObject *rq = sess ? PyLong_FromLongLong(released) : NULL, *notional = rq ? PyNumber_Multiply(rq, price) : NULL;
            if (notional) {
                PyObject *a[6] = {symbol, side, rq, notional, Py_False, sess};
                tmp = PyObject_Vectorcall(self->r_release, a, 6, NULL);
            }
            Py_XDECREF(side); Py_XDECREF(price); Py_XDECREF(sess); Py_XDECREF(rq); Py_XDECREF(notional);
            if (tmp == NULL) { released = 0; goto done; }
            if (set_ll(state, S_reserved, reserved - released)) goto done;
        }
        lqobj = PyLong_FromLongLong(qty);
        if (lqobj == NULL || set_ll(state, S_cum_qty, cum + qty)) goto done;
        if ((avgobj = PyObject_GetAttr(state, S_avg_px_num)) == NULL) goto done;
        ntmp = PyNumber_Multiply(lqobj, px);
        if (ntmp == NULL) goto done;
        Py_SETREF(avgobj, PyNumber_Add(avgobj, ntmp));
        if (avgobj == NULL || PyObject_SetAttr(state, S_avg_px_num, avgobj)) goto done;
        cumobj = PyLong_FromLongLong(cum + qty);
        qtyobj = PyLong_FromLongLong(oqty);
        leavesobj = PyLong_FromLongLong(full ? 0 : oqty - cum - qty);
        if (cumobj == NULL || qtyobj == NULL || leavesobj == NULL) goto done;
        if (!oqty) { Py_SETREF(qtyobj, PyObject_GetAttr(order, S_qty)); if (qtyobj == NULL) goto done; }
    }
    applied = 1;     /* (what _apply / _fill / _canceled change before their _report) */
    /* the client's report: report_fields(symbols, begin, ClOrdID, OrderID, ExecID, ExecType, OrdStatus,
     * Symbol, Side, OrderQty, Price, LastQty, LastPx, CumQty, LeavesQty, AvgPx numerator, reason, text, OrdType) */
    if ((client = PyObject_GetAttr(state, S_client)) == NULL || (cfg = PyObject_GetAttr(client, S_config)) == NULL ||
        (begin = PyObject_GetAttr(cfg, S_begin_string)) == NULL || (ocl = PyObject_GetAttr(order, S_cl_ord_id)) == NULL ||
        (ooid = PyObject_GetAttr(order, S_order_id)) == NULL || (oside = PyObject_GetAttr(order, S_side)) == NULL ||
        (et == '4' && (pcl = PyObject_GetAttr(state, S_pending_cl)) == NULL) ||
        (oprice = PyObject_GetAttr(order, S_price)) == NULL || (otype = PyObject_GetAttr(order, S_ord_type)) == NULL ||
        (ex = next_exec_id(self->r_exec_next)) == NULL)
        goto done;
    {
        PyObject *a[19] = {self->r_symtab, begin, et == '4' ? pcl : ocl, ooid, ex, et_obj, new_status,
                           PyTuple_GET_ITEM(tick, 1), oside, qtyobj, oprice, lqobj, px, cumobj, leavesobj, avgobj,
                           self->r_reason_none, S_empty, otype};
        if (self->r_fields_c != NULL && PyTuple_GET_SIZE(tick) >= 3) {
            /* report_fields' C call itself (its by_name and _tick_args: the tick's arguments bound) */
            PyObject *b = PyObject_RichCompare(begin, S_fix42, Py_EQ);
            if (b == NULL) goto done;
            PyObject *c[19] = {b, a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14],
                               a[15], a[16], a[17], a[18], PyTuple_GET_ITEM(tick, 2)};
            fields = PyObject_Vectorcall(self->r_fields_c, c, 19, NULL);
            Py_DECREF(b);
            if (fields == NULL) goto done;
            if (fields == Py_None) Py_CLEAR(fields);     /* (a number it does not cover: report_fields') */
        }
        if (fields == NULL) fields = PyObject_Vectorcall(self->r_report_fields, a, 19, NULL);
    }
    if (fields == NULL) goto done;
    if (et == '4') {     /* _report(..., cl_ord_id=pending_cl, orig=order.cl_ord_id): OrigClOrdID third */
        PyObject *orig = PyTuple_Pack(2, self->r_orig_tag, ocl);
        int bad = orig == NULL || !PyList_Check(fields) || PyList_Insert(fields, 2, orig);
        Py_XDECREF(orig);
        if (bad) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "report_fields must return a list"); goto done; }
    }
    /* the ExecID remembered once the report is whole (_venue_event adds it after _apply returns) */
    if (et != '0' && et != '4' && PyUnicode_GET_LENGTH(exec_id) && PySet_Add(exec_ids, exec_id)) goto done;
    /* the client's report written from here where the session is in a plain state */
    int sent = 0, send_why = -1, write_failed = 0;
    PyObject *refused = NULL;
    int64_t t_sent = 0;
    if (self->cs_type != NULL && self->cs_behind) {
        send_why = SR_BEHIND;       /* (Python sends an earlier report of this read: this one goes after it) */
    } else if (self->cs_type != NULL) {
        sent = client_send(self, client, fields, m, e->shape, d + pos, end - pos, t0, &send_why, &t_sent, &trailed,
                           &refused);
        if (sent < 0) goto done;
        if (sent == 3) { sent = 1; write_failed = 1; }
        else if (sent == 4) sent = 3;     /* (stored, the write refused: Python logs it, as _send_client) */
        if (sent == 0) self->cs_behind = 1;
    }
    if (self->bk_on && !self->bk_behind && sent == 1 && !write_failed) {
        int ready = book_ready(state, et, full);
        if (ready < 0) goto done;
        if (ready) {         /* booked here, no record (book.h) */
            *committed = 0;  /* (an error in it: the report applied, its number consumed, raised) */
            *end_out = end;
            self->booked++;
            if (book_report(self, state, client, venue, order, et, !acked, released, full, seq, t0, t_sent)) goto done;
            rc = 1;
            goto done;
        }
    }
    if (self->bk_on) self->bk_behind = 1;     /* (the rest of the call's reports booked after this one) */
    raw = PyBytes_FromStringAndSize(d + pos, end - pos);
    if (raw == NULL) { Py_XDECREF(refused); goto done; }
    /* (state, exec type, ack hop owed, quantity released, full, client fields, match, shape, raw, seq, t0,
     *  sent: 0 Python sends it / 1 written here / 2 held by the trail / 3 stored, its write refused,
     *  why Python sends it (a SEND_REASONS name) or the write's RuntimeError or None, t_sent) */
    rec = Py_BuildValue("(OCiLiOOOOLLiOL)", state, et, !acked, released, full, fields, m, e->shape, raw, seq,
                        (long long)t0, sent, refused ? refused : send_why >= 0 ? SR[send_why] : Py_None,
                        (long long)t_sent);
    Py_XDECREF(refused);
    if (rec == NULL || PyList_Append(records, rec)) goto done;
    *end_out = end;
    if (write_failed) { *committed = 0; goto done; }   /* (booked by its record; the write's error raised) */
    rc = 1;
done:
    if (rc < 0 && *committed) {
        /* failed while applying: the Python path would have consumed the inbound number (kind None) */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        /* (None, seq, state, exec type, ack hop owed, quantity released, applied, match, shape, raw, t0,
         *  the trail's in record made by the send's gate):
         * what the Python path has booked when the same error reaches it */
        PyObject *rawf = PyBytes_FromStringAndSize(d + pos, spans[0].b - pos);
        PyObject *r = rawf ? Py_BuildValue("(OLOCiLiOONLi)", Py_None, seq, state, et, !acked, released, applied, m,
                                           e->shape, rawf, (long long)t0, trailed) : NULL;
        if (r == NULL || PyList_Append(records, r)) { Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb); }
        else { PyErr_Restore(type, value, tb); *end_out = spans[0].b; }   /* (its number is consumed: the rest
                                                                           * of the read follows it) */
        Py_XDECREF(r);
    }
    Py_XDECREF(m); Py_XDECREF(cl); Py_XDECREF(oid); Py_XDECREF(state); Py_XDECREF(venue);
    Py_XDECREF(exec_id); Py_XDECREF(exec_ids); Py_XDECREF(status); Py_XDECREF(order); Py_XDECREF(symbol);
    Py_XDECREF(tick); Py_XDECREF(pxtext); Py_XDECREF(px); Py_XDECREF(fields); Py_XDECREF(raw); Py_XDECREF(rec);
    Py_XDECREF(tmp); Py_XDECREF(ex); Py_XDECREF(client); Py_XDECREF(cfg); Py_XDECREF(begin); Py_XDECREF(ocl);
    Py_XDECREF(ooid); Py_XDECREF(oside); Py_XDECREF(oprice); Py_XDECREF(otype); Py_XDECREF(pcl);
    Py_XDECREF(cumobj); Py_XDECREF(avgobj); Py_XDECREF(lqobj); Py_XDECREF(leavesobj); Py_XDECREF(qtyobj);
    Py_XDECREF(ntmp);
    return rc;
}

/* One frame's step of a side: -1 error (past the point of no return: a record says what Python
 * must book, *end past the frame); 0 not taken (*reason); 1 taken; 2 taken, and the C call ends
 * after it (*reason: the client side's risk reject, which Python answers). */
typedef int (*frame_step)(FastPath *, PyObject *, PyObject **, Py_ssize_t, int64_t, long long, PyObject *,
                          Py_ssize_t *, int *);

/* The one driver of both sides (run and reports): the arguments, the loop over the read's frames
 * within the message-rate budget, and the error handling. Returns (end, records, reason): reason
 * None (the read is done), a REASONS name, or the exception an error after the point of no return
 * raised (the records before it are Python's to book first). */
static PyObject *drive(FastPath *self, PyObject *const *args, Py_ssize_t nargs, const char *name, frame_step step) {
    if (nargs != 5 || !PyBytes_Check(args[0])) {
        PyErr_Format(PyExc_TypeError, "%s(data: bytes, start, recv_ns, expected_seq, budget)", name);
        return NULL;
    }
    PyObject *data = args[0];
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    long long recv_ns = PyLong_AsLongLong(args[2]), expected = PyLong_AsLongLong(args[3]);
    Py_ssize_t budget = PyLong_AsSsize_t(args[4]);
    if (PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    if (pos < 0 || pos > n) { PyErr_Format(PyExc_ValueError, "%s: start outside the data", name); return NULL; }
    PyObject *records = PyList_New(0);
    if (records == NULL) return NULL;
    PyObject *text = NULL;    /* the read as str, made when a shape's regular expression must match it */
    PyObject *why = Py_NewRef(Py_None);
    while (pos < n) {
        if (budget <= 0) { Py_SETREF(why, Py_NewRef(R[R_RATE])); break; }
        int reason = -1;
        Py_ssize_t end = pos;
        int rc = step(self, data, &text, pos, recv_ns, expected, records, &end, &reason);
        if (rc < 0) {
            if (PyList_GET_SIZE(records) == 0 && self->booked == 0) { Py_DECREF(records); Py_XDECREF(text); Py_DECREF(why); return NULL; }
            /* what went out (or was applied) before the error, and the failing frame's booking:
             * Python books them, then raises */
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb != NULL && value != NULL) PyException_SetTraceback(value, tb);
            Py_XDECREF(type); Py_XDECREF(tb);
            Py_SETREF(why, value ? value : Py_NewRef(Py_None));
            pos = end;
            break;
        }
        if (rc == 0) { Py_SETREF(why, Py_NewRef(R[reason])); break; }
        pos = end;
        expected++;
        budget--;
        if (rc == 2) { Py_SETREF(why, Py_NewRef(R[reason])); break; }
    }
    Py_XDECREF(text);
    return Py_BuildValue("(nNN)", pos, records, why);
}

static PyObject *FastPath_run(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (new_book_begin(self) < 0) return NULL;
    return drive(self, args, nargs, "run", one_frame);
}

static PyObject *FastPath_reports(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (self->r_orders == NULL) { PyErr_SetString(PyExc_RuntimeError, "reports: bind_reports first"); return NULL; }
    self->cs_behind = 0;
    if (book_begin(self) < 0) return NULL;
    return drive(self, args, nargs, "reports", one_report);
}

static PyObject *FastPath_bind_reports(FastPath *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"orders", "venue", "release", "report_fields", "symtab", "exec_next", "ticks", "venue_id",
        "price_error", "pending_new", "new", "partial", "filled", "pending_cancel", "pending_replace", "et_new",
        "et_trade", "reason_none", "canceled", "et_canceled", "orig_tag", NULL};
    PyObject *o[21];
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!UOOOOO!OOOOOOOOOOOOOO", names, &PyDict_Type, &o[0], &o[1], &o[2],
            &o[3], &o[4], &o[5], &PyDict_Type, &o[6], &o[7], &o[8], &o[9], &o[10], &o[11], &o[12], &o[13], &o[14],
            &o[15], &o[16], &o[17], &o[18], &o[19], &o[20]))
        return NULL;
    PyObject **dst[21] = {&self->r_orders, &self->r_venue, &self->r_release, &self->r_report_fields, &self->r_symtab,
        &self->r_exec_next, &self->r_ticks, &self->r_venue_id, &self->r_price_error, &self->r_pending_new,
        &self->r_new, &self->r_partial, &self->r_filled, &self->r_pending_cancel, &self->r_pending_replace,
        &self->r_et_new, &self->r_et_trade, &self->r_reason_none, &self->r_canceled, &self->r_et_canceled,
        &self->r_orig_tag};
    for (int i = 0; i < 21; i++) { Py_INCREF(o[i]); Py_XSETREF(*dst[i], o[i]); }
    Py_RETURN_NONE;
}

/* bind_report_calls(fields_c): the client report's fields by the C ReportFields itself, the tick's
 * arguments the third item of each ``ticks`` value (calls.h); bind_report_calls(None): report_fields */
static PyObject *FastPath_bind_report_calls(FastPath *self, PyObject *arg) {
    if (arg != Py_None && !PyCallable_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "bind_report_calls(fields_c: callable or None)");
        return NULL;
    }
    Py_XSETREF(self->r_fields_c, arg == Py_None ? NULL : Py_NewRef(arg));
    Py_RETURN_NONE;
}

/* bind_client_send(session_type, active, held, trail, timestamp): the venue-report side writes the
 * client's reports itself (client_send); bind_client_send(None, ...) turns it off */
static PyObject *FastPath_bind_client_send(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "bind_client_send(session_type, active, held, trail, timestamp)");
        return NULL;
    }
    if (args[0] == Py_None) { Py_CLEAR(self->cs_type); Py_RETURN_NONE; }
    if (!PyType_Check(args[0])) { PyErr_SetString(PyExc_TypeError, "bind_client_send: session_type must be a type"); return NULL; }
    Py_XSETREF(self->cs_type, Py_NewRef(args[0]));
    Py_XSETREF(self->cs_active, Py_NewRef(args[1]));
    Py_XSETREF(self->cs_held, Py_NewRef(args[2]));
    Py_XSETREF(self->cs_trail, Py_NewRef(args[3]));
    Py_XSETREF(self->timestamp, Py_NewRef(args[4]));
    Py_RETURN_NONE;
}

/* bind_risk_clock(t0, mask): the risk backend's clock is its default one (order_fast.py
 * ``monotonic_risk_clock``: ns of CLOCK_MONOTONIC, what time.monotonic_ns reads, since t0,
 * masked): read here instead of called; bind_risk_clock(None, None) calls it again */
static PyObject *FastPath_bind_risk_clock(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "bind_risk_clock(t0, mask)"); return NULL; }
    if (args[0] == Py_None) { self->risk_mono = 0; Py_RETURN_NONE; }
    long long t0 = PyLong_AsLongLong(args[0]), mask = PyLong_AsLongLong(args[1]);
    if (PyErr_Occurred()) return NULL;
    if (mask < 0) { PyErr_SetString(PyExc_ValueError, "bind_risk_clock: mask must be >= 0"); return NULL; }
    self->risk_t0 = t0;
    self->risk_mask = mask;
    self->risk_mono = 1;
    Py_RETURN_NONE;
}

/* bind_values(side_out, type_out, tif_out, limit): the tables of ``values`` (its tables()), the venue
 * values rendered in the call from them (venue_values); bind_values(None, None, None, None): called */
static PyObject *FastPath_bind_values(FastPath *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) { PyErr_SetString(PyExc_TypeError, "bind_values(side_out, type_out, tif_out, limit)"); return NULL; }
    if (args[0] == Py_None) {
        Py_CLEAR(self->v_sides); Py_CLEAR(self->v_types); Py_CLEAR(self->v_tifs); Py_CLEAR(self->v_limit);
        Py_RETURN_NONE;
    }
    if (!PyDict_Check(args[0]) || !PyDict_Check(args[1]) || !PyDict_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "bind_values: the three tables must be dicts");
        return NULL;
    }
    Py_XSETREF(self->v_sides, Py_NewRef(args[0]));
    Py_XSETREF(self->v_types, Py_NewRef(args[1]));
    Py_XSETREF(self->v_tifs, Py_NewRef(args[2]));
    Py_XSETREF(self->v_limit, Py_NewRef(args[3]));
    Py_RETURN_NONE;
}

static PyMethodDef FastPath_methods[] = {
    {"bind_values", (PyCFunction)(void (*)(void))FastPath_bind_values, METH_FASTCALL,
     "bind_values(side_out, type_out, tif_out, limit): the venue values rendered in C from values' tables(); Nones: called"},
    {"bind_report_calls", (PyCFunction)FastPath_bind_report_calls, METH_O,
     "bind_report_calls(fields_c): the client report's fields by the C ReportFields (calls.h), or None"},
    {"bind_risk_clock", (PyCFunction)(void (*)(void))FastPath_bind_risk_clock, METH_FASTCALL,
     "bind_risk_clock(t0, mask): risk's now read in C ((monotonic ns - t0) & mask); (None, None): called"},
    {"bind_new_book", (PyCFunction)(void (*)(void))FastPath_bind_new_book, METH_FASTCALL,
     "bind_new_book(gateway, client_session, OrderState): the client side's orders booked in C (book.h) "
     "while the gateway has no trail; (None, None, None): by ClientFastPath._sent"},
    {"bind_book", (PyCFunction)(void (*)(void))FastPath_bind_book, METH_FASTCALL,
     "bind_book(gateway, venue_session): the common reports booked in C (book.h); (None, None): by Python"},
    {"bind_client_send", (PyCFunction)(void (*)(void))FastPath_bind_client_send, METH_FASTCALL,
     "bind_client_send(session_type, active, held, trail, timestamp): the client's reports written from C"},
    {"match", (PyCFunction)(void (*)(void))FastPath_match, METH_FASTCALL,
     "match(shape, data, pos) -> end or -1: the shape's C program (None: it has none); for tests"},
    {"run", (PyCFunction)(void (*)(void))FastPath_run, METH_FASTCALL,
     "run(data, start, recv_ns, expected_seq, budget) -> (end, records, reason): the read's orders from start"},
    {"reports", (PyCFunction)(void (*)(void))FastPath_reports, METH_FASTCALL,
     "reports(data, start, recv_ns, expected_seq, budget) -> (end, records, reason): a venue read's reports"},
    {"bind_reports", (PyCFunction)(void (*)(void))FastPath_bind_reports, METH_VARARGS | METH_KEYWORDS,
     "bind_reports(**objects): the gateway's objects the venue-report side reads and writes"},
    {NULL}
};

#include <structmember.h>
static PyMemberDef FastPath_members[] = {
    {"native_frame", T_INT, offsetof(FastPath, native_frame), READONLY,
     "1: the frame check is _fix.frame_ok's own C (frame_check.h), called without a Python call"},
    {"booked", T_PYSSIZET, offsetof(FastPath, booked), READONLY,
     "orders (run) or reports (reports) the last call booked in C (book.h): taken, no record returned"},
    {NULL}
};

static PyTypeObject FastPathType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._path.FastPath",
    .tp_basicsize = sizeof(FastPath),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One client session's NewOrderSingle fast path (gateway/native/path.c).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FastPath_init,
    .tp_dealloc = (destructor)FastPath_dealloc,
    .tp_methods = FastPath_methods,
    .tp_members = FastPath_members,
};

#include "read_entry.h"

/* test hook: the C fix_timestamp of a given epoch second and milliseconds */
static PyObject *utc_text(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1) { PyErr_SetString(PyExc_TypeError, "utc_text(epoch_ns)"); return NULL; }
    long long ns = PyLong_AsLongLong(args[0]);
    if (PyErr_Occurred()) return NULL;
    char buf[22];
    utc_second((time_t)(ns / 1000000000), buf);
    long ms = (long)(ns / 1000000 % 1000);
    buf[17] = '.'; buf[18] = '0' + ms / 100; buf[19] = '0' + ms / 10 % 10; buf[20] = '0' + ms % 10;
    return PyUnicode_DecodeLatin1(buf, 21, NULL);
}

static PyObject *mono(PyObject *mod, PyObject *unused) { return PyLong_FromLongLong(mono_ns()); }

/* bind_stores(FileStore, MemoryStore): the store types whose append store_append.h does in C */
static PyObject *bind_stores(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyType_Check(args[0]) || !PyType_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "bind_stores(FileStore, MemoryStore)");
        return NULL;
    }
    Py_XSETREF(FileStoreType, Py_NewRef(args[0]));
    Py_XSETREF(MemoryStoreType, Py_NewRef(args[1]));
    Py_RETURN_NONE;
}

/* bind_ids(OrderIds.__next__): the id source whose __next__ the client side does in C */
static PyObject *bind_ids(PyObject *mod, PyObject *func) {
    if (!PyFunction_Check(func)) { PyErr_SetString(PyExc_TypeError, "bind_ids(OrderIds.__next__)"); return NULL; }
    Py_XSETREF(IDS_NEXT_FUNC, Py_NewRef(func));
    Py_RETURN_NONE;
}

/* store_append(store, seq, raw, reply_to) -> True (in C) or False (the store's own save_sent) */
static PyObject *store_append_py(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyLong_Check(args[0 + 1])) {
        PyErr_SetString(PyExc_TypeError, "store_append(store, seq: int, raw, reply_to: int)");
        return NULL;
    }
    long long reply_to = PyLong_AsLongLong(args[3]);
    if (reply_to == -1 && PyErr_Occurred()) return NULL;
    int rc = store_append(args[0], args[1], args[2], reply_to);
    if (rc < 0) return NULL;
    return PyBool_FromLong(rc == 0);
}

/* the PATH_PROFILE sums (ns per mark since the last call), or None in a build without it */
static PyObject *profile(PyObject *mod, PyObject *unused) {
#ifdef PATH_PROFILE
    PyObject *t = PyTuple_New(NPROF);
    if (t == NULL) return NULL;
    for (int i = 0; i < NPROF; i++) { PyTuple_SET_ITEM(t, i, PyLong_FromLongLong(prof_ns[i])); prof_ns[i] = 0; }
    return t;
#else
    Py_RETURN_NONE;
#endif
}

static PyMethodDef methods[] = {
    {"utc_text", (PyCFunction)(void (*)(void))utc_text, METH_FASTCALL, "utc_text(epoch_ns): the C fix_timestamp"},
    {"bind_stores", (PyCFunction)(void (*)(void))bind_stores, METH_FASTCALL,
     "bind_stores(FileStore, MemoryStore): the stores whose append the fast path does in C"},
    {"store_append", (PyCFunction)(void (*)(void))store_append_py, METH_FASTCALL,
     "store_append(store, seq, raw, reply_to) -> True where C appended, False where save_sent did"},
    {"profile", profile, METH_NOARGS, "the PATH_PROFILE build's sums per mark (reset), or None"},
    {"bind_ids", bind_ids, METH_O, "bind_ids(OrderIds.__next__): the order id taken in C while a block lasts"},
    {"bind_entry_slow", (PyCFunction)(void (*)(void))bind_entry_slow, METH_FASTCALL,
     "bind_entry_slow(slow, backlog_read): where ReadEntry passes the reads it does not take"},
    {"bind_entry", (PyCFunction)(void (*)(void))bind_entry, METH_FASTCALL,
     "bind_entry(client_type, venue_type, active, parser_type, audit_type): the fast paths whose reads ReadEntry takes"},
    {"entry_counts", entry_counts, METH_NOARGS, "(reads ReadEntry took, reads it passed to Python) since the last call"},
    {"bind_calls", (PyCFunction)(void (*)(void))bind_calls, METH_FASTCALL,
     "bind_calls(MemoryStore.set_next_target, WriteBatcher.write, READ_BATCH, StringIds.__next__): calls.h"},
    {"ticks_of", (PyCFunction)(void (*)(void))ticks_of_py, METH_FASTCALL,
     "ticks_of(price, units, decimals): calls.h's parse_ticks of a clean price, or None (tests)"},
    {"mono_ns", mono, METH_NOARGS, "the path's stamp clock (CLOCK_MONOTONIC ns, as perf_counter_ns)"},
    {NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_path", "The client order fast path in C.", -1, methods};

PyMODINIT_FUNC PyInit__path(void) {
    if (PyType_Ready(&FastPathType) < 0 || PyType_Ready(&ReadEntryType) < 0) return NULL;
    if (entry_names()) return NULL;
    S_D = PyUnicode_InternFromString("D"); S_UP = PyUnicode_InternFromString("up");
    S_regs = PyUnicode_InternFromString("regs"); S_index = PyUnicode_InternFromString("index");
    S_for_app = PyUnicode_InternFromString("for_app"); S_match = PyUnicode_InternFromString("match");
    S_state = PyUnicode_InternFromString("state"); S_write = PyUnicode_InternFromString("_write");
    S_throttle = PyUnicode_InternFromString("throttle"); S_credit_limit = PyUnicode_InternFromString("credit_limit");
    S_next_sender_seq = PyUnicode_InternFromString("next_sender_seq");
    S_save_sent = PyUnicode_InternFromString("save_sent"); S_empty = PyUnicode_InternFromString("");
    S_pending = PyUnicode_InternFromString("_pending");
    ZERO = PyLong_FromLong(0);
    if (!(S_w_reading = PyUnicode_InternFromString("_reading")) || !(S_transport = PyUnicode_InternFromString("transport")) ||
        !(S_write_m = PyUnicode_InternFromString("write")) || !(S_ids_next_attr = PyUnicode_InternFromString("_next")) ||
        !(S_ids_limit = PyUnicode_InternFromString("_limit")))
        return NULL;
    if (store_names() || book_names() || new_book_names() || calls_names()) return NULL;
    if ((ONE_C = PyLong_FromLong(1)) == NULL || (S_fix42 = PyUnicode_InternFromString("FIX.4.2")) == NULL) return NULL;
    {
        const char *n[] = {"store", "deferred_sync", "_resend_job", "_paused", "encoder", "_templates", "template",
                           "encode", "_in_reply_to"};
        PyObject **d[] = {&S_store, &S_deferred_sync, &S_resend_job, &S_paused, &S_encoder, &S_templates,
                          &S_template, &S_encode, &S_in_reply_to};
        for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
            if ((*d[i] = PyUnicode_InternFromString(n[i])) == NULL) return NULL;
        for (int i = 0; i < NSEND; i++)
            if ((SR[i] = PyUnicode_InternFromString(SEND_TEXT[i])) == NULL) return NULL;
    }
    const char *rn[] = {"8", "venue", "exec_ids", "status", "qty", "cum_qty", "avg_px_num", "reserved", "acked",
        "order", "symbol", "side", "price", "session", "client", "config", "begin_string", "cl_ord_id", "order_id",
        "ord_type", "0", "pending_cl"};
    PyObject **rs[] = {&S_8, &S_venue, &S_exec_ids, &S_status, &S_qty, &S_cum_qty, &S_avg_px_num, &S_reserved,
        &S_acked, &S_order, &S_symbol, &S_side, &S_price, &S_session, &S_client, &S_config, &S_begin_string,
        &S_cl_ord_id, &S_order_id, &S_ord_type, &S_zero_text, &S_pending_cl};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
        if ((*rs[i] = PyUnicode_InternFromString(rn[i])) == NULL) return NULL;
    for (int i = 0; i < NREASONS; i++) {
        R[i] = PyUnicode_InternFromString(REASON_TEXT[i]);
        if (R[i] == NULL) return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&FastPathType);
    if (PyModule_AddObject(m, "FastPath", (PyObject *)&FastPathType) < 0) { Py_DECREF(m); return NULL; }
    Py_INCREF(&ReadEntryType);
    if (PyModule_AddObject(m, "ReadEntry", (PyObject *)&ReadEntryType) < 0) { Py_DECREF(m); return NULL; }
    /* REASONS: the client side's; REPORT_REASONS: the venue-report side's */
    static const int report_reasons[] = {R_PARTIAL, R_ADMIN, R_OTHER, R_SHAPE, R_FRAME, R_POSS_DUP, R_SEQ, R_COMP_ID,
        R_SENDING_TIME, R_RATE, R_EXEC_TYPE, R_UNKNOWN_ORDER, R_DUP_REPORT, R_ILLEGAL, R_PENDING, R_QTY, R_PRICE};
    int nrep = (int)(sizeof report_reasons / sizeof report_reasons[0]);
    PyObject *reasons = PyTuple_New(R_RISK_REJECT + 1), *rreasons = PyTuple_New(nrep);
    if (reasons == NULL || rreasons == NULL) { Py_DECREF(m); return NULL; }
    for (int i = 0; i <= R_RISK_REJECT; i++) { Py_INCREF(R[i]); PyTuple_SET_ITEM(reasons, i, R[i]); }
    for (int i = 0; i < nrep; i++) { Py_INCREF(R[report_reasons[i]]); PyTuple_SET_ITEM(rreasons, i, R[report_reasons[i]]); }
    PyObject *sreasons = PyTuple_New(NSEND);
    if (sreasons == NULL) { Py_DECREF(m); return NULL; }
    for (int i = 0; i < NSEND; i++) PyTuple_SET_ITEM(sreasons, i, Py_NewRef(SR[i]));
    if (PyModule_AddObject(m, "SEND_REASONS", sreasons) < 0) { Py_DECREF(m); return NULL; }
    if (PyModule_AddObject(m, "REASONS", reasons) < 0 || PyModule_AddObject(m, "REPORT_REASONS", rreasons) < 0) {
        Py_DECREF(m); return NULL;
    }
    return m;
}
