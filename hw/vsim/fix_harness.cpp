// The Verilated FIX encoder driven directly, behind a C ABI that hw/vsim/encoder.py calls through
// ctypes: load a symbol-table row and the CompIDs, and encode one decision into its NewOrderSingle
// in a single call, MsgSeqNum and the UTC digits given with it (the gateway's session owns both).
// One eval a cycle (harness.h).
#include "Vfix_encoder.h"
#include "Vfix_encoder___024root.h"
#include "harness.h"

WS_HARNESS(Vfix_encoder)

namespace {

void init(Harness& h) {
    Vfix_encoder& t = h.top;
    t.i___05Fvalid = 0; t.o___05Fready = 1; t.table___05Fen = 0; t.seq_load = 0;
    h.start();
}

Harness& of(void* p) { return *static_cast<Harness*>(p); }

}  // namespace

WS_LIFECYCLE(ws_fix, init)

extern "C" {

void ws_fix_widths(int* in_words, int* beat_words, int* row_words, int* utc_words) {
    *in_words = WS_WORDS(Vfix_encoder, i___05Fpayload);
    *beat_words = WS_WORDS(Vfix_encoder, o___05Fpayload);
    *row_words = WS_WORDS(Vfix_encoder, table___05Fdata);
    *utc_words = WS_WORDS(Vfix_encoder, utc);
}

void ws_fix_table(void* p, uint32_t addr, const uint32_t* row) { ws::write_table(*static_cast<Harness*>(p), addr, row); }

void ws_fix_comp_ids(void* p, uint64_t sender, uint32_t sender_len, uint64_t target, uint32_t target_len) {
    Harness& h = of(p);
    Vfix_encoder& t = h.top;
    t.sender = sender; t.sender_len = sender_len; t.target = target; t.target_len = target_len;
    h.edge();
}

// Encode one decision with MsgSeqNum ``seq_bcd`` (10 BCD digits) and the time ``utc`` (17 BCD
// digits): the frame's bytes into ``out`` (ws::encode_frame's results).
int64_t ws_fix_encode(void* p, const uint32_t* decision, uint64_t seq_bcd, const uint32_t* utc, uint8_t* out,
                      int64_t cap, int64_t max_cycles) {
    Harness& h = of(p);
    Vfix_encoder& t = h.top;
    t.seq_value = seq_bcd;
    t.seq_load = 1;
    h.edge();
    t.seq_load = 0;
    ws::put(t.utc, utc);
    ws::put(t.i___05Fpayload, decision);
    t.i___05Fvalid = 1;
    h.settle();                 // (on the bare design, WS_INPUT_DELAY 0: i.valid seen before the first edge)
    return ws::encode_frame(h, out, cap, max_cycles, nullptr);
}

}  // extern "C"
