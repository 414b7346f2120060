// The Verilated risk pipeline driven directly: clock, reset, the order / fill / decision
// streams and the register bus, behind a C ABI that hw/vsim/risk.py calls through ctypes.
// One call runs a whole batch (an order offered every cycle, o.ready high), so Python pays
// one crossing per batch, not one per cycle.
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "Vrisk_pipeline.h"
#include "Vrisk_pipeline___024root.h"
#include "verilated.h"

namespace {

struct Harness {
    VerilatedContext* ctx;
    Vrisk_pipeline* top;
    uint64_t cycles;
};

// Words of a wide Verilated port (a VlWide<N> holds N 32-bit words).
#define WORDS(port) \
    static_cast<int>(sizeof(std::remove_reference_t<decltype(std::declval<Vrisk_pipeline&>().port)>) / sizeof(uint32_t))

template <std::size_t N> void put(VlWide<N>& port, const uint32_t* src) {
    for (std::size_t k = 0; k < N; ++k) port[k] = src[k];
}
template <std::size_t N> void get(const VlWide<N>& port, uint32_t* dst) {
    for (std::size_t k = 0; k < N; ++k) dst[k] = port[k];
}
template <std::size_t N> void clear(VlWide<N>& port) {
    for (std::size_t k = 0; k < N; ++k) port[k] = 0;
}

// One eval a cycle. No output of the pipeline depends on an input through logic (i.ready,
// fill.ready, o.valid, o.payload and the bus outputs come from registers; the pipeline is
// built so), so the outputs an eval leaves are the next cycle's, and the falling edge needs
// no eval of its own: the inputs are set and one eval both settles them and takes the rising
// edge, which Verilator sees as an edge once its record of the clock's last value says low.
// This halves the work of a cycle (each eval re-runs the input logic).
inline void settle(Harness*) {}
inline void edge(Harness* h) {
    h->top->rootp->__Vtrigprevexpr___TOP__clk__0 = 0;
    h->top->clk = 1;
    h->top->eval();
    h->cycles++;
}
inline void cycle(Harness* h) { edge(h); }

void idle(Harness* h) {
    Vrisk_pipeline* t = h->top;
    t->i___05Fvalid = 0; t->fill___05Fvalid = 0; t->o___05Fready = 1; t->bus___05Fwe = 0; t->bus___05Fre = 0;
}

}  // namespace

