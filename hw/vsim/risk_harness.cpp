// The Verilated risk pipeline driven directly: clock, reset, the order / fill / decision
// streams and the register bus, behind a C ABI that hw/vsim/risk.py calls through ctypes.
// One call runs a whole batch (an order offered every cycle, o.ready high), so Python pays
// one crossing per batch, not one per cycle. What every harness shares is in harness.h.
//
// The model's inputs are registered (input_regs.py): what is set before edge c the pipeline
// sees in cycle c + 1, so a value is withdrawn before the edge that takes it, and every wait
// below counts the one extra cycle (DELAY).
#include "Vrisk_pipeline.h"
#include "Vrisk_pipeline___024root.h"
#include "harness.h"

using ws::get;
using ws::put;

WS_HARNESS(Vrisk_pipeline)

#if WS_INPUT_DELAY != 1
#error "risk_harness.cpp drives the pipeline behind one input register stage (build.py: input_regs)"
#endif
constexpr int DELAY = WS_INPUT_DELAY;

namespace {

void idle(Harness& h) {
    Vrisk_pipeline& t = h.top;
    t.i___05Fvalid = 0; t.fill___05Fvalid = 0; t.o___05Fready = 1; t.bus___05Fwe = 0; t.bus___05Fre = 0;
}

Harness& of(void* p) { return *static_cast<Harness*>(p); }

}  // namespace

WS_LIFECYCLE(ws, idle)

