/* The risk golden model's decision, in C: wirespeed.gateway.native._risk.RiskCore.
 *
 * A line-for-line port of hw/risk/model.py's RiskModel (check_fields, order_fields, fill) with
 * the same state and the same attribute names, so ModelRiskBackend's register decoding drives
 * it unchanged (gateway/risk.py NativeRiskBackend). The Python model stays the reference:
 * tests/gateway/test_native_risk.py runs seeded streams through both and compares every mask.
 *
 * Why C: the model's decision is ~6-9 us of the order path in Python (a field dict and fifteen
 * predicate calls); here it is one call reading the Order's slots.
 *
 * Arithmetic: Python's ints do not overflow; here every sum that can pass 64 bits (notional,
 * credit, positions) is done in 128 bits, and inputs outside the hardware's field widths
 * (quantities and prices of 64 bits, indexes of 31) are refused with ValueError, never wrapped.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>
#include <stddef.h>

typedef __int128 i128;
typedef unsigned __int128 u128;

#define NOTIONAL_MAX UINT64_MAX
#define U32_MAX 0xFFFFFFFFull
#define DEADLINE_MAX ((1ull << 48) - 1)

/* RejectReason codes (wirespeed/reasons.py): bit code-1 of the mask. */
enum { BAD_FIELD = 1, ZERO_QTY, UNKNOWN_SYMBOL, BAD_PRICE, KILL_SWITCH, RESTRICTED_SYMBOL, MAX_QTY,
       MAX_NOTIONAL, PRICE_COLLAR, STALE_REFERENCE, POSITION_LIMIT, REDUCE_ONLY, CREDIT_LIMIT, RATE_LIMIT,
       DUPLICATE_CLORDID };
#define BIT(r) (1u << ((r) - 1))

enum { BUY = 1, SELL = 2, SELL_SHORT = 3 };

typedef struct {
    int present, valid, restricted;
    uint64_t max_qty, price_lo, price_hi, max_notional, long_limit, short_limit, ref_deadline;
} Row;

typedef struct {
    PyObject_HEAD
    Py_ssize_t depth, sessions, window;
    Row *table;
    i128 *pos, *open_buy, *open_sell;
    i128 open_notional, filled_notional;
    u128 credit_limit;
    u128 *session_credit_limit;
    i128 *session_open, *session_filled;
    int kill, reduce_only;
    uint64_t rate_interval, rate_tolerance;   /* the values last written to every session (read back) */
    uint64_t *s_rate_interval, *s_rate_tolerance;   /* per session: its GCRA's T and tau */
    i128 *tat;
    uint64_t *recent;           /* the duplicate window: a ring of the last `window` accepted keys */
    Py_ssize_t recent_n, recent_head;
} RiskCore;

static PyObject *s_order_id, *s_cl_ord_key, *s_session, *s_symbol, *s_side, *s_ord_type, *s_tif, *s_qty, *s_price;
static PyObject *s_notional, *s_cancel, *s_valid, *s_restricted, *s_max_qty, *s_price_lo, *s_price_hi,
                *s_max_notional, *s_long_limit, *s_short_limit, *s_ref_deadline;

static PyObject *zero;

static int is_pow2(Py_ssize_t v) { return v > 0 && (v & (v - 1)) == 0; }

static PyObject *from_i128(i128 v) {
    if (v >= INT64_MIN && v <= INT64_MAX) return PyLong_FromLongLong((long long)v);
    /* rare: build it from two halves */
    int neg = v < 0;
    u128 m = neg ? (u128)(-v) : (u128)v;
    PyObject *hi = PyLong_FromUnsignedLongLong((unsigned long long)(m >> 64));
    PyObject *lo = PyLong_FromUnsignedLongLong((unsigned long long)m);
    PyObject *sh = PyLong_FromLong(64);
    PyObject *a = hi && sh ? PyNumber_Lshift(hi, sh) : NULL;
    PyObject *r = a && lo ? PyNumber_Or(a, lo) : NULL;
    Py_XDECREF(hi); Py_XDECREF(lo); Py_XDECREF(sh); Py_XDECREF(a);
    if (r && neg) { PyObject *n = PyNumber_Negative(r); Py_DECREF(r); r = n; }
    return r;
}

