"""The gateway process: client acceptor, order path, risk backend and the venue initiator, from config."""
from __future__ import annotations

import logging

from wirespeed.config import WirespeedConfig
from wirespeed.symbols import SymbolTable, table_from_config

from .acceptor import FixAcceptor
from .initiator import FixInitiator
from .orders import OrderGateway
from .risk import make_backend
from .session import Session, SessionConfig

log = logging.getLogger("wirespeed.gateway")


class Gateway:
    """Accepts client FIX sessions on ``config.gateway`` and routes to the venue at ``venue_port``.

    ``clients`` lists the client CompIDs allowed to log on; a Logon from any other
    CompID is refused without a reply.
    """

    def __init__(self, config: WirespeedConfig, venue_port: int, clients: tuple[str, ...] = ("CLIENT1",),
                 symbols: SymbolTable | None = None):
        self.config = config
        self.symbols = symbols or table_from_config(config.symbols)
        self.risk = make_backend(config.risk, self.symbols)
        self.orders = OrderGateway(self.symbols, self.risk)
        gw = config.gateway
        sessions = {c: Session(SessionConfig(sender_comp_id=gw.comp_id, target_comp_id=c, role="acceptor",
                                             heartbeat_s=gw.heartbeat_s, max_message_bytes=gw.max_message_bytes),
                               self.orders.client_app) for c in clients}
        self.acceptor = FixAcceptor(gw.host, gw.port, sessions=sessions, max_message_bytes=gw.max_message_bytes)
        venue_session = Session(SessionConfig(sender_comp_id=gw.comp_id, target_comp_id=config.venue.comp_id,
                                              role="initiator", heartbeat_s=gw.heartbeat_s),
                                self.orders.venue_app)
        self.orders.venue = venue_session
        self.initiator = FixInitiator(venue_session, config.venue.host, venue_port)

    async def start(self, venue_timeout: float = 5.0) -> int:
        await self.initiator.start()
        if not await self.initiator.wait_logged_on(venue_timeout):
            log.warning("venue session not logged on after %.1fs; orders will be rejected (no_venue)", venue_timeout)
        return await self.acceptor.start()

    @property
    def port(self) -> int:
        return self.acceptor.port

    async def stop(self) -> None:
        self.orders.stopping = True
        await self.acceptor.stop()
        await self.initiator.stop()
