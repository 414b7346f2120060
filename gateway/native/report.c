/* The client ExecutionReport's fields in C: wirespeed.gateway.native._report.
 *
 * ReportFields(exec_fix, status_fix, side_fix, type_fix, trade, rejected)(fix42, cl_ord_id, order_id,
 * exec_id, exec_type, ord_status, symbol, side, qty, price, last_qty, last_px, cum_qty, leaves_qty,
 * avg_px_num, reason, text, ord_type, tick) -> list or None
 *
 * fix/orders.py report_fields for a symbol the gateway knows, in one call: the (tag, value) list
 * of every report the gateway sends a client (a venue report's fill, ack or cancel, a reject).
 * The venue-report side spent ~8 % of the gateway's CPU under make bench-load building it in
 * Python (py-spy): the list, the enum lookups, the tick formatting of Price and LastPx and the
 * AvgPx division. Values pass through as the same objects where report_fields passes them (the
 * template renders them); only Price, LastPx and AvgPx are formatted here, as TickSize.format
 * and avg_px_text format them. ``tick`` is (units, decimals, AvgPx places or -1, the text of a
 * zero AvgPx). None (report_fields then runs its Python) where a number is not a plain int in
 * range: negative ticks, values past 64 bits, an AvgPx the integer path does not cover.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include "fmt.h"

typedef struct {
    PyObject_HEAD
    PyObject *exec_fix, *status_fix, *side_fix, *type_fix, *trade, *rejected;
} ReportFields;

static PyObject *s_ord_rej_reason, *s_none_text, *s_zero, *s_exec_trans, *s_two;

static void ReportFields_dealloc(ReportFields *r) {
    Py_XDECREF(r->exec_fix); Py_XDECREF(r->status_fix); Py_XDECREF(r->side_fix); Py_XDECREF(r->type_fix);
    Py_XDECREF(r->trade); Py_XDECREF(r->rejected);
    Py_TYPE(r)->tp_free((PyObject *)r);
}

static int ReportFields_init(ReportFields *r, PyObject *args, PyObject *kw) {
    PyObject *e, *s, *d, *t, *trade, *rej;
    if (!PyArg_ParseTuple(args, "O!O!O!O!OO", &PyDict_Type, &e, &PyDict_Type, &s, &PyDict_Type, &d, &PyDict_Type, &t,
                          &trade, &rej))
        return -1;
    PyObject *objs[] = {e, s, d, t, trade, rej};
    PyObject **slots[] = {&r->exec_fix, &r->status_fix, &r->side_fix, &r->type_fix, &r->trade, &r->rejected};
    for (int k = 0; k < 6; k++) { Py_INCREF(objs[k]); Py_XSETREF(*slots[k], objs[k]); }
    return 0;
}

/* A non-negative exact int below 2**63, or -1 (including for a bool or an IntEnum: not exact). */
static long long plain(PyObject *v) {
    if (!PyLong_CheckExact(v)) return -1;
    int overflow;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow || x < 0) { PyErr_Clear(); return -1; }
    return x;
}

/* TickSize.format: ticks * units with exactly ``decimals`` fractional digits. */
static PyObject *tick_text(long long ticks, long long units, int decimals) {
    unsigned __int128 scaled = (unsigned __int128)ticks * (unsigned long long)units;
    if (scaled >> 63) return NULL;                 /* (not an error: the caller falls back) */
    unsigned long long v = (unsigned long long)scaled, p = 1;
    for (int k = 0; k < decimals; k++) p *= 10;
    char buf[48];
    int n = decimals ? fmt_fixed(buf, v / p, v % p, decimals) : fmt_u64(buf, v);
    return PyUnicode_FromStringAndSize(buf, n);
}

/* avg_px_text's integer path: avg_px_num * units * 10**(places - decimals) / cum_qty, half-even. */
static PyObject *avg_text(long long num, long long cum, long long units, int decimals, int places) {
    if (places < decimals || places > 18 || cum <= 0 || cum >= (1LL << 32)) return NULL;
    unsigned __int128 big = (unsigned __int128)(unsigned long long)num * (unsigned long long)units;
    if (big >> 64) return NULL;                    /* then big * 10**18 < 2**124: no overflow below */
    for (int k = decimals; k < places; k++) big *= 10;
    unsigned __int128 q = big / (unsigned long long)cum, rem = big % (unsigned long long)cum;
    if (2 * rem > (unsigned __int128)cum || (2 * rem == (unsigned __int128)cum && (q & 1))) q += 1;
    unsigned long long p = 1;
    for (int k = 0; k < places; k++) p *= 10;
    unsigned __int128 whole = q / p;
    if (whole >> 63) return NULL;
    char buf[64];
    int n = places ? fmt_fixed(buf, (unsigned long long)whole, (unsigned long long)(q % p), places)
                   : fmt_u64(buf, (unsigned long long)whole);
    return PyUnicode_FromStringAndSize(buf, n);
}

static int add(PyObject *list, long tag, PyObject *value) {      /* steals value */
    if (value == NULL) return -1;
    PyObject *t = PyLong_FromLong(tag);
    PyObject *pair = t ? PyTuple_Pack(2, t, value) : NULL;
    Py_XDECREF(t);
    Py_DECREF(value);
    if (pair == NULL) return -1;
    int rc = PyList_Append(list, pair);
    Py_DECREF(pair);
    return rc;
}