extern "C" {

// Port widths in 32-bit words (order, fill, decision), for the caller to check its records.
void ws_widths(int* order_words, int* fill_words, int* out_words) {
    *order_words = WS_WORDS(Vrisk_pipeline, i___05Fpayload);
    *fill_words = WS_WORDS(Vrisk_pipeline, fill___05Fpayload);
    *out_words = WS_WORDS(Vrisk_pipeline, o___05Fpayload);
}

// Reset, then run until the state memories are cleared (i.ready high); the cycles it took,
// or -1 if i.ready never rose.
int64_t ws_reset(void* p, int64_t max_cycles) {
    Harness& h = of(p);
    idle(h);
    h.reset(3);
    for (int k = 0; k < DELAY; ++k) h.edge();      // the pipeline's own rst, one register later
    for (int64_t k = 0; k < max_cycles; ++k) {
        if (h.top.i___05Fready) return k;
        h.edge();
    }
    return -1;
}

// One bus write (we for a cycle, then the cycles until it has taken effect); the error flag.
int ws_write(void* p, uint32_t addr, uint32_t data, int latency) {
    Harness& h = of(p);
    Vrisk_pipeline& t = h.top;
    t.bus___05Faddr = addr; t.bus___05Fwdata = data; t.bus___05Fwe = 1;
    h.edge();
    t.bus___05Fwe = 0;
    for (int k = 0; k < DELAY + latency; ++k) h.edge();
    return t.bus___05Ferr;
}

// One bus read; the word, or -1 if rvalid did not come within max_cycles.
int64_t ws_read(void* p, uint32_t addr, int max_cycles) {
    Harness& h = of(p);
    Vrisk_pipeline& t = h.top;
    t.bus___05Faddr = addr; t.bus___05Fre = 1;
    h.edge();
    t.bus___05Fre = 0;
    for (int k = 0; k < DELAY + max_cycles; ++k) {
        if (t.bus___05Frvalid) { int64_t v = t.bus___05Frdata; h.edge(); return v; }
        h.edge();
    }
    return -1;
}

// A fill or cancel on its own: offered until taken. 0, or -1 if never taken.
int ws_fill(void* p, const uint32_t* fill, int64_t now, int max_cycles) {
    Harness& h = of(p);
    Vrisk_pipeline& t = h.top;
    put(t.fill___05Fpayload, fill);
    t.fill___05Fvalid = 1;
    t.now = now;
    bool seen = false;                           // the pipeline sees it this cycle
    for (int k = 0; k < DELAY + max_cycles; ++k) {
        const bool taken = seen && t.fill___05Fready;
        if (taken) t.fill___05Fvalid = 0;
        h.edge();
        if (taken) return 0;
        seen = true;
    }
    t.fill___05Fvalid = 0;
    return -1;
}

// n orders, one offered each cycle from the first on which the pipeline takes one; with
// order k, fill k when fill_valid[k] (taken together, or the fill alone right after the order
// when the fill port is not ready: fill k is seen from order k + 1 on);
// now[k] on the cycle order k is offered. Decisions into out (n records, in order). The
// number of decisions, or -1 if the pipeline stopped taking or emitting within max_cycles.
int64_t ws_run(void* p, const uint32_t* orders, const uint32_t* fills, const uint8_t* fill_valid,
               const uint64_t* now, int64_t n, uint32_t* out, int64_t max_cycles) {
    Harness& h = of(p);
    Vrisk_pipeline& t = h.top;
    constexpr int ow = WS_WORDS(Vrisk_pipeline, i___05Fpayload), fw = WS_WORDS(Vrisk_pipeline, fill___05Fpayload),
                  dw = WS_WORDS(Vrisk_pipeline, o___05Fpayload);
    int64_t sent = 0, got = 0;                   // orders taken, decisions out
    bool seen = false, seen_fill = false;        // the pipeline sees order ``sent`` / its fill this cycle
    bool owed = false;                           // order ``sent - 1`` went in without its fill
    t.o___05Fready = 1;
    for (int64_t c = 0; got < n; ++c) {
        if (c >= max_cycles + DELAY) { idle(h); return -1; }
        if (t.o___05Fvalid) get(t.o___05Fpayload, out + (got++) * dw);
        // a fill is not taken while the fill ahead writes (fill.ready low, counters.py): the order
        // goes in, its fill is offered alone until taken, then the next order (it sees the fill)
        const bool fill_taken = seen_fill && t.fill___05Fready;
        if (seen && t.i___05Fready) {            // taken at this edge: the next one goes in
            owed = seen_fill && !fill_taken;
            ++sent;
        } else if (fill_taken) {
            owed = false;
        }
        if (owed) {
            t.i___05Fvalid = 0;
            t.fill___05Fvalid = 1;
            put(t.fill___05Fpayload, fills + (sent - 1) * fw);
        } else if (sent < n) {
            put(t.i___05Fpayload, orders + sent * ow);
            t.i___05Fvalid = 1;
            t.fill___05Fvalid = fill_valid != nullptr && fill_valid[sent];
            if (t.fill___05Fvalid) put(t.fill___05Fpayload, fills + sent * fw);
            t.now = now[sent];
        } else {
            t.i___05Fvalid = 0;
            t.fill___05Fvalid = 0;
        }
        seen = t.i___05Fvalid;
        seen_fill = t.fill___05Fvalid;
        h.edge();
    }
    idle(h);
    return got;
}

// One order, for the per-order path: offered until taken, then the cycles until its decision
// (nothing else in flight). The cycles it took, or -1.
int ws_check(void* p, const uint32_t* order, uint64_t now, uint32_t* out, int max_cycles) {
    Harness& h = of(p);
    Vrisk_pipeline& t = h.top;
    put(t.i___05Fpayload, order);
    t.i___05Fvalid = 1;
    t.now = now;
    t.o___05Fready = 1;
    bool seen = false;
    for (int c = 0; c < DELAY + max_cycles; ++c) {
        if (t.o___05Fvalid) { get(t.o___05Fpayload, out); h.edge(); return c; }
        if (seen && t.i___05Fvalid && t.i___05Fready) t.i___05Fvalid = 0;    // taken at this edge
        seen = t.i___05Fvalid;
        h.edge();
    }
    t.i___05Fvalid = 0;
    return -1;
}

}  // extern "C"
