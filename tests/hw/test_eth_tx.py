"""EthTx in the Amaranth simulator: OUCH and FIX orders (the software encoders' bytes) framed into
Ethernet/IPv4/TCP, every packet parsed and checksum-verified by dpkt, bit for bit against the
model (hw/eth/headers.packet), contiguous under backpressure; bad input flagged."""
import random

import pytest

from wirespeed.hw.eth.headers import REGS, TcpConnection, packet
from wirespeed.hw.eth.tx import FIRST_BEAT, EthTx
from wirespeed.hw.verify.eth_bench import run
from wirespeed.layout import BEAT

from .eth_check import check_packet
from .test_fix_encoder import random_symbols as fix_symbols, software as fix_software
from .test_ouch_encoder import random_decision, random_symbols, software_frame

pytestmark = pytest.mark.hw
CONN = TcpConnection("02:00:5e:00:00:01", "0c:c4:7a:10:20:30", "192.168.7.10", "10.20.30.40", 49152, 15000,
                     seq=0xFFFFFF80, ack=0x12345678, window=29200, ttl=63, ip_id=0xFFFE)


def order_payloads(rng, n: int) -> list[bytes]:
    """Encoded orders as the gateway's software encoders write them: OUCH and FIX interleaved."""
    ouch, fix = random_symbols(rng), fix_symbols(rng)
    out = []
    for i in range(n):
        d = {**random_decision(rng, i), "accept": 1}
        out.append(software_frame(d, ouch) if i % 2 else fix_software(d, fix, 1000 + i))
    return out


def expect(res, payloads, conn=CONN):
    seq, ip_id = conn.seq, conn.ip_id
    assert len(res.packets) == len(payloads)
    for frame, p in zip(res.packets, payloads):
        check_packet(frame, conn, seq, ip_id, p)
        assert frame == packet(conn, p, seq, ip_id)
        seq, ip_id = (seq + len(p)) % 2**32, (ip_id + 1) % 2**16
    assert (res.flags["seq"], res.flags["ip_id"], res.flags["packets"]) == (seq, ip_id, len(payloads))


@pytest.mark.parametrize("idle,backpressure", [(0.0, 0.0), (0.3, 0.4)], ids=["back-to-back", "idle+backpressure"])
def test_orders_framed_checksummed_and_contiguous(idle, backpressure):
    rng = random.Random(int(10 * idle + 100 * backpressure))
    payloads = order_payloads(rng, 8) + [b"\x01", bytes(range(6)), bytes(7)]      # short ones are padded to 60
    res = run(EthTx(32), CONN, payloads, idle=idle, backpressure=backpressure, seed=3)
    expect(res, payloads)
    assert res.gaps == 0                      # tvalid held from the first beat to tlast
    assert res.flags["err"] == res.flags["too_long"] == res.flags["bad_beat"] == 0


def test_first_beat_nine_cycles_after_the_payload_and_packets_back_to_back():
    res = run(EthTx(32), CONN, [bytes(50)] * 4)
    assert res.first_out[0] - res.last_in[0] == FIRST_BEAT
    assert [e - f for f, e in zip(res.first_out, res.last_out)] == [12] * 4       # 104 bytes: 13 beats
    # the next header is prepared while a packet is sent: no idle cycle between packets
    assert [f - e for e, f in zip(res.last_out, res.first_out[1:])] == [1] * 3


def test_host_reloads_seq_for_a_retransmission():
    p = [b"A" * 20, b"B" * 30]
    first = run(EthTx(32), CONN, p)
    expect(first, p)
    again = run(EthTx(32), CONN, p, writes=[(REGS["seq"], CONN.seq)])     # same seq: the same packets again
    assert again.packets == first.packets


def test_unknown_register_sets_err_and_changes_nothing():
    p = [b"xyz" * 10]
    res = run(EthTx(32), CONN, p, writes=[(12, 0xDEAD), (15, 0xBEEF)])
    expect(res, p)
    assert res.flags["err"] == 1


def test_payload_longer_than_the_store_is_dropped_and_flagged():
    long_frame = bytes(range(256)) + b"tail"                  # 33 beats into a 32-beat store
    p = [b"before", long_frame, b"after" * 9]
    res = run(EthTx(32), CONN, p, n_packets=2)
    assert res.flags["too_long"] == 1
    conn = CONN
    check_packet(res.packets[0], conn, conn.seq, conn.ip_id, p[0])
    check_packet(res.packets[1], conn, (conn.seq + 6) % 2**32, (conn.ip_id + 1) % 2**16, p[2])


def test_partial_beat_inside_a_frame_is_flagged():
    words = [BEAT.pack({"data": 0x4142, "keep": 0x03, "last": 0}), BEAT.pack({"data": 0x43, "keep": 0x01, "last": 1})]
    res = run(EthTx(32), CONN, [b"?"], raw_beats=words)
    assert res.flags["bad_beat"] == 1


@pytest.mark.parametrize("field,value,message", [
    ("src_mac", "02:00:00:00:01", "src_mac: a MAC address is six hex pairs"),
    ("dst_ip", "10.0.0.256", "dst_ip: not an IPv4 address"),
    ("src_port", 70000, "src_port: must be an integer in 0..65535"),
    ("dst_port", 0, "port 0"),
    ("seq", -1, "seq: must be an integer in 0..4294967295"),
])
def test_connection_validation_names_the_field(field, value, message):
    kw = {"src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02", "src_ip": "10.0.0.1", "dst_ip": "10.0.0.2",
          "src_port": 1, "dst_port": 2, field: value}
    with pytest.raises(ValueError, match=message):
        TcpConnection(**kw)