extern "C" {

// Port widths in 32-bit words (order, fill, decision), for the caller to check its records.
void ws_widths(int* order_words, int* fill_words, int* out_words) {
    *order_words = WORDS(i___05Fpayload);
    *fill_words = WORDS(fill___05Fpayload);
    *out_words = WORDS(o___05Fpayload);
}

void* ws_new() {
    Harness* h = new Harness;
    h->ctx = new VerilatedContext;
    h->top = new Vrisk_pipeline(h->ctx);
    h->cycles = 0;
    idle(h);
    return h;
}

void ws_free(void* p) {
    Harness* h = static_cast<Harness*>(p);
    h->top->final();
    delete h->top;
    delete h->ctx;
    delete h;
}

uint64_t ws_cycles(void* p) { return static_cast<Harness*>(p)->cycles; }

// Reset, then run until the state memories are cleared (i.ready high); the cycles it took,
// or -1 if i.ready never rose.
int64_t ws_reset(void* p, int64_t max_cycles) {
    Harness* h = static_cast<Harness*>(p);
    idle(h);
    h->top->rst = 1;
    for (int k = 0; k < 3; ++k) cycle(h);
    h->top->rst = 0;
    for (int64_t k = 0; k < max_cycles; ++k) {
        settle(h);
        if (h->top->i___05Fready) return k;
        edge(h);
    }
    return -1;
}

// One bus write (we for a cycle, then the cycles until it has taken effect); the error flag.
int ws_write(void* p, uint32_t addr, uint32_t data, int latency) {
    Harness* h = static_cast<Harness*>(p);
    Vrisk_pipeline* t = h->top;
    t->bus___05Faddr = addr; t->bus___05Fwdata = data; t->bus___05Fwe = 1;
    cycle(h);
    t->bus___05Fwe = 0;
    for (int k = 1; k < latency + 1; ++k) cycle(h);
    settle(h);
    return t->bus___05Ferr;
}

// One bus read; the word, or -1 if rvalid did not come within max_cycles.
int64_t ws_read(void* p, uint32_t addr, int max_cycles) {
    Harness* h = static_cast<Harness*>(p);
    Vrisk_pipeline* t = h->top;
    t->bus___05Faddr = addr; t->bus___05Fre = 1;
    cycle(h);
    t->bus___05Fre = 0;
    for (int k = 0; k < max_cycles; ++k) {
        settle(h);
        if (t->bus___05Frvalid) { int64_t v = t->bus___05Frdata; edge(h); return v; }
        edge(h);
    }
    return -1;
}

// A fill or cancel on its own: offered until taken. 0, or -1 if never taken.
int ws_fill(void* p, const uint32_t* fill, int64_t now, int max_cycles) {
    Harness* h = static_cast<Harness*>(p);
    Vrisk_pipeline* t = h->top;
    put(t->fill___05Fpayload, fill);
    t->fill___05Fvalid = 1;
    t->now = now;
    for (int k = 0; k < max_cycles; ++k) {
        settle(h);
        bool taken = t->fill___05Fready;
        edge(h);
        if (taken) { t->fill___05Fvalid = 0; return 0; }
    }
    t->fill___05Fvalid = 0;
    return -1;
}

// n orders, one offered each cycle from the first on which the pipeline takes one; with
// order k, fill k when fill_valid[k] (taken together, so fill k is seen from order k + 1 on);
// now[k] on the cycle order k is offered. Decisions into out (n records, in order). The
// number of decisions, or -1 if the pipeline stopped taking or emitting within max_cycles.
int64_t ws_run(void* p, const uint32_t* orders, const uint32_t* fills, const uint8_t* fill_valid,
               const uint64_t* now, int64_t n, uint32_t* out, int64_t max_cycles) {
    Harness* h = static_cast<Harness*>(p);
    Vrisk_pipeline* t = h->top;
    constexpr int ow = WORDS(i___05Fpayload), fw = WORDS(fill___05Fpayload), dw = WORDS(o___05Fpayload);
    int64_t sent = 0, got = 0;
    t->o___05Fready = 1;
    for (int64_t c = 0; got < n; ++c) {
        if (c >= max_cycles) { idle(h); return -1; }
        if (sent < n) {
            put(t->i___05Fpayload, orders + sent * ow);
            t->i___05Fvalid = 1;
            t->fill___05Fvalid = fill_valid != nullptr && fill_valid[sent];
            if (t->fill___05Fvalid) put(t->fill___05Fpayload, fills + sent * fw);
            t->now = now[sent];
        } else {
            t->i___05Fvalid = 0;
            t->fill___05Fvalid = 0;
        }
        settle(h);
        if (t->o___05Fvalid) get(t->o___05Fpayload, out + (got++) * dw);
        if (t->i___05Fready && sent < n) ++sent;
        edge(h);
    }
    idle(h);
    return got;
}

// One order, for the per-order path: offered until taken, then the cycles until its decision
// (nothing else in flight). The cycles it took, or -1.
int ws_check(void* p, const uint32_t* order, uint64_t now, uint32_t* out, int max_cycles) {
    Harness* h = static_cast<Harness*>(p);
    Vrisk_pipeline* t = h->top;
    put(t->i___05Fpayload, order);
    t->i___05Fvalid = 1;
    t->now = now;
    t->o___05Fready = 1;
    for (int c = 0; c < max_cycles; ++c) {
        settle(h);
        if (t->o___05Fvalid) { get(t->o___05Fpayload, out); edge(h); return c; }
        const bool taken = t->i___05Fvalid && t->i___05Fready;
        edge(h);
        if (taken) t->i___05Fvalid = 0;
    }
    t->i___05Fvalid = 0;
    return -1;
}

}  // extern "C"