static PyObject *from_u128(u128 v) { return v > (u128)INT64_MAX ? (v <= UINT64_MAX ?
    PyLong_FromUnsignedLongLong((unsigned long long)v) : from_i128((i128)v)) : PyLong_FromLongLong((long long)v); }

/* An int field of at most `bits` bits, non-negative; -1 with ValueError naming it otherwise. */
static int get_u64(PyObject *v, const char *name, int bits, uint64_t *out) {
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.50s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    int overflow = 0;
    long long s = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow == 0 && s == -1 && PyErr_Occurred()) return -1;
    if (overflow < 0 || (overflow == 0 && s < 0)) goto range;
    uint64_t u;
    if (overflow > 0) {
        u = PyLong_AsUnsignedLongLong(v);
        if (u == (uint64_t)-1 && PyErr_Occurred()) { PyErr_Clear(); goto range; }
    } else u = (uint64_t)s;
    if (bits < 64 && u >> bits) goto range;
    *out = u;
    return 0;
range:
    PyErr_Format(PyExc_ValueError, "%s %R is outside 0..2**%d-1 (the hardware's field)", name, v, bits);
    return -1;
}

static int attr_u64(PyObject *obj, PyObject *name, int bits, uint64_t *out) {
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL) return -1;
    int r = get_u64(v, PyUnicode_AsUTF8(name), bits, out);
    Py_DECREF(v);
    return r;
}

static void RiskCore_dealloc(RiskCore *self) {
    PyMem_Free(self->table); PyMem_Free(self->pos); PyMem_Free(self->open_buy); PyMem_Free(self->open_sell);
    PyMem_Free(self->session_credit_limit); PyMem_Free(self->session_open); PyMem_Free(self->session_filled);
    PyMem_Free(self->tat); PyMem_Free(self->recent);
    PyMem_Free(self->s_rate_interval); PyMem_Free(self->s_rate_tolerance);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int RiskCore_init(RiskCore *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"depth", "sessions", "window", NULL};
    Py_ssize_t depth = 256, sessions = 8, window = 8;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|nnn", names, &depth, &sessions, &window)) return -1;
    const char *bad = !is_pow2(depth) ? "depth" : !is_pow2(sessions) ? "sessions" : !is_pow2(window) ? "window" : NULL;
    if (bad) {
        PyErr_Format(PyExc_TypeError, "%s must be a positive power of two, not %zd", bad,
                     bad[0] == 'd' ? depth : bad[0] == 's' ? sessions : window);
        return -1;
    }
    if (depth > (1 << 20) || sessions > (1 << 20) || window > (1 << 16)) {
        PyErr_SetString(PyExc_ValueError, "depth and sessions at most 2**20, window at most 2**16");
        return -1;
    }
    if (self->table != NULL) {   /* __init__ called again: start from a fresh state, as a new RiskModel */
        PyMem_Free(self->table); PyMem_Free(self->pos); PyMem_Free(self->open_buy); PyMem_Free(self->open_sell);
        PyMem_Free(self->session_credit_limit); PyMem_Free(self->session_open); PyMem_Free(self->session_filled);
        PyMem_Free(self->tat); PyMem_Free(self->recent);
        PyMem_Free(self->s_rate_interval); PyMem_Free(self->s_rate_tolerance);
    }
    memset((char *)self + offsetof(RiskCore, table), 0, sizeof(RiskCore) - offsetof(RiskCore, table));
    self->depth = depth; self->sessions = sessions; self->window = window;
    self->table = PyMem_Calloc(depth, sizeof(Row));
    self->pos = PyMem_Calloc(depth, sizeof(i128));
    self->open_buy = PyMem_Calloc(depth, sizeof(i128));
    self->open_sell = PyMem_Calloc(depth, sizeof(i128));
    self->session_credit_limit = PyMem_Calloc(sessions, sizeof(u128));
    self->session_open = PyMem_Calloc(sessions, sizeof(i128));
    self->session_filled = PyMem_Calloc(sessions, sizeof(i128));
    self->tat = PyMem_Calloc(sessions, sizeof(i128));
    self->recent = PyMem_Calloc(window, sizeof(uint64_t));
    self->s_rate_interval = PyMem_Calloc(sessions, sizeof(uint64_t));
    self->s_rate_tolerance = PyMem_Calloc(sessions, sizeof(uint64_t));
    if (!self->table || !self->pos || !self->open_buy || !self->open_sell || !self->session_credit_limit ||
        !self->session_open || !self->session_filled || !self->tat || !self->recent || !self->s_rate_interval || !self->s_rate_tolerance) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t s = 0; s < sessions; s++) self->session_credit_limit[s] = NOTIONAL_MAX;
    self->credit_limit = NOTIONAL_MAX;
    return 0;
}

