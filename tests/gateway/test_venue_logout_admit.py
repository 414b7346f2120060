"""An order admitted while its venue session is logging out (our Logout sent, the venue's answer
not in yet: the link still reads "up") is refused with a reason, not booked and left unsent: the
session refuses application messages then, and the RuntimeError it raised escaped the order path
(the desk's timer, or the client's read) with the order booked, its risk reservation held.
Found by tests/control/test_live_paths.py under load: a desk child routed during the gateway's
stop."""
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.fix import tags as T

from .conftest import Stack, run_async


@run_async
async def test_an_order_routed_while_the_venue_session_logs_out_is_refused_not_left_unsent():
    async with Stack() as stack:
        orders = stack.gateway.orders
        name = stack.config.venue.name
        link = orders.venues[name]
        client = stack.gateway.acceptor.sessions["CLIENT1"]
        sym = stack.symbols.by_name("MSFT")
        px = sym.tick.parse_ticks("409.50")
        held = orders.risk.model.open_buy[sym.index]
        reports = []
        client.send = lambda mt, fields, *a, **k: reports.append((mt, dict(fields)))  # (no client connected)
        link.session.logout("stopping")                       # the Logout is out; the answer is not in
        assert link.state == "up"
        orders.on_new_order_fields(client, "L1", "MSFT", Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 10, px, name)
        assert not orders.working(), "booked but never sent"
        assert orders.risk.model.open_buy[sym.index] == held  # the reservation went back
        (mt, rep), = [r for r in reports if r[1].get(T.ClOrdID) == "L1"]
        assert mt == "8" and rep[T.ExecType] == "8" and f"venue {name} logging out" in rep[T.Text]
