"""The trail's gate in the write batcher (transport/tcp.py ``WriteBatcher``), at the unit level:
when the journal fails, no connection's bytes that were collected before the failure was seen
reach its transport (every one of them is gated: taken back or held), and the take-back of a
connection that is still behind the gate (``_stale``) does not spin the loop re-sending."""
import asyncio

import pytest

from wirespeed.gateway.transport import WriteBatcher

from .conftest import run_async
from .test_write_batcher_reads import Transport


class Gated:
    trail_gated = True


class Proto:
    def __init__(self, wire, name):
        self.transport, self.session = Transport(name, wire), Gated()


@pytest.mark.parametrize("per_turn", [False, True], ids=["per_read", "per_turn"])
@run_async
async def test_a_failure_met_by_one_connection_gates_every_connection_collected_with_it(per_turn):
    """Two clients' reports collected in one read (a venue read with fills for both): the gate fails
    on the first; the second's bytes, numbered before the failure was seen, are not in the journal
    either and must not reach the client (held, or offered to take_back). Per read the gate is met
    at the read's end; per turn (the default) at the turn's flush."""
    wire, offered = [], []
    b = WriteBatcher(per_turn=per_turn)
    b.gate = lambda: False
    b.take_back = lambda proto, data: offered.append((proto.transport.name, data)) or False
    one, two, three = Proto(wire, "one"), Proto(wire, "two"), Proto(wire, "three")
    b.begin_read()
    b.write(one, b"report1;")
    b.write(two, b"report2;")
    b.write(three, b"report3;")
    b.end_read()
    if per_turn:
        assert wire == [] and offered == []       # (collected: the turn's flush is not yet due)
        await asyncio.sleep(0)                     # the turn's flush: the gate fails there
    assert wire == []                              # nothing the trail does not have reached a client
    assert sorted(n for n, _ in offered) == ["one", "three", "two"]
    assert b.held() == len(b"report1;report2;report3;")
    b.gate = lambda: True                          # the journal writes again: all of it, in order
    b.release()
    assert sorted(wire) == [("one", b"report1;"), ("three", b"report3;"), ("two", b"report2;")]
    b.write(one, b"hb;")                           # (and nothing is gated twice after it)
    await asyncio.sleep(0)
    assert wire[-1] == ("one", b"hb;")


@run_async
async def test_per_turn_a_failure_at_the_turn_s_flush_gates_what_every_read_of_the_turn_collected():
    """The default (``per_turn``): two venue reads in one loop turn, each with reports for clients;
    nothing is written until the turn's flush, whose gate fails: no byte of either read reaches a
    client (each collected write held or offered to take_back), and all of it goes out, in order
    per connection, once the journal writes again."""
    wire, offered = [], []
    b = WriteBatcher(per_turn=True)
    b.gate = lambda: False
    b.take_back = lambda proto, data: offered.append((proto.transport.name, data)) or False
    one, two = Proto(wire, "one"), Proto(wire, "two")
    b.begin_read()
    b.write(one, b"fill1;")
    b.write(two, b"fill2;")
    b.end_read()
    b.begin_read()
    b.write(one, b"fill3;")
    b.end_read()
    assert wire == [] and offered == []           # (collected: the turn's flush is not yet due)
    await asyncio.sleep(0)                         # the turn's flush: the gate fails there
    assert wire == []
    assert sorted(n for n, _ in offered) == ["one", "two"]
    assert b.held() == len(b"fill1;fill2;fill3;")
    b.gate = lambda: True
    b.release()
    assert sorted(wire) == [("one", b"fill1;fill3;"), ("two", b"fill2;")]


@pytest.mark.parametrize("per_turn", [False, True], ids=["per_read", "per_turn"])
@run_async
async def test_a_stale_connection_s_take_back_does_not_spin_the_loop(per_turn):
    """A session dropped with bytes held is gated on its next connection (``_stale``). While the
    journal still fails, its session traffic (here a Logon reply) must not be taken back and sent
    again every loop turn, each a failed journal flush and an error logged: it is held, once."""
    wire, gates = [], []
    b = WriteBatcher(per_turn=per_turn)

    def gate():
        gates.append(1)
        return False
    b.gate = gate

    def take_back(proto, data):        # as Gateway._take_back does for a session message:
        b.write(proto, data)           # sent again at once, with the number it had
        return True
    old = Proto(wire, "old")
    b.failing, b._held[old] = True, [b"reports;"]      # bytes the failure held, numbered (a resend)
    b.drop(old)                        # the client goes: its session stale
    b.take_back = take_back
    new = Proto(wire, "new")
    new.session = old.session          # and comes back on a new connection
    for _ in range(3):
        await asyncio.sleep(0)
    gates.clear()
    b.write(new, b"logon-reply;")
    for _ in range(50):
        await asyncio.sleep(0)
    assert len(gates) <= 2, f"{len(gates)} journal flushes in 50 loop turns"
    assert wire == []                  # (behind the gate, as any stale connection's bytes)
    b.gate = lambda: True
    b.release()
    assert wire == [("new", b"logon-reply;")]


def test_a_take_back_s_reports_go_before_the_reports_held_after_the_failure(tmp_path):
    """A second client's bytes gated after the failure was seen (``_unsure``): reports of the same
    read already went to ``OrderGateway._held`` (un-numbered, after the failure); the ones taken back
    were numbered before them, so they must be sent before them, not after (a fill after the fill
    that completes it otherwise)."""
    from types import SimpleNamespace

    from wirespeed.config import load_config
    from wirespeed.gateway.audit import AuditTrail
    from wirespeed.gateway.server import Gateway
    from wirespeed.symbols import table_from_config

    from .sessionkit import Peer

    config = load_config()
    gw = Gateway(config, 1, clients=("CLIENT1",), symbols=table_from_config(config.symbols),
                 audit=AuditTrail(tmp_path))
    try:
        peer = Peer()
        peer.logon()
        s = peer.session
        first = [(37, "O1"), (17, "E1"), (150, "F"), (39, "1"), (14, "5")]
        seq = s.send("8", first)
        (_, raw), = s.store.get_sent(seq, seq)
        later = [(37, "O1"), (17, "E2"), (150, "F"), (39, "2"), (14, "10")]
        gw.orders._held.append((s, "8", later))        # (held after the failure, un-numbered)
        assert gw._take_back(SimpleNamespace(session=s), raw)
        assert s.store.next_sender_seq == seq
        assert [(c, t, [(k, str(v)) for k, v in f]) for c, t, f in gw.orders._held] == \
            [(s, "8", [(k, str(v)) for k, v in first]), (s, "8", [(k, str(v)) for k, v in later])]
    finally:
        gw.orders.audit.close()
