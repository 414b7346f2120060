// What every C++ harness of hw/vsim shares: a Verilated top with its context and cycle count,
// the one-eval clock edge, wide-port copies, the encoders' byte-stream collector and the C ABI's
// new/free/cycles. A top's harness (risk_harness.cpp, ouch_harness.cpp, fix_harness.cpp) holds
// only what differs: its ports, its reset and its calls. build.py hashes this header with them.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "verilated.h"

namespace ws {

// Words of a wide Verilated port (a VlWide<N> holds N 32-bit words).
#define WS_WORDS(Top, port) \
    static_cast<int>(sizeof(std::remove_reference_t<decltype(std::declval<Top&>().port)>) / sizeof(uint32_t))

template <std::size_t N> inline void put(VlWide<N>& port, const uint32_t* src) {
    for (std::size_t k = 0; k < N; ++k) port[k] = src[k];
}
template <std::size_t N> inline void get(const VlWide<N>& port, uint32_t* dst) {
    for (std::size_t k = 0; k < N; ++k) dst[k] = port[k];
}
template <std::size_t N> inline void clear(VlWide<N>& port) {
    for (std::size_t k = 0; k < N; ++k) port[k] = 0;
}

// ``Eval`` is the generated model's own evaluation (``V<top>___024root___eval``), called
// directly once the model is initialised: ``Top::eval()`` wraps it in per-call checks, a
// thread-local lookup and a flush of the (here always empty: no threads, no $display) message
// queue, a few percent of a cycle of the risk pipeline (perf, 2026-12-01).
template <class Top, class Root, void (*Eval)(Root*)> struct Harness {
    // Cycles between setting an input and the design seeing it: 1 behind input_regs.py's
    // register stage (build.py's default), 0 on the bare design.
    static constexpr int delay = WS_INPUT_DELAY;

    VerilatedContext ctx;
    Top top{&ctx};
    uint64_t cycles = 0;

    Harness() { top.eval(); }        // the first eval initialises the model (statics, initial blocks)
    ~Harness() { top.final(); }

    // One eval a cycle. Every output a harness reads comes from registers (the tops are built
    // so), so the outputs an eval leaves are the next cycle's, and the falling edge needs no eval
    // of its own: the inputs are set and one eval both settles them and takes the rising edge,
    // which Verilator sees as an edge once its record of the clock's last value says low. This
    // halves the work of a cycle (each eval re-runs the logic of the inputs).
    inline void edge() {
        top.rootp->__Vtrigprevexpr___TOP__clk__0 = 0;
        top.clk = 1;
        Eval(top.rootp);
        ++cycles;
    }
    // The inputs settled without a clock edge (the clock stays high).
    inline void settle() { Eval(top.rootp); }
    void reset(int edges) {
        top.rst = 1;
        for (int k = 0; k < edges; ++k) edge();
        top.rst = 0;
    }
    // An encoder out of reset: one edge with rst low, the outputs settled with the inputs idle.
    void start() {
        reset(3);
        edge();
        settle();
    }
};

// An encoder's table row written (``table.en`` for one edge).
template <class H> void write_table(H& h, uint32_t addr, const uint32_t* row) {
    h.top.table___05Faddr = addr;
    put(h.top.table___05Fdata, row);
    h.top.table___05Fen = 1;
    h.edge();
    h.top.table___05Fen = 0;
}

// An encoder's frame: the decision on ``i`` (its payload set by the caller) offered until
// taken, the beats of ``o`` (64 data bits, 8 keep bits, last: three words) collected into
// ``out`` until ``last``. The byte count, -1 if not taken or not ended within ``max_cycles``,
// -2 if the frame does not fit in ``cap``; ``cycles_out`` (if given): decision taken to last beat.
// Behind input registers the decision is seen a cycle after it is set, and withdrawn before
// the edge that takes it.
template <class H> int64_t encode_frame(H& h, uint8_t* out, int64_t cap, int64_t max_cycles, int64_t* cycles_out) {
    auto& t = h.top;
    t.i___05Fvalid = 1;
    t.o___05Fready = 1;
    bool taken = false;
    int unseen = H::delay;                       // edges before the design sees i.valid
    int64_t n = 0, taken_at = 0;
    for (int64_t k = 0; k < max_cycles + H::delay; ++k) {
        if (!taken && unseen == 0 && t.i___05Fready) {
            taken = true;
            taken_at = k;
            if (H::delay) t.i___05Fvalid = 0;
        }
        bool done = false;
        if (t.o___05Fvalid) {
            uint32_t beat[3];
            get(t.o___05Fpayload, beat);
            const uint64_t data = static_cast<uint64_t>(beat[0]) | static_cast<uint64_t>(beat[1]) << 32;
            const uint32_t keep = beat[2] & 0xFF;
            for (int b = 0; b < 8; ++b) {
                if (!(keep >> b & 1)) continue;
                if (n >= cap) { t.i___05Fvalid = 0; return -2; }
                out[n++] = static_cast<uint8_t>(data >> (8 * b));
            }
            done = (beat[2] >> 8) & 1;
        }
        h.edge();
        if (taken) t.i___05Fvalid = 0;
        if (unseen) --unseen;
        if (done) {
            if (cycles_out != nullptr) *cycles_out = k - taken_at;
            return n;
        }
    }
    t.i___05Fvalid = 0;
    return -1;
}

}  // namespace ws

// The harness type of top ``V`` (the Verilated class name, e.g. Vrisk_pipeline), declaring
// the generated model's eval it calls (at file scope, where the model defines it).
#define WS_HARNESS(V)                                  \
    void V##___024root___eval(V##___024root* vlSelf); \
    using Harness = ws::Harness<V, V##___024root, &V##___024root___eval>;

// The C ABI every harness has: ``<prefix>_new`` (``init`` run on the new harness),
// ``<prefix>_free`` and ``<prefix>_cycles``.
#define WS_LIFECYCLE(prefix, init)                                                          \
    extern "C" void* prefix##_new() {                                                       \
        Harness* h = new Harness;                                                           \
        init(*h);                                                                           \
        return h;                                                                           \
    }                                                                                       \
    extern "C" void prefix##_free(void* p) { delete static_cast<Harness*>(p); }             \
    extern "C" uint64_t prefix##_cycles(void* p) { return static_cast<Harness*>(p)->cycles; }
