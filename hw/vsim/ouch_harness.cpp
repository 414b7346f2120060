// The Verilated OUCH encoder driven directly, behind a C ABI that hw/vsim/encoder.py calls through
// ctypes: load a symbol-table row, and encode one decision into its SoupBinTCP-framed Enter Order
// in a single call (the decision offered until taken, the beats collected until ``last``), so
// Python pays one crossing per order. Beside hw/vsim/harness.cpp (the risk pipeline's).
#include <cstdint>

#include "Vouch_encoder.h"
#include "Vouch_encoder___024root.h"
#include "verilated.h"

namespace {

struct Harness {
    VerilatedContext* ctx;
    Vouch_encoder* top;
    uint64_t cycles;
};

template <std::size_t N> void put(VlWide<N>& port, const uint32_t* src) {
    for (std::size_t k = 0; k < N; ++k) port[k] = src[k];
}
template <std::size_t N> void get(const VlWide<N>& port, uint32_t* dst) {
    for (std::size_t k = 0; k < N; ++k) dst[k] = port[k];
}

// One eval a cycle, as in harness.cpp: every output the harness reads (i.ready, o.valid,
// o.payload) comes from registers and the ``hold`` input, which stays low, so the outputs an
// eval leaves are the next cycle's; the rising edge is taken by marking the clock's last value
// low, with no eval of the falling edge.
inline void settle(Harness*) {}
inline void edge(Harness* h) {
    h->top->rootp->__Vtrigprevexpr___TOP__clk__0 = 0;
    h->top->clk = 1;
    h->top->eval();
    h->cycles++;
}
inline void cycle(Harness* h) { edge(h); }

}  // namespace

extern "C" {

// Port widths in 32-bit words (decision, beat, table row), for the caller to check its records.
void ws_enc_widths(int* in_words, int* beat_words, int* row_words) {
    Vouch_encoder* t = nullptr;
    *in_words = static_cast<int>(sizeof(t->i___05Fpayload) / 4);
    *beat_words = static_cast<int>(sizeof(t->o___05Fpayload) / 4);
    *row_words = static_cast<int>(sizeof(t->table___05Fdata) / 4);
}

void* ws_enc_new() {
    Harness* h = new Harness;
    h->ctx = new VerilatedContext;
    h->top = new Vouch_encoder(h->ctx);
    h->cycles = 0;
    Vouch_encoder* t = h->top;
    t->i___05Fvalid = 0; t->o___05Fready = 1; t->table___05Fen = 0; t->hold = 0;
    t->rst = 1;
    for (int k = 0; k < 3; ++k) cycle(h);
    t->rst = 0;
    cycle(h);
    t->eval();                              // settle the outputs after reset with the inputs idle
    return h;
}

void ws_enc_free(void* p) {
    Harness* h = static_cast<Harness*>(p);
    h->top->final();
    delete h->top;
    delete h->ctx;
    delete h;
}

uint64_t ws_enc_cycles(void* p) { return static_cast<Harness*>(p)->cycles; }

void ws_enc_table(void* p, uint32_t addr, const uint32_t* row) {
    Harness* h = static_cast<Harness*>(p);
    Vouch_encoder* t = h->top;
    t->table___05Faddr = addr;
    put(t->table___05Fdata, row);
    t->table___05Fen = 1;
    cycle(h);
    t->table___05Fen = 0;
}

// Encode one decision: the frame's bytes into ``out`` (at most ``cap``); returns the byte count,
// -1 if the decision was not taken or the frame did not end within ``max_cycles``, -2 if the
// frame does not fit in ``cap``. ``cycles_out``: the decision-to-last-beat cycle count.
int64_t ws_enc_encode(void* p, const uint32_t* decision, uint8_t* out, int64_t cap, int64_t max_cycles,
                      int64_t* cycles_out) {
    Harness* h = static_cast<Harness*>(p);
    Vouch_encoder* t = h->top;
    put(t->i___05Fpayload, decision);
    t->i___05Fvalid = 1;
    t->o___05Fready = 1;
    bool taken = false;
    int64_t n = 0, k = 0, taken_at = 0;
    for (; k < max_cycles; ++k) {
        settle(h);
        if (!taken && t->i___05Fready) { taken = true; taken_at = k; }
        bool done = false;
        if (t->o___05Fvalid) {
            uint32_t beat[3];
            get(t->o___05Fpayload, beat);
            uint64_t data = static_cast<uint64_t>(beat[0]) | static_cast<uint64_t>(beat[1]) << 32;
            uint32_t keep = beat[2] & 0xFF, last = (beat[2] >> 8) & 1;
            for (int b = 0; b < 8; ++b) {
                if (!(keep >> b & 1)) continue;
                if (n >= cap) return -2;
                out[n++] = static_cast<uint8_t>(data >> (8 * b));
            }
            done = last;
        }
        edge(h);
        if (taken) t->i___05Fvalid = 0;
        if (done) { *cycles_out = k - taken_at; return n; }
    }
    t->i___05Fvalid = 0;
    return -1;
}

}  // extern "C"
