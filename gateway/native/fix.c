/* The FIX codec's hot loops in C: wirespeed.gateway.native._fix.
 *
 * Template: gateway/fix/encoder.py's Template (a message of a fixed tag sequence) rendered into
 * one preallocated buffer: the constant parts, the sequence number, SendingTime and the values
 * between them, BodyLength in front, CheckSum behind, one bytes object out. The constant parts
 * are the very strings the Python Template compiles into its f-string, so the bytes are the same
 * by construction (tests/gateway/test_native_fix.py compares them on random values).
 * Values render as an f-string renders them: str as is, int in decimal, anything else through
 * format(value, ""); text is latin-1 with '?' for what latin-1 cannot hold (encode "replace").
 *
 * frame_ok(data, start, end, body_start, body_length): whether the frame data[start:end] has that
 * BodyLength (its "10=" where the length says, SOHs around it) and the CheckSum it states: one
 * C pass over the bytes instead of slicing, adler32 and a table compare in Python (the parser's
 * fast path, gateway/fix/parser.py).
 *
 * decode_report(values), venue_order_id(text): a venue ExecutionReport's fields as
 * fix/orders.py decode_exec_report has them, and the order id in its ClOrdID.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "frame_check.h"
#include "fmt.h"

#define STACK_BUF 1024

typedef struct {
    PyObject_HEAD
    PyObject *prefix;      /* bytes: "8=FIX.4.4\x019=" */
    PyObject *parts;       /* tuple of bytes: c0 (before seq), c1 (before SendingTime), c2.. (before each value), last */
    Py_ssize_t nvalues;
    Py_ssize_t fixed;      /* the parts' total length */
} Template;

typedef struct { char *p; Py_ssize_t n, cap; char *heap; char stack[STACK_BUF]; } Buf;

static int grow(Buf *b, Py_ssize_t more) {
    if (b->n + more <= b->cap) return 0;
    Py_ssize_t cap = (b->n + more) * 2;
    char *h = PyMem_Malloc(cap);
    if (h == NULL) { PyErr_NoMemory(); return -1; }
    memcpy(h, b->p, b->n);
    PyMem_Free(b->heap);
    b->heap = b->p = h;
    b->cap = cap;
    return 0;
}

static int put(Buf *b, const char *s, Py_ssize_t n) {
    if (grow(b, n)) return -1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

/* str -> latin-1 bytes, '?' for code points above 255 (str.encode("latin-1", "replace")) */
static int put_text(Buf *b, PyObject *s) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    if (grow(b, n)) return -1;
    if (kind == PyUnicode_1BYTE_KIND) {
        memcpy(b->p + b->n, PyUnicode_DATA(s), n);
    } else {
        const void *data = PyUnicode_DATA(s);
        for (Py_ssize_t k = 0; k < n; k++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, k);
            b->p[b->n + k] = c < 256 ? (char)c : '?';
        }
    }
    b->n += n;
    return 0;
}

static int put_value(Buf *b, PyObject *v) {
    if (PyUnicode_CheckExact(v)) return put_text(b, v);
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (!overflow) {
            char tmp[24];
            int len = fmt_i64(tmp, x);
            return put(b, tmp, len);
        }
    }
    PyObject *empty = PyUnicode_New(0, 0);
    PyObject *s = empty ? PyObject_Format(v, empty) : NULL;   /* what an f-string does */
    Py_XDECREF(empty);
    if (s == NULL) return -1;
    int r = put_text(b, s);
    Py_DECREF(s);
    return r;
}

static int put_part(Buf *b, PyObject *part) { return put(b, PyBytes_AS_STRING(part), PyBytes_GET_SIZE(part)); }

static void Template_dealloc(Template *t) {
    Py_XDECREF(t->prefix);
    Py_XDECREF(t->parts);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static int Template_init(Template *t, PyObject *args, PyObject *kw) {
    PyObject *prefix, *parts;
    if (!PyArg_ParseTuple(args, "SO!:Template", &prefix, &PyTuple_Type, &parts)) return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(parts);
    if (n < 3) {
        PyErr_Format(PyExc_ValueError, "Template needs at least 3 parts (before seq, before SendingTime, the end), "
                     "not %zd", n);
        return -1;
    }
    Py_ssize_t fixed = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *p = PyTuple_GET_ITEM(parts, k);
        if (!PyBytes_Check(p)) {
            PyErr_Format(PyExc_TypeError, "Template part %zd must be bytes, not %.50s", k, Py_TYPE(p)->tp_name);
            return -1;
        }
        fixed += PyBytes_GET_SIZE(p);
    }
    Py_INCREF(prefix); Py_XSETREF(t->prefix, prefix);
    Py_INCREF(parts); Py_XSETREF(t->parts, parts);
    t->nvalues = n - 3;
    t->fixed = fixed;
    return 0;
}

