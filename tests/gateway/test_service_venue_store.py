"""``[[venues]] store_path`` / ``reset_on_logon`` of the standalone ``wirespeed gateway``: QuickFIX's
FileStorePath and ResetOnLogon for a venue session, as the control plane's paths have them."""
import asyncio
import io
import re

import pytest

from wirespeed.config import ConfigError
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.service import build_gateway, serve
from wirespeed.gateway.service_config import load_service_config
from wirespeed.gateway.store import FileStore, MemoryStore

from .conftest import run_async
from .test_service import _ports, _venues, service_toml


def _venue_keys(tmp_path, xnas: str, ports=(1, 2)) -> str:
    path = service_toml(tmp_path, ports, audit=False)
    text = open(path).read().replace('comp_id = "XNAS"\n', f'comp_id = "XNAS"\n{xnas}', 1)
    open(path, "w").write(text)
    return path


@pytest.mark.parametrize("keys,message", [
    ("store_path = 5\n", "venues[0].store_path: must be a string, not 5"),
    ('store_path = "a\\u0000b"\n', "venues[0].store_path: must be a folder path (QuickFIX's FileStorePath)"),
    ('reset_on_logon = "N"\n', "venues[0].reset_on_logon: must be true or false, not 'N'"),
    ('protocol = "ouch"\nusername = "U"\nstore_path = "s"\n',
     "venues[0].store_path: an OUCH venue keeps no FIX store"),
])
def test_a_bad_venue_store_key_is_named(tmp_path, keys, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_service_config(_venue_keys(tmp_path, keys))


def test_the_keys_reach_the_venue_session(tmp_path):
    store = tmp_path / "store"
    gw = build_gateway(load_service_config(_venue_keys(tmp_path, f'store_path = "{store}"\nreset_on_logon = false\n')))
    try:
        xnas, xnys = gw.orders.venues["XNAS"].session, gw.orders.venues["XNYS"].session
        assert isinstance(xnas.store, FileStore) and xnas.store.dir == store / "FIX.4.4-GW-XNAS"
        assert xnas.config.reset_on_logon is False
        # The other venue keeps the defaults: memory, a reset at every Logon (the gateway as it was).
        assert isinstance(xnys.store, MemoryStore) and xnys.config.reset_on_logon is True
        # A second gateway on the same store is refused, naming the venue and the key.
        with pytest.raises(ConfigError, match=r"venue XNAS: store_path: .*another process .* holds this store"):
            build_gateway(load_service_config(_venue_keys(tmp_path, f'store_path = "{store}"\n')))
    finally:
        gw.close_stores()
    build_gateway(load_service_config(_venue_keys(tmp_path, f'store_path = "{store}"\n'))).close_stores()


@run_async(timeout=60)
async def test_a_restarted_gateway_resumes_the_venue_s_numbers(tmp_path):
    """With a store and no reset, the second run's Logon goes on from the first run's numbers."""
    venues = await _venues()
    store = tmp_path / "store"
    path = _venue_keys(tmp_path, f'store_path = "{store}"\nreset_on_logon = false\n', [v.port for v in venues])
    seqs = []
    for run in range(2):
        out, stop = io.StringIO(), asyncio.Event()
        task = asyncio.create_task(serve(load_service_config(path), stop, out))
        while "listening admin" not in out.getvalue():
            await asyncio.sleep(0.01)
        c = FixClient("CLIENT2", "GW", "127.0.0.1", _ports(out.getvalue())["fix"])
        await c.start()
        c.new_order(f"S{run}", "AAPL", "1", 10, "190.00", extra=[(100, "XNAS")])
        assert (await c.wait_report(f"S{run}"))[0][T.ExecType] == "0"     # the venue took it
        await c.stop()
        stop.set()
        gw = await task
        seqs.append(gw.orders.venues["XNAS"].session.store.next_sender_seq)
    reopened = FileStore(store, "FIX.4.4-GW-XNAS")
    try:
        assert reopened.next_sender_seq == seqs[1] > seqs[0] > 1
        # The second run's Logon (its first message) carries the number after the first run's last.
        first_of_run2 = reopened.get_sent(seqs[0], seqs[0])
        assert first_of_run2 and b"\x0135=A\x01" in first_of_run2[0][1] and b"\x01141=Y" not in first_of_run2[0][1]
    finally:
        reopened.close()
    for v in venues:
        await v.stop()