/* check_fields: (mask, conforming) against the current state, no effect. */
/* checks.headroom: value modulo 2**COUNT_WIDTH as two's complement (hw/risk/checks.py) */
#define COUNT_WIDTH 36
static i128 headroom(i128 value) {
    u128 low = (u128)value & (((u128)1 << COUNT_WIDTH) - 1);
    return (low >> (COUNT_WIDTH - 1)) ? (i128)low - ((i128)1 << COUNT_WIDTH) : (i128)low;
}

static unsigned decide(RiskCore *m, uint64_t symbol, uint64_t side, uint64_t ord_type, uint64_t tif, uint64_t qty,
                       uint64_t price, uint64_t session, uint64_t key, uint64_t now, int *conforming_out) {
    unsigned mask = 0;
    int side_ok = side == BUY || side == SELL || side == SELL_SHORT;
    int type_ok = ord_type == 1 || ord_type == 2;
    int tif_ok = tif == 0 || tif == 1 || tif == 3 || tif == 4;
    int in_sessions = session < (uint64_t)m->sessions;
    if (!side_ok || !type_ok || !tif_ok || !in_sessions) mask |= BIT(BAD_FIELD);
    if (qty == 0) mask |= BIT(ZERO_QTY);
    if (price == 0) mask |= BIT(BAD_PRICE);
    if (m->kill) mask |= BIT(KILL_SWITCH);
    int conforming = in_sessions && !(m->tat[session] > (i128)now + (i128)m->s_rate_tolerance[session]);
    if (in_sessions && !conforming) mask |= BIT(RATE_LIMIT);
    for (Py_ssize_t k = 0; k < m->recent_n; k++)
        if (m->recent[k] == key) { mask |= BIT(DUPLICATE_CLORDID); break; }
    u128 notional = (u128)qty * price;
    i128 used = m->open_notional + m->filled_notional;
    /* used + notional > limit, with used possibly negative: compared in signed 128 bits
       (notional < 2**128 but in practice < 2**64 * 2**64; guard the cast) */
    if ((i128)notional < 0 || used + (i128)notional > (i128)m->credit_limit) mask |= BIT(CREDIT_LIMIT);
    if (in_sessions) {
        i128 su = m->session_open[session] + m->session_filled[session];
        if ((i128)notional < 0 || su + (i128)notional > (i128)m->session_credit_limit[session])
            mask |= BIT(CREDIT_LIMIT);
    }
    *conforming_out = conforming;
    Row *e = symbol < (uint64_t)m->depth ? &m->table[symbol] : NULL;
    if (e == NULL || !e->present || !e->valid) return mask | BIT(UNKNOWN_SYMBOL);
    if (e->restricted) mask |= BIT(RESTRICTED_SYMBOL);
    if (qty > e->max_qty) mask |= BIT(MAX_QTY);
    if (notional > e->max_notional) mask |= BIT(MAX_NOTIONAL);
    if (price < e->price_lo || price > e->price_hi) mask |= BIT(PRICE_COLLAR);
    if (now > e->ref_deadline) mask |= BIT(STALE_REFERENCE);
    i128 pos = m->pos[symbol], ob = m->open_buy[symbol], os = m->open_sell[symbol];
    if (side_ok) {
        /* the entry's used quantity, and each check's headroom as the hardware keeps it
           (modulo 2**COUNT_WIDTH, two's complement: checks.headroom) */
        i128 used = side == BUY ? pos + ob : os - pos;
        i128 limit = side == BUY ? (i128)e->long_limit : (i128)e->short_limit;
        if ((i128)qty > headroom(limit - used)) mask |= BIT(POSITION_LIMIT);
        if (m->reduce_only && (i128)qty > headroom(-used)) mask |= BIT(REDUCE_ONLY);
    }
    return mask;
}