static const char DIGITS3[] = "0123456789";

/* A type built by __new__ without __init__ holds NULLs: its calls raise instead of reading them. */
static int uninitialised(const void *field, const char *type) {
    if (field != NULL) return 0;
    PyErr_Format(PyExc_TypeError, "%s was not initialised (__init__ not called)", type);
    return 1;
}

/* encode(seq, values, sending_time) -> bytes: the whole frame. */
static PyObject *Template_encode(Template *t, PyObject *const *args, Py_ssize_t nargs) {
    if (uninitialised(t->parts, "Template")) return NULL;
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "encode(seq, values, sending_time)"); return NULL; }
    PyObject *values = PySequence_Fast(args[1], "values must be a sequence");
    if (values == NULL) return NULL;
    Py_ssize_t nv = PySequence_Fast_GET_SIZE(values);
    if (nv != t->nvalues) {
        PyErr_Format(PyExc_ValueError, "template of %zd values given %zd", t->nvalues, nv);
        Py_DECREF(values);
        return NULL;
    }
    PyObject **items = PySequence_Fast_ITEMS(values);
    PyObject *parts = t->parts;
    /* The body first (BodyLength counts it), leaving room in front for the prefix and length. */
    Buf b = {0};
    b.p = b.stack; b.cap = STACK_BUF;
    Py_ssize_t head = PyBytes_GET_SIZE(t->prefix) + 8;   /* prefix + up to 7 digits + SOH */
    b.n = head;
    int bad = put_part(&b, PyTuple_GET_ITEM(parts, 0)) || put_value(&b, args[0]) ||
              put_part(&b, PyTuple_GET_ITEM(parts, 1)) || put_value(&b, args[2]);
    for (Py_ssize_t k = 0; !bad && k < nv; k++)
        bad = put_part(&b, PyTuple_GET_ITEM(parts, k + 2)) || put_value(&b, items[k]);
    bad = bad || put_part(&b, PyTuple_GET_ITEM(parts, nv + 2)) || grow(&b, 7);
    Py_DECREF(values);
    if (bad) { PyMem_Free(b.heap); return NULL; }
    Py_ssize_t body = b.n - head;
    char len[24];
    int ln = fmt_i64(len, (long long)body);
    Py_ssize_t plen = PyBytes_GET_SIZE(t->prefix);
    Py_ssize_t start = head - plen - ln - 1;
    if (start < 0) {   /* a body of more than 7 digits of length: shift right to make room */
        if (grow(&b, -start)) { PyMem_Free(b.heap); return NULL; }
        memmove(b.p + head - start, b.p + head, body);
        head -= start; b.n -= start; start = 0;
    }
    memcpy(b.p + start, PyBytes_AS_STRING(t->prefix), plen);
    memcpy(b.p + start + plen, len, ln);
    b.p[start + plen + ln] = '\x01';
    unsigned sum = 0;
    const unsigned char *u = (const unsigned char *)b.p;
    for (Py_ssize_t k = start; k < b.n; k++) sum += u[k];
    sum &= 0xFF;
    char *tail = b.p + b.n;
    tail[0] = '1'; tail[1] = '0'; tail[2] = '=';
    tail[3] = DIGITS3[sum / 100]; tail[4] = DIGITS3[sum / 10 % 10]; tail[5] = DIGITS3[sum % 10]; tail[6] = '\x01';
    b.n += 7;
    PyObject *out = PyBytes_FromStringAndSize(b.p + start, b.n - start);
    PyMem_Free(b.heap);
    return out;
}

static PyMethodDef Template_methods[] = {
    {"encode", (PyCFunction)(void (*)(void))Template_encode, METH_FASTCALL,
     "encode(seq, values, sending_time) -> bytes: the framed message (BodyLength, CheckSum)"},
    {NULL}
};

