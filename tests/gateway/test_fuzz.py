"""Mutated messages against a live acceptor: it must answer or drop them, never fail,
and keep serving another session throughout; and the same mutations straight into a sans-IO
session, many more of them, where any exception fails the test.

``make test`` runs a few seconds of it; ``make test-fuzz`` (WIRESPEED_FUZZ_ROUNDS) runs longer."""
import logging
import os
import random
import re

import pytest

from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.encoder import frame

from .conftest import CfgEngine, run_async
from .rawfix import RawFix
from .sessionkit import Peer

ROUNDS = int(os.environ.get("WIRESPEED_FUZZ_ROUNDS", "1"))   # multiplies every run below

CFG = """
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=GW
SocketAcceptPort=0
MaxMessagesPerSecond=100000
MaxLogonsPerMinute=1000
[SESSION]
TargetCompID=GOOD
[SESSION]
TargetCompID=FUZZ
"""

NOS = [(11, "F1"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00"), (38, 10), (40, "2"), (44, "1.00"),
       (453, "1"), (448, "P"), (447, "D"), (452, "1")]


def mutate(rng: random.Random, raw: bytes) -> bytes:
    start, end = raw.index(b"35="), raw.rindex(b"10=")
    body = bytearray(raw[start:end])
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(11)
        i = rng.randrange(len(body))
        if op == 0:
            body[i] = rng.randrange(256)                              # random byte
        elif op == 1:
            del body[i:i + rng.randint(1, 8)]                         # deletion
        elif op == 2:
            body[i:i] = rng.choice([b"\x01", b"=", b"\x01=\x01", b"999999=", b"34=1\x01", b"35=\x01"])
        elif op == 3:
            body[i:i] = bytes(rng.randrange(32, 127) for _ in range(rng.randint(1, 20)))
        elif op == 4:
            body = body.replace(b"\x0138=10", b"\x0138=" + rng.choice([b"-1", b"1e9", b"", b"99999999999"]))
        elif op == 5:
            body[i:i] = b"\x0133=%d" % rng.randint(0, 5)              # a stray group count
        elif op == 6:                                                  # a number of any length
            tag = rng.choice([b"34", b"38", b"44", b"453", b"108", b"7", b"16", b"36"])
            digits = rng.choice([b"9" * rng.randint(10, 30), b"9" * 5000, b"-1", b"0", b"1" * 19])
            body = re.sub(rb"\x01" + tag + rb"=[^\x01]*", b"\x01" + tag + b"=" + digits, bytes(body), count=1)
            body = bytearray(body)
        elif op == 7:                                                  # a header field missing or empty
            tag = rng.choice([b"49", b"56", b"52", b"34"])
            body = bytearray(re.sub(rb"\x01" + tag + rb"=[^\x01]*", rng.choice([b"", b"\x01" + tag + b"="]),
                                    bytes(body), count=1))
        elif op == 8:                                                  # PossDup, with or without 122
            extra = rng.choice([b"43=Y\x01", b"43=Y\x01122=21000101-00:00:00\x01", b"97=Y\x01",
                                b"43=Y\x01122=20000101-00:00:00\x01"])
            j = body.index(b"\x01") + 1
            body[j:j] = extra
        elif op == 9:                                                  # a repeated group count
            body += rng.choice([b"453=x\x01453=1\x01", b"453=1\x01", b"453=99999999999999999999\x01"])
        else:                                                          # the first fields reordered
            body = bytearray(re.sub(rb"^(35=[^\x01]*\x01)(49=[^\x01]*\x01)", rb"\2\1", bytes(body)))
    if rng.random() < 0.7:
        return frame(b"FIX.4.4", bytes(body))                                   # valid frame: reaches the validator
    return raw[:start] + bytes(body) + raw[end:]                      # broken frame: must be dropped


@pytest.mark.parametrize("seed", [2026, 7, 99])
@run_async
async def test_fuzzed_session_never_breaks_the_acceptor(seed):
    rng = random.Random(seed)
    handler = _Collect()
    logging.getLogger("wirespeed").addHandler(handler)
    try:
        async with CfgEngine(CFG) as eng:
            good = await RawFix("GOOD", "GW").connect(eng.port)
            await good.logon()
            fuzz = None
            for round_ in range(60 * ROUNDS):
                if fuzz is None:
                    fuzz = await RawFix("FUZZ", "GW").connect(eng.port)
                    await fuzz.logon()
                for _ in range(10):
                    raw = _message(rng, fuzz)
                    try:
                        await fuzz.send_raw(mutate(rng, raw))
                    except (ConnectionError, OSError):
                        break
                # The fuzzed session may have been logged out; it must never take the good one with it.
                await good.send("1", [(112, f"alive-{round_}")])
                while True:
                    m = await good.recv(2.0)
                    if m.msg_type == "0" and m.get(T.TestReqID) == f"alive-{round_}":
                        break
                if await _drain_closed(fuzz):
                    fuzz = None
            await good.close()
    finally:
        logging.getLogger("wirespeed").removeHandler(handler)
    assert not handler.errors, handler.errors[:3]


def _message(rng: random.Random, peer) -> bytes:
    """Mostly orders; sometimes the admin messages whose numbers a hostile peer picks."""
    r = rng.random()
    if r < 0.8:
        return peer.build("D", NOS)
    if r < 0.9:
        return peer.build("2", [(7, rng.choice([1, 0, rng.randint(1, 10 ** 6)])), (16, rng.choice([0, 5, 10 ** 12]))])
    if r < 0.95:
        return peer.build("4", [(123, rng.choice("YN")), (36, rng.choice([1, peer.seq + rng.randint(0, 50)]))])
    peer.seq += rng.randint(1, 30)                                    # a gap: messages get queued
    return peer.build("1", [(112, "gap")])


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzzed_messages_never_raise_in_a_sans_io_session(seed):
    rng = random.Random(seed)
    answered = 0
    peer = None
    for _ in range(1500 * ROUNDS):
        if peer is None or peer.closed:
            peer = Peer(max_queued_messages=50)
            peer.logon()
        peer.feed(mutate(rng, _message(rng, peer)))   # an exception here fails the test
        if not peer.closed:
            out = peer.send("1", [(112, "alive")])
            answered += any(m.msg_type == "0" for m in out)
    assert answered > 100


async def _drain_closed(raw: RawFix) -> bool:
    try:
        while True:
            await raw.recv(0.05)
    except ConnectionError:
        await raw.close()
        return True
    except TimeoutError:
        return False


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.errors = []

    def emit(self, record):
        self.errors.append(record.getMessage())