/* order_fields: decide, then apply (throttle state always when conforming; reservation on accept). */
static unsigned apply(RiskCore *m, uint64_t symbol, uint64_t side, uint64_t ord_type, uint64_t tif, uint64_t qty,
                      uint64_t price, uint64_t session, uint64_t key, uint64_t now) {
    int conforming = 0;
    unsigned mask = decide(m, symbol, side, ord_type, tif, qty, price, session, key, now, &conforming);
    if (conforming) {
        i128 t = m->tat[session] > (i128)now ? m->tat[session] : (i128)now;
        m->tat[session] = t + m->s_rate_interval[session];
    }
    if (mask == 0) {
        if (side == BUY) m->open_buy[symbol] += qty; else m->open_sell[symbol] += qty;
        i128 n = (i128)((u128)qty * price);
        m->open_notional += n;
        m->session_open[session] += n;
        if (m->recent_n < m->window) m->recent[m->recent_n++] = key;
        else { m->recent[m->recent_head] = key; m->recent_head = (m->recent_head + 1) % m->window; }
    }
    return mask;
}

/* The Order's integer fields, read from its slots. */
static int order_values(PyObject *o, uint64_t v[8]) {
    if (attr_u64(o, s_symbol, 31, &v[0]) || attr_u64(o, s_side, 31, &v[1]) || attr_u64(o, s_ord_type, 31, &v[2]) ||
        attr_u64(o, s_tif, 31, &v[3]) || attr_u64(o, s_qty, 64, &v[4]) || attr_u64(o, s_price, 64, &v[5]) ||
        attr_u64(o, s_session, 31, &v[6]) || attr_u64(o, s_cl_ord_key, 64, &v[7]))
        return -1;
    return 0;
}

static int get_now(PyObject *const *args, Py_ssize_t n, uint64_t *now) {
    *now = 0;
    return n > 1 ? get_u64(args[1], "now", 64, now) : 0;
}

static PyObject *RiskCore_order(RiskCore *self, PyObject *const *args, Py_ssize_t n) {
    if (n < 1 || n > 2) { PyErr_SetString(PyExc_TypeError, "order(order, now=0)"); return NULL; }
    uint64_t v[8], now;
    if (order_values(args[0], v) || get_now(args, n, &now)) return NULL;
    return PyLong_FromUnsignedLong(apply(self, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], now));
}

static PyObject *RiskCore_check(RiskCore *self, PyObject *const *args, Py_ssize_t n) {
    if (n < 1 || n > 2) { PyErr_SetString(PyExc_TypeError, "check(order, now=0)"); return NULL; }
    uint64_t v[8], now;
    int conforming;
    if (order_values(args[0], v) || get_now(args, n, &now)) return NULL;
    return PyLong_FromUnsignedLong(decide(self, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], now, &conforming));
}