static PyTypeObject TemplateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._fix.Template",
    .tp_basicsize = sizeof(Template),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Template(prefix, parts): encoder.Template's f-string, rendered into one buffer in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Template_init,
    .tp_dealloc = (destructor)Template_dealloc,
    .tp_methods = Template_methods,
};


/* OrderDecoder(sides, ord_types, tifs, tif_default, limit): NewOrderSingle values -> the order's
 * members and integers, as gateway/fix/orders.py decode_new_order computes them (its tables:
 * FIX value -> enum member). decode(side, ord_type, tif, qty_text, price_text, tick_units,
 * tick_decimals) -> (side, ord_type, tif, qty, price) or None: None for anything the Python
 * decoder would refuse (and for nothing it accepts), so the caller runs the Python decoder
 * for it and the client gets the Python decoder's reject, word for word. */
typedef struct {
    PyObject_HEAD
    PyObject *sides, *types, *tifs, *tif_default, *limit;
} OrderDecoder;

static void OrderDecoder_dealloc(OrderDecoder *o) {
    Py_XDECREF(o->sides); Py_XDECREF(o->types); Py_XDECREF(o->tifs); Py_XDECREF(o->tif_default);
    Py_XDECREF(o->limit);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static int OrderDecoder_init(OrderDecoder *o, PyObject *args, PyObject *kw) {
    PyObject *sides, *types, *tifs, *tif_default, *limit;
    if (!PyArg_ParseTuple(args, "O!O!O!OO:OrderDecoder", &PyDict_Type, &sides, &PyDict_Type, &types,
                          &PyDict_Type, &tifs, &tif_default, &limit))
        return -1;
    Py_INCREF(sides); Py_XSETREF(o->sides, sides);
    Py_INCREF(types); Py_XSETREF(o->types, types);
    Py_INCREF(tifs); Py_XSETREF(o->tifs, tifs);
    Py_INCREF(tif_default); Py_XSETREF(o->tif_default, tif_default);
    Py_INCREF(limit); Py_XSETREF(o->limit, limit);
    return 0;
}

/* ASCII digits of a 1-byte-kind str, [from, to): 1 if all (and at least one), else 0 */
static int all_digits(const unsigned char *s, Py_ssize_t from, Py_ssize_t to) {
    if (to <= from) return 0;
    for (Py_ssize_t k = from; k < to; k++) if (s[k] < '0' || s[k] > '9') return 0;
    return 1;
}

static const unsigned char *ascii_of(PyObject *v, Py_ssize_t *n) {
    if (!PyUnicode_CheckExact(v) || !PyUnicode_IS_ASCII(v)) return NULL;   /* non-ASCII: never digits */
    *n = PyUnicode_GET_LENGTH(v);
    return PyUnicode_1BYTE_DATA(v);
}

static Py_ssize_t find_dot(const unsigned char *s, Py_ssize_t n) {
    for (Py_ssize_t k = 0; k < n; k++) if (s[k] == '.') return k;
    return -1;
}

/* _qty_of: digits, optionally '.' and zeros; at most 18 digits; at most 2**32-1. */
static int parse_qty(PyObject *v, unsigned long long *out) {
    Py_ssize_t n;
    const unsigned char *s = ascii_of(v, &n);
    if (s == NULL) return 0;
    Py_ssize_t dot = find_dot(s, n), whole = dot < 0 ? n : dot;
    if (!all_digits(s, 0, whole) || whole > 18) return 0;
    for (Py_ssize_t k = whole + 1; k < n; k++) if (s[k] != '0') return 0;   /* frac.strip("0") empty */
    unsigned long long q = 0;
    for (Py_ssize_t k = 0; k < whole; k++) q = q * 10 + (s[k] - '0');
    if (q > 0xFFFFFFFFull) return 0;
    *out = q;
    return 1;
}

/* TickSize.parse_ticks, then the decoder's range check (at most 2**32-1). */
static int parse_price(PyObject *v, unsigned long long units, int decimals, unsigned long long *out) {
    Py_ssize_t n;
    const unsigned char *s = ascii_of(v, &n);
    if (s == NULL || units == 0 || decimals < 0 || decimals > 9) return 0;
    Py_ssize_t dot = find_dot(s, n), whole = dot < 0 ? n : dot;
    Py_ssize_t frac_from = whole + 1, frac_to = dot < 0 ? whole : n;
    if (dot >= 0 && find_dot(s + frac_from, n - frac_from) >= 0) return 0;   /* a second '.': frac not digits */
    int frac_present = dot >= 0 && frac_to > frac_from;
    if (!all_digits(s, 0, whole) && !(whole == 0 && frac_present)) return 0;
    if (dot >= 0 && !all_digits(s, frac_from, frac_to)) return 0;
    if (whole > 18) return 0;
    while (frac_to > frac_from && s[frac_to - 1] == '0') frac_to--;
    if (frac_to - frac_from > decimals) return 0;
    unsigned __int128 scaled = 0;
    for (Py_ssize_t k = 0; k < whole; k++) scaled = scaled * 10 + (s[k] - '0');
    for (int k = 0; k < decimals; k++)
        scaled = scaled * 10 + (frac_from + k < frac_to ? s[frac_from + k] - '0' : 0);
    if (scaled % units) return 0;
    unsigned __int128 ticks = scaled / units;
    if (ticks > 0xFFFFFFFFull) return 0;
    *out = (unsigned long long)ticks;
    return 1;
}

static PyObject *lookup(PyObject *table, PyObject *key) {
    if (key == Py_None) return NULL;
    PyObject *m = PyDict_GetItemWithError(table, key);   /* borrowed */
    return m;
}

static PyObject *OrderDecoder_decode(OrderDecoder *o, PyObject *const *a, Py_ssize_t nargs) {
    if (uninitialised(o->limit, "OrderDecoder")) return NULL;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "decode(side, ord_type, tif, qty_text, price_text, tick_units, tick_decimals)");
        return NULL;
    }
    PyObject *side = lookup(o->sides, a[0]);
    if (side == NULL) { if (PyErr_Occurred()) PyErr_Clear(); Py_RETURN_NONE; }
    PyObject *type = lookup(o->types, a[1]);
    if (type == NULL) { if (PyErr_Occurred()) PyErr_Clear(); Py_RETURN_NONE; }
    PyObject *tif = a[2] == Py_None ? o->tif_default : lookup(o->tifs, a[2]);
    if (tif == NULL) { if (PyErr_Occurred()) PyErr_Clear(); Py_RETURN_NONE; }
    unsigned long long qty, price = 0;
    if (a[3] == Py_None || !parse_qty(a[3], &qty)) Py_RETURN_NONE;
    if (type == o->limit) {
        unsigned long long units = PyLong_AsUnsignedLongLong(a[5]);
        long decimals = PyLong_AsLong(a[6]);
        if (PyErr_Occurred()) return NULL;
        if (a[4] == Py_None || !parse_price(a[4], units, (int)decimals, &price)) Py_RETURN_NONE;
    }
    return Py_BuildValue("(OOOKK)", side, type, tif, qty, price);
}

