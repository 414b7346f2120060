/* The order record built in C: wirespeed.gateway.native._order.
 *
 * clordid_key(text) -> int: wirespeed/order.py clordid_key, the 64-bit BLAKE2b (digest_size 8,
 * unkeyed) of the ClOrdID's UTF-8, read little-endian: the key the duplicate check compares in
 * the model, the C model and the hardware.  (RFC 7693, written out for the one digest size.)
 *
 * OrderMaker(cls, descriptors)(order_id, cl_ord_id, session, symbol, side, ord_type, tif, qty,
 * price) -> cls instance: a frozen dataclass ``Order`` with its slots set through their member
 * descriptors and its cl_ord_key computed here: what ``Order(...)`` and its __post_init__ do
 * (one object.__setattr__ per field through Python), in one call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static const uint64_t IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

static inline uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
    return v;
}

#define G(a, b, c, d, x, y) do { \
    v[a] = v[a] + v[b] + (x); v[d] = rotr(v[d] ^ v[a], 32); v[c] = v[c] + v[d]; v[b] = rotr(v[b] ^ v[c], 24); \
    v[a] = v[a] + v[b] + (y); v[d] = rotr(v[d] ^ v[a], 16); v[c] = v[c] + v[d]; v[b] = rotr(v[b] ^ v[c], 63); \
} while (0)

static void compress(uint64_t h[8], const uint8_t block[128], uint64_t t, int last) {
    uint64_t m[16], v[16];
    for (int k = 0; k < 16; k++) m[k] = load64(block + 8 * k);
    for (int k = 0; k < 8; k++) { v[k] = h[k]; v[k + 8] = IV[k]; }
    v[12] ^= t;                      /* the byte counter's low word (a ClOrdID never needs the high) */
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = SIGMA[r];
        G(0, 4, 8, 12, m[s[0]], m[s[1]]);   G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        G(2, 6, 10, 14, m[s[4]], m[s[5]]);  G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        G(0, 5, 10, 15, m[s[8]], m[s[9]]);  G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        G(2, 7, 8, 13, m[s[12]], m[s[13]]); G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int k = 0; k < 8; k++) h[k] ^= v[k] ^ v[k + 8];
}

/* BLAKE2b with an 8-byte digest, no key: the digest as a little-endian integer (h[0]). */
static uint64_t blake2b_64(const uint8_t *data, Py_ssize_t n) {
    uint64_t h[8];
    memcpy(h, IV, sizeof h);
    h[0] ^= 0x01010000ULL ^ 8;       /* depth 1, fanout 1, no key, digest length 8 */
    uint8_t block[128];
    uint64_t t = 0;
    while (n > 128) {
        t += 128;
        compress(h, data, t, 0);
        data += 128; n -= 128;
    }
    memset(block, 0, sizeof block);
    memcpy(block, data, n);
    t += n;
    compress(h, block, t, 1);
    return h[0];
}

/* The key of a str, or -1 with the error set (a str UTF-8 cannot encode: the caller's fallback). */
static int key_of(PyObject *text, uint64_t *out) {
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &n);
    if (utf8 == NULL) return -1;
    *out = blake2b_64((const uint8_t *)utf8, n);
    return 0;
}

static PyObject *clordid_key(PyObject *mod, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "clordid_key needs a str, not %.50s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    uint64_t k;
    if (key_of(text, &k)) return NULL;
    return PyLong_FromUnsignedLongLong(k);
}

#define ORDER_FIELDS 10   /* order_id, cl_ord_id, session, symbol, side, ord_type, tif, qty, price, cl_ord_key */

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    PyObject *slots[ORDER_FIELDS];   /* member descriptors, in field order */
} OrderMaker;