static PyObject *lookup(PyObject *table, PyObject *key) {       /* new reference, NULL + KeyError */
    PyObject *v = PyDict_GetItemWithError(table, key);
    if (v == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    Py_INCREF(v);
    return v;
}

#define NARGS 19
static PyObject *ReportFields_call(ReportFields *r, PyObject *args, PyObject *kw) {
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) != NARGS || kw) {
        PyErr_SetString(PyExc_TypeError, "ReportFields takes 19 positional arguments");
        return NULL;
    }
    PyObject **a = &PyTuple_GET_ITEM(args, 0);
    int fix42 = PyObject_IsTrue(a[0]);
    PyObject *cl = a[1], *order_id = a[2], *exec_id = a[3], *exec_type = a[4], *status = a[5], *symbol = a[6],
             *side = a[7], *qty = a[8], *price_o = a[9], *last_qty_o = a[10], *last_px_o = a[11], *cum_o = a[12],
             *leaves = a[13], *avg_o = a[14], *reason = a[15], *text = a[16], *ord_type = a[17], *tick = a[18];
    if (fix42 < 0) return NULL;
    long long units, decimals, places;
    PyObject *zero_text;
    if (!PyTuple_Check(tick) || !PyArg_ParseTuple(tick, "LLLO", &units, &decimals, &places, &zero_text)) return NULL;
    long long price = plain(price_o), last_qty = plain(last_qty_o), last_px = plain(last_px_o), cum = plain(cum_o),
              avg = plain(avg_o);
    if (price < 0 || last_qty < 0 || last_px < 0 || cum < 0 || avg < 0 || units <= 0 || decimals < 0 || decimals > 9
        || !PyUnicode_Check(text))
        Py_RETURN_NONE;
    PyObject *price_text = NULL, *last_text = NULL, *avg_text_o = NULL;
    if (price) {
        price_text = tick_text(price, units, (int)decimals);
        if (price_text == NULL) goto fallback;
    }
    if (last_qty) {
        last_text = tick_text(last_px, units, (int)decimals);
        if (last_text == NULL) goto fallback;
    } else {
        last_text = s_zero;
        Py_INCREF(last_text);
    }
    if (cum == 0) {
        avg_text_o = zero_text;
        Py_INCREF(avg_text_o);
    } else {
        avg_text_o = places < 0 ? NULL : avg_text(avg, cum, units, (int)decimals, (int)places);
        if (avg_text_o == NULL) goto fallback;
    }
    PyObject *list = PyList_New(0);
    if (list == NULL) goto error;
    PyObject *oid = PyObject_IsTrue(order_id) == 1 ? order_id : s_none_text;
    Py_INCREF(oid);
    Py_INCREF(cl);
    Py_INCREF(exec_id);
    if (add(list, 37, oid) || add(list, 11, cl) || add(list, 17, exec_id)) goto error_list;
    if (fix42) {
        Py_INCREF(s_exec_trans);
        if (add(list, 20, s_exec_trans)) goto error_list;
    }
    PyObject *et;
    if (fix42 && exec_type == r->trade) { et = s_two; Py_INCREF(et); }
    else et = lookup(r->exec_fix, exec_type);
    if (add(list, 150, et) || add(list, 39, lookup(r->status_fix, status))) goto error_list;
    Py_INCREF(symbol);
    Py_INCREF(qty);
    if (add(list, 55, symbol) || add(list, 54, lookup(r->side_fix, side)) || add(list, 38, qty) ||
        add(list, 40, lookup(r->type_fix, ord_type)))
        goto error_list;
    if (price_text) {
        if (add(list, 44, price_text)) { price_text = NULL; goto error_list; }
        price_text = NULL;
    }
    Py_INCREF(last_qty_o);
    if (add(list, 32, last_qty_o)) goto error_list;
    PyObject *lt = last_text;
    last_text = NULL;
    if (add(list, 31, lt)) goto error_list;
    Py_INCREF(leaves);
    Py_INCREF(cum_o);
    if (add(list, 151, leaves) || add(list, 14, cum_o)) goto error_list;
    PyObject *at = avg_text_o;
    avg_text_o = NULL;
    if (add(list, 6, at)) goto error_list;
    if (exec_type == r->rejected && add(list, 103, PyObject_GetAttr(reason, s_ord_rej_reason))) goto error_list;
    if (PyUnicode_GET_LENGTH(text)) {
        Py_INCREF(text);
        if (add(list, 58, text)) goto error_list;
    }
    return list;
error_list:
    Py_DECREF(list);
error:
    Py_XDECREF(price_text); Py_XDECREF(last_text); Py_XDECREF(avg_text_o);
    return NULL;
fallback:
    Py_XDECREF(price_text); Py_XDECREF(last_text); Py_XDECREF(avg_text_o);
    Py_RETURN_NONE;
}

static PyTypeObject ReportFieldsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._report.ReportFields",
    .tp_basicsize = sizeof(ReportFields),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ReportFields(exec_fix, status_fix, side_fix, type_fix, trade, rejected)(...): report_fields in C",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ReportFields_init,
    .tp_dealloc = (destructor)ReportFields_dealloc,
    .tp_call = (ternaryfunc)ReportFields_call,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_report", "The client ExecutionReport's fields in C.", -1,
                                    NULL};

PyMODINIT_FUNC PyInit__report(void) {
    if (!(s_ord_rej_reason = PyUnicode_InternFromString("ord_rej_reason")) ||
        !(s_none_text = PyUnicode_InternFromString("NONE")) || !(s_zero = PyUnicode_InternFromString("0")) ||
        !(s_exec_trans = PyUnicode_InternFromString("0")) || !(s_two = PyUnicode_InternFromString("2")))
        return NULL;
    if (PyType_Ready(&ReportFieldsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ReportFieldsType);
    if (PyModule_AddObject(m, "ReportFields", (PyObject *)&ReportFieldsType) < 0) { Py_DECREF(m); return NULL; }
    return m;
}