static PyMethodDef OrderDecoder_methods[] = {
    {"decode", (PyCFunction)(void (*)(void))OrderDecoder_decode, METH_FASTCALL,
     "decode(side, ord_type, tif, qty_text, price_text, tick_units, tick_decimals) -> "
     "(side, ord_type, tif, qty, price) or None (the Python decoder's case)"},
    {NULL}
};

static PyTypeObject OrderDecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._fix.OrderDecoder",
    .tp_basicsize = sizeof(OrderDecoder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "OrderDecoder(sides, ord_types, tifs, tif_default, limit): decode_new_order's values in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)OrderDecoder_init,
    .tp_dealloc = (destructor)OrderDecoder_dealloc,
    .tp_methods = OrderDecoder_methods,
};

/* frame_ok(data, start, end, body_start, body_length) -> bool: the frame data[start:end] has the
 * BodyLength it states (its body_length bytes from body_start end where "10=xxx|" begins, and
 * that is the frame's end) and the CheckSum it states (the sum of every byte before "10="). */
static PyObject *frame_ok(PyObject *mod, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "frame_ok(data: bytes, start, end, body_start, body_length)");
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[1]), end = PyLong_AsSsize_t(args[2]),
               body_start = PyLong_AsSsize_t(args[3]), length = PyLong_AsSsize_t(args[4]);
    if (PyErr_Occurred()) return NULL;
    return PyBool_FromLong(frame_bytes_ok((const unsigned char *)PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]),
                                          start, end, body_start, length));
}