/* release(symbol, side, qty, notional, cancel, session): RiskModel.fill without the Fill record. */
static PyObject *RiskCore_release(RiskCore *m, PyObject *const *args, Py_ssize_t n) {
    if (n != 6) { PyErr_SetString(PyExc_TypeError, "release(symbol, side, qty, notional, cancel, session)"); return NULL; }
    uint64_t symbol, side, qty, notional, session;
    if (get_u64(args[0], "symbol", 63, &symbol) || get_u64(args[1], "side", 31, &side) ||
        get_u64(args[2], "qty", 64, &qty) || get_u64(args[3], "notional", 64, &notional) ||
        get_u64(args[5], "session", 63, &session))
        return NULL;
    int cancel = PyObject_IsTrue(args[4]);
    if (cancel < 0) return NULL;
    if (symbol >= (uint64_t)m->depth) Py_RETURN_NONE;   /* the hardware ignores fills outside its table */
    int buy = side == BUY;
    if (session < (uint64_t)m->sessions) {
        m->session_open[session] -= notional;
        if (!cancel) m->session_filled[session] += notional;
    }
    if (buy) m->open_buy[symbol] -= qty; else m->open_sell[symbol] -= qty;
    m->open_notional -= notional;
    if (!cancel) {
        if (buy) m->pos[symbol] += qty; else m->pos[symbol] -= qty;
        m->filled_notional += notional;
    }
    Py_RETURN_NONE;
}

/* fill(Fill): the model's own signature (tests and tools that hold a Fill). */
static PyObject *RiskCore_fill(RiskCore *m, PyObject *f) {
    PyObject *a[6];
    PyObject *names[6] = {s_symbol, s_side, s_qty, s_notional, s_cancel, s_session};
    for (int k = 0; k < 6; k++) {
        a[k] = PyObject_GetAttr(f, names[k]);
        if (a[k] == NULL) { while (k--) Py_DECREF(a[k]); return NULL; }
    }
    PyObject *r = NULL;
    /* a negative symbol is outside the table: ignored, as the model does */
    int neg = PyLong_Check(a[0]) && PyObject_RichCompareBool(a[0], zero, Py_LT) == 1;
    if (neg) { Py_INCREF(Py_None); r = Py_None; }
    else r = RiskCore_release(m, (PyObject *const *)a, 6);
    for (int k = 0; k < 6; k++) Py_DECREF(a[k]);
    return r;
}

/* write(index, entry): a committed limit row (a LimitEntry). */
static PyObject *RiskCore_write(RiskCore *m, PyObject *const *args, Py_ssize_t n) {
    if (n != 2) { PyErr_SetString(PyExc_TypeError, "write(index, entry)"); return NULL; }
    Py_ssize_t index = PyLong_AsSsize_t(args[0]);
    if (index == -1 && PyErr_Occurred()) return NULL;
    if (index < 0 || index >= m->depth) {
        PyErr_Format(PyExc_IndexError, "symbol index %zd outside the limit table (depth %zd)", index, m->depth);
        return NULL;
    }
    PyObject *e = args[1];
    Row r = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    PyObject *valid = PyObject_GetAttr(e, s_valid), *restricted = valid ? PyObject_GetAttr(e, s_restricted) : NULL;
    if (!restricted) { Py_XDECREF(valid); return NULL; }
    r.valid = PyObject_IsTrue(valid); r.restricted = PyObject_IsTrue(restricted);
    Py_DECREF(valid); Py_DECREF(restricted);
    if (r.valid < 0 || r.restricted < 0) return NULL;
    if (attr_u64(e, s_max_qty, 64, &r.max_qty) || attr_u64(e, s_price_lo, 64, &r.price_lo) ||
        attr_u64(e, s_price_hi, 64, &r.price_hi) || attr_u64(e, s_max_notional, 64, &r.max_notional) ||
        attr_u64(e, s_long_limit, 64, &r.long_limit) || attr_u64(e, s_short_limit, 64, &r.short_limit) ||
        attr_u64(e, s_ref_deadline, 64, &r.ref_deadline))
        return NULL;
    m->table[index] = r;
    Py_RETURN_NONE;
}

