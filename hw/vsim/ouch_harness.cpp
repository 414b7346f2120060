// The Verilated OUCH encoder driven directly, behind a C ABI that hw/vsim/encoder.py calls through
// ctypes: load a symbol-table row, and encode one decision into its SoupBinTCP-framed Enter Order
// in a single call (the decision offered until taken, the beats collected until ``last``), so
// Python pays one crossing per order. One eval a cycle (harness.h): every output read (i.ready,
// o.valid, o.payload) comes from registers and the ``hold`` input, which stays low.
#include "Vouch_encoder.h"
#include "Vouch_encoder___024root.h"
#include "harness.h"

WS_HARNESS(Vouch_encoder)

namespace {

void init(Harness& h) {
    Vouch_encoder& t = h.top;
    t.i___05Fvalid = 0; t.o___05Fready = 1; t.table___05Fen = 0; t.hold = 0;
    h.start();
}

}  // namespace

WS_LIFECYCLE(ws_enc, init)

extern "C" {

// Port widths in 32-bit words (decision, beat, table row), for the caller to check its records.
void ws_enc_widths(int* in_words, int* beat_words, int* row_words) {
    *in_words = WS_WORDS(Vouch_encoder, i___05Fpayload);
    *beat_words = WS_WORDS(Vouch_encoder, o___05Fpayload);
    *row_words = WS_WORDS(Vouch_encoder, table___05Fdata);
}

void ws_enc_table(void* p, uint32_t addr, const uint32_t* row) { ws::write_table(*static_cast<Harness*>(p), addr, row); }

// Encode one decision: the frame's bytes into ``out`` (ws::encode_frame's results);
// ``cycles_out``: the decision-to-last-beat cycle count.
int64_t ws_enc_encode(void* p, const uint32_t* decision, uint8_t* out, int64_t cap, int64_t max_cycles,
                      int64_t* cycles_out) {
    Harness& h = *static_cast<Harness*>(p);
    ws::put(h.top.i___05Fpayload, decision);
    return ws::encode_frame(h, out, cap, max_cycles, cycles_out);
}

}  // extern "C"