/* OrderValues(side_out, type_out, tif_out, limit)(order, cl_ord_id, name, tick_units, tick_decimals,
 * transact_time) -> tuple or None: fix/orders.py new_order_values, the venue NewOrderSingle's values
 * (a limit order's with its Price as TickSize.format renders it); None for a price this does not
 * render (negative, or past 63 bits scaled), which the Python function then renders. */
typedef struct {
    PyObject_HEAD
    PyObject *sides, *types, *tifs, *limit;
} OrderValues;

static PyObject *s_side_attr, *s_type_attr, *s_tif_attr, *s_qty_attr, *s_price_attr;

static void OrderValues_dealloc(OrderValues *o) {
    Py_XDECREF(o->sides); Py_XDECREF(o->types); Py_XDECREF(o->tifs); Py_XDECREF(o->limit);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static int OrderValues_init(OrderValues *o, PyObject *args, PyObject *kw) {
    PyObject *sides, *types, *tifs, *limit;
    if (!PyArg_ParseTuple(args, "O!O!O!O:OrderValues", &PyDict_Type, &sides, &PyDict_Type, &types,
                          &PyDict_Type, &tifs, &limit))
        return -1;
    Py_INCREF(sides); Py_XSETREF(o->sides, sides);
    Py_INCREF(types); Py_XSETREF(o->types, types);
    Py_INCREF(tifs); Py_XSETREF(o->tifs, tifs);
    Py_INCREF(limit); Py_XSETREF(o->limit, limit);
    return 0;
}

/* TickSize.format for 0 <= ticks * units < 2**63: a new str, or NULL without an error (not handled) */
static PyObject *tick_text(PyObject *ticks_obj, unsigned long long units, long decimals) {
    int overflow;
    long long ticks = PyLong_AsLongLongAndOverflow(ticks_obj, &overflow);
    if (overflow || (ticks == -1 && PyErr_Occurred())) { PyErr_Clear(); return NULL; }
    char buf[32];
    int n = fmt_ticks(buf, ticks, units, decimals);
    return n < 0 ? NULL : PyUnicode_FromStringAndSize(buf, n);
}

static PyObject *OrderValues_call(OrderValues *o, PyObject *args, PyObject *kw) {
    if (uninitialised(o->limit, "OrderValues")) return NULL;
    PyObject *order, *cl, *name, *units_obj, *decimals_obj, *transact;
    if (!PyArg_UnpackTuple(args, "OrderValues", 6, 6, &order, &cl, &name, &units_obj, &decimals_obj, &transact))
        return NULL;
    PyObject *side = PyObject_GetAttr(order, s_side_attr), *type = NULL, *tif = NULL, *qty = NULL, *price = NULL;
    PyObject *out = NULL, *price_text = NULL;
    if (!side || !(type = PyObject_GetAttr(order, s_type_attr)) || !(tif = PyObject_GetAttr(order, s_tif_attr)) ||
        !(qty = PyObject_GetAttr(order, s_qty_attr)))
        goto done;
    PyObject *side_fix = PyDict_GetItemWithError(o->sides, side), *type_fix = NULL, *tif_fix = NULL;
    if (side_fix) type_fix = PyDict_GetItemWithError(o->types, type);
    if (type_fix) tif_fix = PyDict_GetItemWithError(o->tifs, tif);
    if (!tif_fix) {
        if (!PyErr_Occurred()) { Py_INCREF(Py_None); out = Py_None; }   /* a member the tables lack: Python's */
        goto done;
    }
    int limit = PyObject_RichCompareBool(type, o->limit, Py_EQ);
    if (limit < 0) goto done;
    if (limit) {
        if (!(price = PyObject_GetAttr(order, s_price_attr))) goto done;
        unsigned long long units = PyLong_AsUnsignedLongLong(units_obj);
        long decimals = PyLong_AsLong(decimals_obj);
        if (PyErr_Occurred()) { PyErr_Clear(); Py_INCREF(Py_None); out = Py_None; goto done; }
        price_text = tick_text(price, units, decimals);
        if (price_text == NULL) {
            if (!PyErr_Occurred()) { Py_INCREF(Py_None); out = Py_None; }
            goto done;
        }
        out = PyTuple_Pack(8, cl, name, side_fix, transact, qty, type_fix, price_text, tif_fix);
    } else {
        out = PyTuple_Pack(7, cl, name, side_fix, transact, qty, type_fix, tif_fix);
    }
done:
    Py_XDECREF(side); Py_XDECREF(type); Py_XDECREF(tif); Py_XDECREF(qty); Py_XDECREF(price);
    Py_XDECREF(price_text);
    return out;
}

/* tables() -> (side_out, type_out, tif_out, limit): what it renders with (the client fast path renders
 * the same values from them, path.c venue_values) */
static PyObject *OrderValues_tables(OrderValues *o, PyObject *unused) {
    if (uninitialised(o->limit, "OrderValues")) return NULL;
    return PyTuple_Pack(4, o->sides, o->types, o->tifs, o->limit);
}

static PyMethodDef OrderValues_methods[] = {
    {"tables", (PyCFunction)OrderValues_tables, METH_NOARGS, "tables() -> (side_out, type_out, tif_out, limit)"},
    {NULL}
};

static PyTypeObject OrderValuesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._fix.OrderValues",
    .tp_basicsize = sizeof(OrderValues),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "OrderValues(side_out, type_out, tif_out, limit): new_order_values in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)OrderValues_init,
    .tp_dealloc = (destructor)OrderValues_dealloc,
    .tp_call = (ternaryfunc)OrderValues_call,
    .tp_methods = OrderValues_methods,
};

