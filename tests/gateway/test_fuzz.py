"""Mutated messages against a live acceptor: it must answer or drop them, never fail,
and keep serving another session throughout."""
import logging
import random

import pytest

from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.fix.encoder import frame

from .conftest import CfgEngine, run_async
from .rawfix import RawFix

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
        op = rng.randrange(6)
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
        else:
            body[i:i] = b"\x0133=%d" % rng.randint(0, 5)              # a stray group count
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
            for round_ in range(60):
                if fuzz is None:
                    fuzz = await RawFix("FUZZ", "GW").connect(eng.port)
                    await fuzz.logon()
                for _ in range(10):
                    raw = fuzz.build("D", NOS)
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
