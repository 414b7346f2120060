// The Verilated FIX encoder driven directly, behind a C ABI that hw/vsim/encoder.py calls through
// ctypes: load a symbol-table row and the CompIDs, and encode one decision into its NewOrderSingle
// in a single call, MsgSeqNum and the UTC digits given with it (the gateway's session owns both).
// The same shape as ouch_harness.cpp (one eval a cycle: the outputs read come from registers).
#include <cstdint>

#include "Vfix_encoder.h"
#include "Vfix_encoder___024root.h"
#include "verilated.h"

namespace {

struct Harness {
    VerilatedContext* ctx;
    Vfix_encoder* top;
    uint64_t cycles;
};

template <std::size_t N> void put(VlWide<N>& port, const uint32_t* src) {
    for (std::size_t k = 0; k < N; ++k) port[k] = src[k];
}
template <std::size_t N> void get(const VlWide<N>& port, uint32_t* dst) {
    for (std::size_t k = 0; k < N; ++k) dst[k] = port[k];
}

inline void edge(Harness* h) {
    h->top->rootp->__Vtrigprevexpr___TOP__clk__0 = 0;
    h->top->clk = 1;
    h->top->eval();
    h->cycles++;
}

}  // namespace

extern "C" {

void ws_fix_widths(int* in_words, int* beat_words, int* row_words, int* utc_words) {
    Vfix_encoder* t = nullptr;
    *in_words = static_cast<int>(sizeof(t->i___05Fpayload) / 4);
    *beat_words = static_cast<int>(sizeof(t->o___05Fpayload) / 4);
    *row_words = static_cast<int>(sizeof(t->table___05Fdata) / 4);
    *utc_words = static_cast<int>(sizeof(t->utc) / 4);
}

void* ws_fix_new() {
    Harness* h = new Harness;
    h->ctx = new VerilatedContext;
    h->top = new Vfix_encoder(h->ctx);
    h->cycles = 0;
    Vfix_encoder* t = h->top;
    t->i___05Fvalid = 0; t->o___05Fready = 1; t->table___05Fen = 0; t->seq_load = 0;
    t->rst = 1;
    for (int k = 0; k < 3; ++k) edge(h);
    t->rst = 0;
    edge(h);
    t->eval();
    return h;
}

void ws_fix_free(void* p) {
    Harness* h = static_cast<Harness*>(p);
    h->top->final();
    delete h->top;
    delete h->ctx;
    delete h;
}

void ws_fix_table(void* p, uint32_t addr, const uint32_t* row) {
    Harness* h = static_cast<Harness*>(p);
    Vfix_encoder* t = h->top;
    t->table___05Faddr = addr;
    put(t->table___05Fdata, row);
    t->table___05Fen = 1;
    edge(h);
    t->table___05Fen = 0;
}

void ws_fix_comp_ids(void* p, uint64_t sender, uint32_t sender_len, uint64_t target, uint32_t target_len) {
    Harness* h = static_cast<Harness*>(p);
    Vfix_encoder* t = h->top;
    t->sender = sender; t->sender_len = sender_len; t->target = target; t->target_len = target_len;
    edge(h);
}

// Encode one decision with MsgSeqNum ``seq_bcd`` (10 BCD digits) and the time ``utc`` (17 BCD
// digits): the frame's bytes into ``out`` (at most ``cap``); returns the byte count, -1 on a
// timeout, -2 if the frame does not fit.
int64_t ws_fix_encode(void* p, const uint32_t* decision, uint64_t seq_bcd, const uint32_t* utc, uint8_t* out,
                      int64_t cap, int64_t max_cycles) {
    Harness* h = static_cast<Harness*>(p);
    Vfix_encoder* t = h->top;
    t->seq_value = seq_bcd;
    t->seq_load = 1;
    edge(h);
    t->seq_load = 0;
    put(t->utc, utc);
    put(t->i___05Fpayload, decision);
    t->i___05Fvalid = 1;
    t->o___05Fready = 1;
    t->eval();
    bool taken = false;
    int64_t n = 0;
    for (int64_t k = 0; k < max_cycles; ++k) {
        if (!taken && t->i___05Fready) taken = true;
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
        if (done) return n;
    }
    t->i___05Fvalid = 0;
    return -1;
}

}  // extern "C"
