"""EthTx: an encoded order (a BEAT frame: FIX or OUCH bytes) out as one Ethernet II + IPv4 + TCP
packet on a 64-bit MAC-facing AXI4-Stream, for a connection the host established.

The host writes the connection through ``regs`` (word addresses in hw/eth/headers.py ``REGS``;
an unknown address sets the sticky ``err`` and changes nothing). The hardware fills in the
headers, computes the IPv4 header checksum and the TCP checksum (pseudo-header, header and
payload), sends, and advances ``seq`` by the payload length and ``ip_id`` by one; the host
keeps retransmission (it reads ``seq`` back and may reload it between packets).

The TCP checksum sits in the header, ahead of the payload, so a payload is stored whole
before its packet starts (``depth`` beats, a ``ThermoFIFO``); its length and the ones'
complement sum of its 16-bit words are worked out as its beats come in (each beat starts on
an even byte, so every beat adds its four big-endian words) and queued beside it. The packet
then streams at one beat a cycle: the MAC conventions of a 10G/25G core's user side (AXI4-Stream
with ``tkeep``/``tlast``, ``tvalid`` held from the first beat to ``tlast`` — no gap inside a
packet, the bytes of the last beat low-aligned — frames padded to 60 bytes, the MAC adds
preamble and FCS). ``tuser`` (the MAC's "bad frame" bit) is 0.

    cycle t     the payload's last beat is stored (and registered to be measured)
    t+1         measured: its length and four lane sums go into the queue
    t+2         read from the queue, the sums' first pairs             (prepare: IDLE)
    t+3         pairs of pairs                                         (SUM)
    t+4         the checksums' sums                                    (TOTAL)
    t+5         folded once                                            (FOLD)
    t+6         folded again, inverted, the header staged              (LOAD)
    t+7         the sender takes it
    t+8         the first beat registered
    t+9         the first header beat on ``m_axis`` (``FIRST_BEAT`` cycles after the payload's
                last); 54 header bytes, then the payload shifted by 6 bytes (header byte 48
                starts beat 6), one beat a cycle

Every step is two-input adds into registers (the payload's words summed per 16-bit lane as
its beats arrive, the lanes and the connection's terms summed in a tree in the steps after),
so no path has more than three LUT levels between registers (``make hdl``'s xcup report).

The next packet's header is prepared while one is sent, and the sender takes it in the cycle it
finishes, so back-to-back packets leave with no idle cycle between them (the MAC adds the IFG).
Payload beats must be full except a frame's last (as the encoders' are): a partial beat inside
a frame sets the sticky ``bad_beat``.

A payload longer than ``depth`` beats cannot be checksummed: it is dropped whole (its stored
beats discarded, the rest not stored), and ``too_long`` is set (sticky, like ``err``).
"""
from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from wirespeed.layout import BEAT

from ..axi.stream import axis
from ..logic import kept
from ..skid import skid_output
from ..encode.common import check_depth
from ..host.fifo import ThermoFIFO
from .headers import ETHERTYPE_IPV4, HEADER_BYTES, IP_FLAGS, MIN_FRAME, PROTO_TCP, REGS, TCP_FLAGS

REG_WIDTH = 4
#: cycles from a payload's last beat taken to its packet's first beat on ``m_axis``
FIRST_BEAT = 9
RegWrite = wiring.Signature({"addr": Out(REG_WIDTH), "wdata": Out(32), "we": Out(1)})


class _Stream:
    """An AXI4-Stream's tvalid/tready as the valid/ready ``skid_output`` drives."""

    def __init__(self, axis_port):
        self.valid, self.ready = axis_port.tvalid, axis_port.tready


def _be(value, nbytes: int) -> list:
    """``value``'s bytes, most significant first (wire order), zero-extended to ``nbytes``."""
    value = Cat(value, Const(0, 8 * nbytes))[:8 * nbytes]
    return [value[8 * (nbytes - 1 - k):8 * (nbytes - k)] for k in range(nbytes)]


def _words(value, nwords: int) -> list:
    return [value[16 * k:16 * k + 16] for k in range(nwords)]