static PyObject *list_i128(i128 *a, Py_ssize_t n) {
    PyObject *l = PyList_New(n);
    for (Py_ssize_t k = 0; l && k < n; k++) {
        PyObject *v = from_i128(a[k]);
        if (!v) { Py_DECREF(l); return NULL; }
        PyList_SET_ITEM(l, k, v);
    }
    return l;
}

static PyObject *get_pos(RiskCore *m, void *c) { return list_i128(m->pos, m->depth); }
static PyObject *get_open_buy(RiskCore *m, void *c) { return list_i128(m->open_buy, m->depth); }
static PyObject *get_open_sell(RiskCore *m, void *c) { return list_i128(m->open_sell, m->depth); }
static PyObject *get_tat(RiskCore *m, void *c) { return list_i128(m->tat, m->sessions); }
static PyObject *get_session_open(RiskCore *m, void *c) { return list_i128(m->session_open, m->sessions); }
static PyObject *get_session_filled(RiskCore *m, void *c) { return list_i128(m->session_filled, m->sessions); }
static PyObject *get_open_notional(RiskCore *m, void *c) { return from_i128(m->open_notional); }
static PyObject *get_filled_notional(RiskCore *m, void *c) { return from_i128(m->filled_notional); }
static PyObject *get_credit_used(RiskCore *m, void *c) { return from_i128(m->open_notional + m->filled_notional); }
static PyObject *get_recent(RiskCore *m, void *c) {
    PyObject *l = PyList_New(m->recent_n);
    for (Py_ssize_t k = 0; l && k < m->recent_n; k++) {   /* oldest first, as the deque holds them */
        Py_ssize_t at = m->recent_n < m->window ? k : (m->recent_head + k) % m->window;
        PyList_SET_ITEM(l, k, PyLong_FromUnsignedLongLong(m->recent[at]));
    }
    return l;
}

static int set_flag(int *dst, PyObject *v) {
    if (v == NULL) { PyErr_SetString(PyExc_AttributeError, "cannot delete"); return -1; }
    int b = PyObject_IsTrue(v);
    if (b < 0) return -1;
    *dst = b;
    return 0;
}
static PyObject *get_kill(RiskCore *m, void *c) { return PyBool_FromLong(m->kill); }
static int put_kill(RiskCore *m, PyObject *v, void *c) { return set_flag(&m->kill, v); }
static PyObject *get_reduce_only(RiskCore *m, void *c) { return PyBool_FromLong(m->reduce_only); }
static int put_reduce_only(RiskCore *m, PyObject *v, void *c) { return set_flag(&m->reduce_only, v); }