static void OrderMaker_dealloc(OrderMaker *o) {
    Py_XDECREF(o->cls);
    for (int k = 0; k < ORDER_FIELDS; k++) Py_XDECREF(o->slots[k]);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static int OrderMaker_init(OrderMaker *o, PyObject *args, PyObject *kw) {
    PyObject *cls, *descs;
    if (!PyArg_ParseTuple(args, "O!O!:OrderMaker", &PyType_Type, &cls, &PyTuple_Type, &descs)) return -1;
    if (PyTuple_GET_SIZE(descs) != ORDER_FIELDS) {
        PyErr_Format(PyExc_ValueError, "OrderMaker needs the %d slot descriptors of Order, not %zd", ORDER_FIELDS,
                     PyTuple_GET_SIZE(descs));
        return -1;
    }
    for (int k = 0; k < ORDER_FIELDS; k++) {
        PyObject *d = PyTuple_GET_ITEM(descs, k);
        if (Py_TYPE(d)->tp_descr_set == NULL) {
            PyErr_Format(PyExc_TypeError, "OrderMaker descriptor %d (%.50s) cannot be set", k, Py_TYPE(d)->tp_name);
            return -1;
        }
        Py_INCREF(d);
        Py_XSETREF(o->slots[k], d);
    }
    Py_INCREF(cls);
    Py_XSETREF(o->cls, (PyTypeObject *)cls);
    return 0;
}

/* (order_id, cl_ord_id, session, symbol, side, ord_type, tif, qty, price) -> Order */
static PyObject *OrderMaker_call(OrderMaker *o, PyObject *args, PyObject *kw) {
    if (o->cls == NULL) {   /* built by __new__ without __init__ */
        PyErr_SetString(PyExc_TypeError, "OrderMaker was not initialised (__init__ not called)");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n != ORDER_FIELDS - 1 || (kw && PyDict_GET_SIZE(kw))) {
        PyErr_SetString(PyExc_TypeError, "(order_id, cl_ord_id, session, symbol, side, ord_type, tif, qty, price)");
        return NULL;
    }
    PyObject *cl = PyTuple_GET_ITEM(args, 1);
    if (!PyUnicode_Check(cl)) {
        PyErr_Format(PyExc_TypeError, "cl_ord_id must be a str, not %.50s", Py_TYPE(cl)->tp_name);
        return NULL;
    }
    uint64_t key = 0;
    if (PyUnicode_GET_LENGTH(cl) && key_of(cl, &key)) return NULL;   /* "" has key 0, as __post_init__ leaves it */
    PyObject *keyobj = PyLong_FromUnsignedLongLong(key);
    if (keyobj == NULL) return NULL;
    PyObject *obj = o->cls->tp_alloc(o->cls, 0);
    if (obj == NULL) { Py_DECREF(keyobj); return NULL; }
    for (int k = 0; k < ORDER_FIELDS; k++) {
        PyObject *v = k < ORDER_FIELDS - 1 ? PyTuple_GET_ITEM(args, k) : keyobj;
        if (Py_TYPE(o->slots[k])->tp_descr_set(o->slots[k], obj, v) < 0) {
            Py_DECREF(obj); Py_DECREF(keyobj);
            return NULL;
        }
    }
    Py_DECREF(keyobj);
    return obj;
}

static PyTypeObject OrderMakerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "wirespeed.gateway.native._order.OrderMaker",
    .tp_basicsize = sizeof(OrderMaker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "OrderMaker(Order, slot descriptors): Order(...) with its cl_ord_key, in one C call.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)OrderMaker_init,
    .tp_dealloc = (destructor)OrderMaker_dealloc,
    .tp_call = (ternaryfunc)OrderMaker_call,
};

static PyMethodDef methods[] = {
    {"clordid_key", (PyCFunction)clordid_key, METH_O, "clordid_key(text) -> the 64-bit BLAKE2b key of a ClOrdID"},
    {NULL}
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_order", "The order record built in C.", -1, methods};

PyMODINIT_FUNC PyInit__order(void) {
    if (PyType_Ready(&OrderMakerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&OrderMakerType);
    if (PyModule_AddObject(m, "OrderMaker", (PyObject *)&OrderMakerType) < 0) { Py_DECREF(m); return NULL; }
    return m;
}