/* venue_order_id(text) -> int or None: fix/orders.py venue_order_id, the gateway order id in a
 * venue ClOrdID (8 upper-case hex digits, optionally ".n"). */
static PyObject *venue_order_id(PyObject *mod, PyObject *text) {
    if (!PyUnicode_Check(text)) { PyErr_SetString(PyExc_TypeError, "venue_order_id needs a str"); return NULL; }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t dot = PyUnicode_FindChar(text, '.', 0, n, 1);
    if (dot == -2) return NULL;
    if ((dot < 0 ? n : dot) != 8) Py_RETURN_NONE;
    unsigned long v = 0;
    for (Py_ssize_t k = 0; k < 8; k++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(text, k);
        if (c >= '0' && c <= '9') v = v << 4 | (c - '0');
        else if (c >= 'A' && c <= 'F') v = v << 4 | (c - 'A' + 10);
        else Py_RETURN_NONE;
    }
    return PyLong_FromUnsignedLong(v);
}

/* _int_qty: a venue quantity as a whole number, -1 when it is not one (at most 18 digits each side). */
static long long int_qty(PyObject *v) {
    if (v == Py_None) return 0;
    if (!PyUnicode_CheckExact(v)) return -2;         /* not a str: the caller's Python */
    Py_ssize_t n;
    const unsigned char *s = ascii_of(v, &n);
    if (s == NULL) return -1;                        /* non-ASCII: never digits, so never a quantity */
    if (n == 0) return 0;                            /* "" or None: (text or "0") */
    Py_ssize_t dot = find_dot(s, n), whole = dot < 0 ? n : dot;
    Py_ssize_t frac_from = whole + 1, frac_len = dot < 0 ? 0 : n - frac_from;
    if (whole > 18 || frac_len > 18 || !all_digits(s, 0, whole)) return -1;
    if (frac_len && !all_digits(s, frac_from, n)) return -1;
    long long q = 0;
    for (Py_ssize_t k = 0; k < whole; k++) q = q * 10 + (s[k] - '0');
    return q;
}

static PyObject *k_cl, *k_exec_id, *k_exec_type, *k_status, *k_last_qty, *k_last_px, *k_text, *k_reason,
                *k_cum_qty, *k_avg_px, *s_empty, *s_zero;

/* decode_report(values) -> dict or None: fix/orders.py decode_exec_report of the values of its
 * _ER_TAGS (ClOrdID, ExecID, ExecType, OrdStatus, LastQty, LastPx, Text, OrdRejReason, CumQty,
 * AvgPx); None where a quantity is not a str (the Python decoder decides those). */