class EthTx(wiring.Component):
    def __init__(self, depth: int = 32):
        check_depth(self, depth)
        self.depth = depth
        super().__init__({
            "i": In(stream.Signature(BEAT.layout)),
            "m_axis": Out(axis(64, user=1)),
            "regs": In(RegWrite),
            "seq": Out(32), "ip_id": Out(16),          # read back by the host (retransmission)
            "err": Out(1), "too_long": Out(1), "bad_beat": Out(1),
            "packets": Out(32),                        # packets sent
        })

    def elaborate(self, platform):
        m = Module()
        depth = self.depth
        lbits = (8 * depth).bit_length()
        lane = 16 + depth.bit_length()                  # a 16-bit lane's sum over up to ``depth`` beats
        meta_layout = data.StructLayout({"length": lbits, "lanes": data.ArrayLayout(lane, 4),
                                         "beats": (depth).bit_length(), "drop": 1})
        m.submodules.payload = fifo = ThermoFIFO(width=64 + 8, depth=depth)
        m.submodules.meta = meta = ThermoFIFO(width=meta_layout.size, depth=8)

        # ---- the connection's registers -------------------------------------------------------
        names = {a: n for n, a in REGS.items()}
        reg = {n: Signal(32, name=f"r_{n}", init=64 if n == "ttl" else 0) for n in REGS if n not in ("seq", "ip_id")}
        seq, ip_id = self.seq, self.ip_id
        w = self.regs
        host_seq, host_id = Signal(), Signal()          # the host's write of seq / ip_id this cycle
        # If chains, not Switch: verilator -Wall flags a case without a default (CASEINCOMPLETE)
        for addr, name in names.items():
            hit = w.we & (w.addr == addr)
            if name == "seq":
                m.d.comb += host_seq.eq(hit)
            elif name == "ip_id":
                m.d.comb += host_id.eq(hit)
            else:
                with m.If(hit):
                    m.d.sync += reg[name].eq(w.wdata)
        with m.If(w.we & (w.addr > max(names))):
            m.d.sync += self.err.eq(1)
        dst_mac = Cat(reg["dst_mac_lo"], reg["dst_mac_hi"][:16])
        src_mac = Cat(reg["src_mac_lo"], reg["src_mac_hi"][:16])
        src_ip, dst_ip, ports, ack = reg["src_ip"], reg["dst_ip"], reg["ports"], reg["ack"]
        window, ttl = reg["window"][:16], reg["ttl"][:8]

        # A register computed every cycle (no enable): the steps below read each such value
        # exactly one cycle after the one its operands were valid in, so none needs a load mux.
        def registered(value, width, name):
            out = Signal(width, name=name)
            m.d.sync += out.eq(value)
            return out

        # The register-only parts of both checksums, summed ahead in two register stages of
        # two-input adds (the registers change between packets, not during one; a packet's sums
        # are read 2 cycles after its payload's last beat, so a register written before the
        # payload arrives is in them).
        ip_pair = (registered(src_ip[:16] + src_ip[16:], 17, "ip_pair_src"),
                   registered(dst_ip[:16] + dst_ip[16:], 17, "ip_pair_dst"))
        # the IP total length's 40 and the TCP length's 20 folded into the constants
        ip_fixed = registered(Cat(Const(PROTO_TCP, 8), ttl) + (0x4500 + IP_FLAGS + 40), 17, "ip_fixed")
        tcp_pairs = (registered(ports[:16] + ports[16:], 17, "tcp_pair_ports"),
                     registered(ack[:16] + ack[16:], 17, "tcp_pair_ack"),
                     registered(window + (PROTO_TCP + 20 + (0x50 << 8 | TCP_FLAGS)), 17, "tcp_fixed"))
        addresses = registered(ip_pair[0] + ip_pair[1], 18, "ip_addresses")
        ip_const = registered(addresses + ip_fixed, 20, "ip_const")
        tcp_const = registered(addresses + ((tcp_pairs[0] + tcp_pairs[1]) + tcp_pairs[2]), 21, "tcp_const")

        # ---- in: store the payload, measure it -------------------------------------------------
        # The beat goes into the store as it is taken; a registered copy of it is measured the
        # next cycle (its byte count, and each of its four big-endian words added to its lane's
        # sum: one two-input add each), so no adder sits behind the input port. A frame's length
        # and lane sums are queued that next cycle; no beat is taken while that write is pending,
        # so the queue's ``w_rdy`` seen when the last beat was taken still holds (one cycle a frame).
        beat = self.i.payload
        keep_mask = Cat(*(beat.keep[k].replicate(8) for k in range(8)))
        clean = beat.data & keep_mask                   # bytes past keep are zero in the sum and on the wire
        acc_len = Signal(lbits)
        acc_lanes = [Signal(lane, name=f"acc_lane{k}") for k in range(4)]
        acc_beats = Signal(range(depth + 1))
        dropping = Signal()
        r_data, r_nbytes = Signal(64), Signal(4)
        # measured now; its frame ends with it (so it is measured too: the queue's write enable is
        # this register); the frame is too long
        r_take, r_end, r_drop = Signal(name="r_take"), Signal(name="r_end"), Signal(name="r_drop")
        # Whether a beat can be stored, from registers only: one LUT to the store's write enable
        # and to ``ready`` (the encoder's output stage reads it), where the ready, the take and
        # the store's enable in series were five levels
        store = kept(m, self.i.valid & ~dropping & fifo.w_rdy & meta.w_rdy & ~r_end, "rx_store")
        take = self.i.valid & self.i.ready
        m.d.comb += [self.i.ready.eq(kept(m, dropping | (fifo.w_rdy & meta.w_rdy & ~r_end), "rx_ready")),
                     fifo.w_data.eq(Cat(clean, beat.keep)), fifo.w_en.eq(store)]
        full_frame = acc_beats == depth - 1             # this beat fills the store
        # keep is low bits set (checked below), so its count is the highest set bit's position + 1;
        # counted from the port and registered: from the registered keep, this mux chain and the
        # length's add into the meta store's write data were the routed critical path (6.04 ns)
        nbytes = Const(0, 4)
        for k in range(8):
            nbytes = Mux(beat.keep[k], k + 1, nbytes)
        m.d.sync += [r_data.eq(clean), r_nbytes.eq(nbytes), r_take.eq(store),
                     r_end.eq(store & (beat.last | full_frame)), r_drop.eq(~beat.last)]
        with m.If(take & ~beat.last & (beat.keep != 0xFF)):
            m.d.sync += self.bad_beat.eq(1)         # only a frame's last beat may be partial
        # Written as one small function each (in an If chain under ``store`` they came out of abc
        # as four LUT levels): this beat fills the store and its frame goes on, so it is dropped
        # to its last beat (taken at once while dropping)
        overflow = store & full_frame & ~beat.last
        with m.If(overflow):
            m.d.sync += self.too_long.eq(1)
        m.d.sync += dropping.eq(Mux(dropping, ~(self.i.valid & beat.last), overflow))
        with m.If(store):
            m.d.sync += acc_beats.eq(Mux(beat.last | full_frame, 0, acc_beats + 1))

        words = [Cat(r_data[16 * k + 8:16 * k + 16], r_data[16 * k:16 * k + 8]) for k in range(4)]   # big-endian
        entry = Signal(meta_layout)
        m.d.comb += [entry.length.eq(acc_len + r_nbytes), meta.w_data.eq(entry),
                     entry.drop.eq(r_drop), meta.w_en.eq(r_end)]
        m.d.comb += [entry.lanes[k].eq(acc_lanes[k] + words[k]) for k in range(4)]
        beats_in = Signal(range(depth + 1))             # the frame's beats, counted at the measuring stage
        m.d.comb += entry.beats.eq(beats_in + 1)
        with m.If(r_end):
            m.d.sync += [acc_len.eq(0), beats_in.eq(0)] + [a.eq(0) for a in acc_lanes]
        with m.Elif(r_take):
            m.d.sync += [acc_len.eq(entry.length), beats_in.eq(entry.beats)]
            m.d.sync += [a.eq(entry.lanes[k]) for k, a in enumerate(acc_lanes)]

        # ---- out: a header is prepared (checksums) while the packet ahead is sent ---------------
        # prepare: IDLE -> SUM -> TOTAL -> FOLD -> LOAD, which stages the header (or a drop) for
        # the sender; the sender takes a staged job the cycle it finishes the packet ahead, so
        # packets follow each other without an idle cycle
        cur = Signal(meta_layout)
        seq_used, id_used = Signal(32), Signal(16)
        staged = Signal()                               # a job waits for the sender
        st_hdr, st_beats, st_drop = Signal(8 * HEADER_BYTES), Signal(range(depth + 1), name="st_beats"), Signal(name="st_drop")
        st_rem, st_keep = Signal(range(depth + 10), name="st_rem"), Signal(8, name="st_keep")
        take_job = Signal()                             # the sender takes the staged job this cycle
        # a job taken leaves the stage empty (the preparer stages only into an empty stage, so
        # nothing reaches its enables from the sender's logic; it has the packet ahead's beats,
        # at least 8, to prepare the next header in 5 cycles)
        with m.If(take_job):
            m.d.sync += staged.eq(0)

        # The sums, one two-input add a step, each step's registers loaded every cycle (the
        # steps follow each other with no wait, so a step reads the values of the cycle before):
        # IDLE, from the queue's head as it is read and the seq / id taken with it
        head = data.View(meta_layout, meta.r_data)
        lanes01 = registered(head.lanes[0] + head.lanes[1], lane + 1, "lanes01")
        lanes23 = registered(head.lanes[2] + head.lanes[3], lane + 1, "lanes23")
        tcp_seq_lo = registered(tcp_const + seq[:16], 22, "tcp_seq_lo")
        seq_hi_len = registered(seq[16:] + head.length, 17, "seq_hi_len")
        ip_with_id = registered(ip_const + ip_id, 21, "ip_with_id")
        # SUM
        lanes = registered(lanes01 + lanes23, lane + 2, "lanes")
        tcp_rest = registered(tcp_seq_lo + seq_hi_len, 23, "tcp_rest")
        ip_sum = registered(ip_with_id + cur.length, 22, "ip_sum")
        total_bytes = HEADER_BYTES + cur.length
        padded = registered(Mux(total_bytes < MIN_FRAME, MIN_FRAME, total_bytes),
                            len(Const(HEADER_BYTES + 8 * depth)), "padded")   # padded to MIN_FRAME
        ip_len = registered(40 + cur.length, 16, "ip_len")
        # TOTAL
        tcp_sum = registered(lanes + tcp_rest, 24, "tcp_sum")
        ip_fold = registered(ip_sum[:16] + ip_sum[16:], 17, "ip_fold")
        seq_next = registered(seq_used + cur.length, 32, "seq_next")
        id_next = registered(id_used + 1, 16, "id_next")
        rem = registered((padded - 1) >> 3, len(st_rem), "rem")               # beats after the first
        last_keep_next = registered(Mux(padded[:3] == 0, 0xFF, (Const(1, 9) << padded[:3]) - 1), 8, "keep_next")
        # FOLD
        tcp_fold = registered(tcp_sum[:16] + tcp_sum[16:], 17, "tcp_fold")
        ip_fold2 = registered(ip_fold[:16] + ip_fold[16:], 16, "ip_fold2")
        # LOAD: folded again (a carry out of the first fold, at most 0xFF, takes no further carry)
        ip_csum = ~ip_fold2
        tcp_csum = ~(tcp_fold[:16] + tcp_fold[16:])[:16]

        # the FSM as a state register and If chains (m.FSM's case has no default: CASEINCOMPLETE)
        IDLE, SUM, TOTAL, FOLD, LOAD = range(5)
        prep = Signal(3, name="prepare_state")
        with m.If(prep == IDLE):
            with m.If(meta.r_rdy & ~staged):
                m.d.comb += meta.r_en.eq(1)
                # this packet's seq and id, so its header and checksum agree whatever the host writes
                m.d.sync += [cur.eq(head), seq_used.eq(seq), id_used.eq(ip_id)]
                with m.If(head.drop):
                    m.d.sync += [staged.eq(1), st_drop.eq(1), st_beats.eq(head.beats)]
                with m.Else():
                    m.d.sync += prep.eq(SUM)
        with m.Elif(prep == SUM):
            m.d.sync += prep.eq(TOTAL)
        with m.Elif(prep == TOTAL):
            m.d.sync += prep.eq(FOLD)
        with m.Elif(prep == FOLD):
            m.d.sync += prep.eq(LOAD)
        with m.Else():
            header = (_be(dst_mac, 6) + _be(src_mac, 6) + _be(Const(ETHERTYPE_IPV4, 16), 2)
                      + [Const(0x45, 8), Const(0, 8)] + _be(ip_len, 2) + _be(id_used, 2)
                      + _be(Const(IP_FLAGS, 16), 2) + [ttl, Const(PROTO_TCP, 8)] + _be(ip_csum, 2)
                      + _be(src_ip, 4) + _be(dst_ip, 4)
                      + _be(ports, 4) + _be(seq_used, 4) + _be(ack, 4) + [Const(0x50, 8), Const(TCP_FLAGS, 8)]
                      + _be(window, 2) + _be(tcp_csum, 2) + [Const(0, 8)] * 2)
            assert len(header) == HEADER_BYTES
            # the stage is empty here: only the preparer fills it, and it left IDLE on an empty one
            m.d.sync += [staged.eq(1), st_drop.eq(0), st_hdr.eq(Cat(*header)), st_beats.eq(cur.beats),
                         st_rem.eq(rem), st_keep.eq(last_keep_next), prep.eq(IDLE)]
            with m.If(~host_seq):
                m.d.sync += seq.eq(seq_next)
            with m.If(~host_id):
                m.d.sync += ip_id.eq(id_next)

        # send: header beats, then the payload shifted by 6 bytes, one beat a cycle
        # The beat is built from registers only: whether it is a header beat (a 6-bit shift
        # register), whether payload beats remain, whether it is the packet's last (worked out a
        # beat ahead, from down-counters compared with constants), and the output is a skid
        # register (hw/skid.py), so tready reaches no enable.
        o = self.m_axis
        m.d.comb += o.tuser.eq(0)
        hdr = Signal(8 * HEADER_BYTES)                  # shifts down 64 bits a beat
        last_keep = Signal(8)
        beats_left = Signal(range(depth + 10))          # beats of the packet after this one
        payload_left = Signal(range(depth + 1))         # payload beats still to be read
        drop_left = Signal(range(depth + 1))
        header_left = Signal(6)                         # bit 0: this beat is a header beat
        more = Signal()                                 # payload beats remain to be read
        at_last = Signal()                              # this beat is the packet's last
        sending, dropping_out = Signal(name="sending"), Signal(name="dropping_out")
        room = Signal(init=1)
        push = kept(m, sending & room, "tx_push")
        # the job is taken when the sender is free or sends its last beat: one LUT of registers
        m.d.comb += take_job.eq(staged & ((~sending & ~dropping_out) | (sending & room & at_last)))

        in_header = header_left[0]
        payload = Mux(more, fifo.r_data[:64], 0)
        word = Cat(hdr[:48], Mux(in_header, hdr[48:64], payload[:16]))
        record = Cat(word, Mux(at_last, last_keep, 0xFF), at_last)
        main = skid_output(m, _Stream(o), record, push, room)
        m.d.comb += [o.tdata.eq(main[:64]), o.tkeep.eq(main[64:72]), o.tlast.eq(main[72])]

        with m.If(dropping_out):
            m.d.comb += fifo.r_en.eq(1)
            m.d.sync += [drop_left.eq(drop_left - 1), dropping_out.eq(drop_left != 1)]
        with m.Elif(push):
            m.d.sync += [beats_left.eq(beats_left - 1), at_last.eq(beats_left == 1),
                         header_left.eq(header_left >> 1)]
            with m.If(~in_header):
                with m.If(more):
                    m.d.comb += fifo.r_en.eq(1)
                    m.d.sync += [payload_left.eq(payload_left - 1), more.eq(payload_left != 1)]
            with m.If(at_last):
                m.d.sync += self.packets.eq(self.packets + 1)
        with m.If(take_job):
            m.d.sync += [beats_left.eq(st_rem), last_keep.eq(st_keep), payload_left.eq(st_beats),
                         drop_left.eq(st_beats), header_left.eq(0b111111), more.eq(1), at_last.eq(0),
                         dropping_out.eq(st_drop)]
        # The header shift register (432 flip-flops) has an enable of two registers: it loads the
        # stage whenever the sender is idle or sends a last beat (a job is taken only then; loading
        # one that is not is harmless, the register is reloaded before a packet), and moves while
        # a beat is pushed. As ``take_job | push`` its enable was the routed critical path (6.05 ns:
        # ``at_last`` -> four LUT4s -> the enable, 1.48 ns of routing to its loads).
        with m.If(~sending | room):
            with m.If(~sending | at_last):
                m.d.sync += hdr.eq(st_hdr)
            with m.Elif(in_header):
                m.d.sync += hdr.eq(hdr >> 64)
            with m.Else():
                m.d.sync += hdr[:48].eq(payload[16:])
        # sending, as one function of six registers (in the If chains above it came out of abc as
        # four LUT levels behind ``tx_push``)
        m.d.sync += sending.eq(Mux(take_job, ~st_drop, sending & ~(room & at_last)))

        # the host's writes of seq / ip_id (they win over the advance of a packet loaded meanwhile)
        with m.If(host_seq):
            m.d.sync += seq.eq(w.wdata)
        with m.If(host_id):
            m.d.sync += ip_id.eq(w.wdata[:16])
        return m