static int set_u64(uint64_t *dst, PyObject *v, const char *name) {
    if (v == NULL) { PyErr_SetString(PyExc_AttributeError, "cannot delete"); return -1; }
    return get_u64(v, name, 64, dst);
}
static PyObject *get_credit_limit(RiskCore *m, void *c) { return from_u128(m->credit_limit); }
static int put_credit_limit(RiskCore *m, PyObject *v, void *c) {
    uint64_t u;
    if (set_u64(&u, v, "credit_limit")) return -1;
    m->credit_limit = u;
    return 0;
}
static PyObject *get_rate_interval(RiskCore *m, void *c) { return PyLong_FromUnsignedLongLong(m->rate_interval); }
/* The global RATE_INTERVAL / RATE_TOLERANCE registers write every session's (RiskModel's setters). */
static int put_rate_all(RiskCore *m, PyObject *v, uint64_t *last, uint64_t *each, const char *name) {
    if (set_u64(last, v, name)) return -1;
    for (Py_ssize_t s = 0; s < m->sessions; s++) each[s] = *last;
    return 0;
}
static int put_rate_interval(RiskCore *m, PyObject *v, void *c) {
    return put_rate_all(m, v, &m->rate_interval, m->s_rate_interval, "rate_interval");
}
static PyObject *get_rate_tolerance(RiskCore *m, void *c) { return PyLong_FromUnsignedLongLong(m->rate_tolerance); }
static int put_rate_tolerance(RiskCore *m, PyObject *v, void *c) {
    return put_rate_all(m, v, &m->rate_tolerance, m->s_rate_tolerance, "rate_tolerance");
}
static PyObject *list_u64(const uint64_t *a, Py_ssize_t n) {
    PyObject *l = PyList_New(n);
    for (Py_ssize_t k = 0; l && k < n; k++) PyList_SET_ITEM(l, k, PyLong_FromUnsignedLongLong(a[k]));
    return l;
}
static PyObject *get_s_rate_interval(RiskCore *m, void *c) { return list_u64(m->s_rate_interval, m->sessions); }
static PyObject *get_s_rate_tolerance(RiskCore *m, void *c) { return list_u64(m->s_rate_tolerance, m->sessions); }
static PyObject *get_s_credit_limit(RiskCore *m, void *c) {
    PyObject *l = PyList_New(m->sessions);
    for (Py_ssize_t k = 0; l && k < m->sessions; k++) PyList_SET_ITEM(l, k, from_u128(m->session_credit_limit[k]));
    return l;
}

/* set_session(session, credit_limit, rate_interval, rate_tolerance): one session's register row
   (the per-session words of registers.md), as RiskModel's lists are written item by item. */
static PyObject *RiskCore_set_session(RiskCore *m, PyObject *const *args, Py_ssize_t n) {
    uint64_t s, credit, interval, tolerance;
    if (n != 4) { PyErr_SetString(PyExc_TypeError, "set_session(session, credit_limit, rate_interval, rate_tolerance)"); return NULL; }
    if (get_u64(args[0], "session", 64, &s) || get_u64(args[1], "credit_limit", 64, &credit) ||
        get_u64(args[2], "rate_interval", 32, &interval) || get_u64(args[3], "rate_tolerance", 32, &tolerance)) return NULL;
    if (s >= (uint64_t)m->sessions) {
        PyErr_Format(PyExc_IndexError, "session %llu outside 0..%zd", (unsigned long long)s, m->sessions - 1);
        return NULL;
    }
    m->session_credit_limit[s] = credit;
    m->s_rate_interval[s] = interval;
    m->s_rate_tolerance[s] = tolerance;
    Py_RETURN_NONE;
}

static PyGetSetDef RiskCore_getset[] = {
    {"pos", (getter)get_pos, NULL, "position per symbol (a copy)", NULL},
    {"open_buy", (getter)get_open_buy, NULL, "open buy quantity per symbol (a copy)", NULL},
    {"open_sell", (getter)get_open_sell, NULL, "open sell quantity per symbol (a copy)", NULL},
    {"tat", (getter)get_tat, NULL, "GCRA theoretical arrival time per session (a copy)", NULL},
    {"session_open", (getter)get_session_open, NULL, NULL, NULL},
    {"session_filled", (getter)get_session_filled, NULL, NULL, NULL},
    {"open_notional", (getter)get_open_notional, NULL, NULL, NULL},
    {"filled_notional", (getter)get_filled_notional, NULL, NULL, NULL},
    {"credit_used", (getter)get_credit_used, NULL, NULL, NULL},
    {"recent", (getter)get_recent, NULL, "the duplicate window, oldest first (a copy)", NULL},
    {"kill", (getter)get_kill, (setter)put_kill, NULL, NULL},
    {"reduce_only", (getter)get_reduce_only, (setter)put_reduce_only, NULL, NULL},
    {"credit_limit", (getter)get_credit_limit, (setter)put_credit_limit, NULL, NULL},
    {"rate_interval", (getter)get_rate_interval, (setter)put_rate_interval, NULL, NULL},
    {"rate_tolerance", (getter)get_rate_tolerance, (setter)put_rate_tolerance, NULL, NULL},
    {"session_credit_limit", (getter)get_s_credit_limit, NULL, "credit limit per session (a copy)", NULL},
    {"session_rate_interval", (getter)get_s_rate_interval, NULL, "GCRA interval per session (a copy)", NULL},
    {"session_rate_tolerance", (getter)get_s_rate_tolerance, NULL, "GCRA tolerance per session (a copy)", NULL},
    {NULL}
};