static PyObject *decode_report(PyObject *mod, PyObject *values) {
    if (!PyTuple_Check(values) || PyTuple_GET_SIZE(values) != 10) {
        PyErr_SetString(PyExc_TypeError, "decode_report needs the 10-tuple of the report's values");
        return NULL;
    }
    PyObject **v = &PyTuple_GET_ITEM(values, 0);
    long long last_qty = int_qty(v[4]), cum_qty = int_qty(v[8]);
    if (last_qty == -2 || cum_qty == -2) Py_RETURN_NONE;
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
#define OR(x, dflt) ((x) == Py_None ? (dflt) : (x))
    PyObject *lq = PyLong_FromLongLong(last_qty), *cq = PyLong_FromLongLong(cum_qty);
    int bad = lq == NULL || cq == NULL ||
        PyDict_SetItem(d, k_cl, OR(v[0], s_empty)) || PyDict_SetItem(d, k_exec_id, OR(v[1], s_empty)) ||
        PyDict_SetItem(d, k_exec_type, OR(v[2], s_empty)) || PyDict_SetItem(d, k_status, OR(v[3], s_empty)) ||
        PyDict_SetItem(d, k_last_qty, lq) || PyDict_SetItem(d, k_last_px, OR(v[5], s_zero)) ||
        PyDict_SetItem(d, k_text, OR(v[6], s_empty)) || PyDict_SetItem(d, k_reason, v[7]) ||
        PyDict_SetItem(d, k_cum_qty, cq) || PyDict_SetItem(d, k_avg_px, OR(v[9], s_zero));
#undef OR
    Py_XDECREF(lq); Py_XDECREF(cq);
    if (bad) { Py_DECREF(d); return NULL; }
    return d;
}

static PyMethodDef module_methods[] = {
    {"frame_ok", (PyCFunction)(void (*)(void))frame_ok, METH_FASTCALL,
     "frame_ok(data, start, end, body_start, body_length) -> bool: BodyLength and CheckSum as stated"},
    {"venue_order_id", (PyCFunction)venue_order_id, METH_O,
     "venue_order_id(text) -> the gateway order id of a venue ClOrdID, or None"},
    {"decode_report", (PyCFunction)decode_report, METH_O,
     "decode_report(values) -> decode_exec_report's dict, or None (the Python decoder's case)"},
    {NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fix", "The FIX codec's hot loops in C.", -1,
                                    module_methods};

PyMODINIT_FUNC PyInit__fix(void) {
    struct { PyObject **p; const char *s; } keys[] = {
        {&k_cl, "cl_ord_id"}, {&k_exec_id, "exec_id"}, {&k_exec_type, "exec_type"}, {&k_status, "ord_status"},
        {&k_last_qty, "last_qty"}, {&k_last_px, "last_px"}, {&k_text, "text"}, {&k_reason, "ord_rej_reason"},
        {&k_cum_qty, "cum_qty"}, {&k_avg_px, "avg_px"}, {&s_empty, ""}, {&s_zero, "0"}};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        if ((*keys[k].p = PyUnicode_InternFromString(keys[k].s)) == NULL) return NULL;
    if (PyType_Ready(&TemplateType) < 0 || PyType_Ready(&OrderDecoderType) < 0 || PyType_Ready(&OrderValuesType) < 0)
        return NULL;
    if (!(s_side_attr = PyUnicode_InternFromString("side")) || !(s_type_attr = PyUnicode_InternFromString("ord_type")) ||
        !(s_tif_attr = PyUnicode_InternFromString("tif")) || !(s_qty_attr = PyUnicode_InternFromString("qty")) ||
        !(s_price_attr = PyUnicode_InternFromString("price")))
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&TemplateType);
    if (PyModule_AddObject(m, "Template", (PyObject *)&TemplateType) < 0) { Py_DECREF(m); return NULL; }
    Py_INCREF(&OrderDecoderType);
    if (PyModule_AddObject(m, "OrderDecoder", (PyObject *)&OrderDecoderType) < 0) { Py_DECREF(m); return NULL; }
    Py_INCREF(&OrderValuesType);
    if (PyModule_AddObject(m, "OrderValues", (PyObject *)&OrderValuesType) < 0) { Py_DECREF(m); return NULL; }
    return m;
}