static PyMemberDef RiskCore_members[] = {
    {"depth", T_PYSSIZET, offsetof(RiskCore, depth), READONLY, NULL},
    {"sessions", T_PYSSIZET, offsetof(RiskCore, sessions), READONLY, NULL},
    {"window", T_PYSSIZET, offsetof(RiskCore, window), READONLY, NULL},
    {NULL}
};

static PyMethodDef RiskCore_methods[] = {
    {"order", (PyCFunction)(void (*)(void))RiskCore_order, METH_FASTCALL,
     "order(order, now=0) -> mask: decide one Order and apply its effect (RiskModel.order)"},
    {"check", (PyCFunction)(void (*)(void))RiskCore_check, METH_FASTCALL,
     "check(order, now=0) -> mask: the mask it would get now, no effect (RiskModel.check)"},
    {"release", (PyCFunction)(void (*)(void))RiskCore_release, METH_FASTCALL,
     "release(symbol, side, qty, notional, cancel, session): a fill (cancel False) or cancel"},
    {"fill", (PyCFunction)RiskCore_fill, METH_O, "fill(Fill): RiskModel.fill"},
    {"set_session", (PyCFunction)(void (*)(void))RiskCore_set_session, METH_FASTCALL,
     "set_session(session, credit_limit, rate_interval, rate_tolerance): one session's limits"},
    {"write", (PyCFunction)(void (*)(void))RiskCore_write, METH_FASTCALL,
     "write(index, entry): load a LimitEntry into the table"},
    {NULL}
};

static PyTypeObject RiskCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._risk.RiskCore",
    .tp_basicsize = sizeof(RiskCore),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "RiskModel (hw/risk/model.py) in C: the same state, decisions and masks.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)RiskCore_init,
    .tp_dealloc = (destructor)RiskCore_dealloc,
    .tp_methods = RiskCore_methods,
    .tp_members = RiskCore_members,
    .tp_getset = RiskCore_getset,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_risk", "The risk model's decision in C.", -1, NULL};

PyMODINIT_FUNC PyInit__risk(void) {
    struct { PyObject **p; const char *s; } names[] = {
        {&s_order_id, "order_id"}, {&s_cl_ord_key, "cl_ord_key"}, {&s_session, "session"}, {&s_symbol, "symbol"},
        {&s_side, "side"}, {&s_ord_type, "ord_type"}, {&s_tif, "tif"}, {&s_qty, "qty"}, {&s_price, "price"},
        {&s_notional, "notional"}, {&s_cancel, "cancel"}, {&s_valid, "valid"}, {&s_restricted, "restricted"},
        {&s_max_qty, "max_qty"}, {&s_price_lo, "price_lo"}, {&s_price_hi, "price_hi"},
        {&s_max_notional, "max_notional"}, {&s_long_limit, "long_limit"}, {&s_short_limit, "short_limit"},
        {&s_ref_deadline, "ref_deadline"}};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if ((*names[k].p = PyUnicode_InternFromString(names[k].s)) == NULL) return NULL;
    if ((zero = PyLong_FromLong(0)) == NULL || PyType_Ready(&RiskCoreType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&RiskCoreType);
    if (PyModule_AddObject(m, "RiskCore", (PyObject *)&RiskCoreType) < 0) { Py_DECREF(m); return NULL; }
    return m;
}
