"""``wirespeed gateway --config FILE``: the gateway as a service.

Starts the venue sessions, the client acceptor, the admin interface and (if
enabled) the metrics endpoint, and prints one ``listening`` line for each so a
supervisor or a test knows the ports. SIGTERM / SIGINT stop it cleanly:
cancel-on-disconnect rules applied, the audit trail and stores flushed, the latency
table printed. SIGUSR1 prints the latency table without stopping.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys

from wirespeed.symbols import table_from_config

from .admin import AdminServer
from .report import write_dump
from .server import Gateway, VenueEndpoint
from .service_config import ServiceConfig, load_service_config
from .transport import install_uvloop, pin_cpus, tune_gc

log = logging.getLogger("wirespeed.service")


def build_gateway(cfg: ServiceConfig) -> Gateway:
    core = cfg.core()
    audit = cfg.audit.trail()
    return Gateway(
        core, clients=tuple(c.comp_id for c in cfg.clients), symbols=table_from_config(cfg.symbols),
        venues=[VenueEndpoint(v.name, v.host, v.port, v.comp_id, v.rate_limit, v.protocol, v.username, v.password,
                              v.credit_limit, encoder=v.encoder, reset_on_logon=v.reset_on_logon,
                              store_path=v.store_path) for v in cfg.venues],
        routes={c.comp_id: c.route for c in cfg.clients if c.route}, audit=audit,
        cancel_on_disconnect={c.comp_id: c.cancel_grace_s for c in cfg.clients if c.cancel_on_disconnect},
        client_rates={c.comp_id: c.rate_limit for c in cfg.clients if c.rate_limit},
        client_latency={c.comp_id: (c.max_latency_s, c.check_latency, c.backlog_credit) for c in cfg.clients},
        client_credit={c.comp_id: c.credit_limit for c in cfg.clients if c.credit_limit}, transport=cfg.transport,
        retain_finished=cfg.retention.finished_orders, stored_messages=cfg.retention.stored_messages,
        client_stored_messages=cfg.retention.client_stored_messages,
        client_memory_messages=cfg.retention.client_memory_messages,
        client_store_directory=cfg.retention.client_store_directory)


def recover_orders(gateway: Gateway, cfg: ServiceConfig):
    """A previous run's orders rebuilt from the audit trail in ``cfg.audit.directory``
    (gateway/order_recovery.py), as the desk service does: the venue links exist, nothing is
    connected yet, so what the venues send after their Logons (resends, status answers) finds its
    orders. A trail that cannot be read is a ConfigError naming file:line; the trail's lock is let
    go first (nothing started)."""
    if not cfg.audit.directory:
        return None
    try:
        return gateway.orders.recover_from_trail(cfg.audit.directory, dict(gateway.acceptor.sessions))
    except BaseException:
        gateway.orders.audit.close()
        raise


async def serve(cfg: ServiceConfig, stop: asyncio.Event, out=sys.stdout) -> Gateway:
    if cfg.transport.cpu_affinity:
        pin_cpus(cfg.transport.cpu_affinity)     # (logged if refused; the service runs unpinned)
    gateway = build_gateway(cfg)
    recover_orders(gateway, cfg)
    port = await gateway.start()
    tune_gc()      # as the engine does: startup objects frozen, collections rare on the hot path
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    say(f"listening fix {cfg.gateway.host}:{port} clients: {', '.join(c.comp_id for c in cfg.clients)}")
    for name, link in gateway.orders.venues.items():
        init = gateway.initiators[name]
        say(f"venue {name} {init.host}:{init.port} {'logged on' if link.session.active else 'not logged on'}")
    admin = None
    if cfg.admin.enabled:
        admin = AdminServer(gateway, cfg.admin.host, cfg.admin.port)
        say(f"listening admin {cfg.admin.host}:{await admin.start()}")
    metrics = None
    if cfg.metrics.enabled:
        from .metrics import start_metrics
        metrics, mport = start_metrics(gateway, cfg.metrics.host, cfg.metrics.port)
        say(f"listening metrics {cfg.metrics.host}:{mport}")
    loop = asyncio.get_running_loop()
    def latency_table() -> None:
        say(gateway.orders.drain_latency().table("us"))
        if cfg.audit.directory:
            say(f"latency dump {write_dump(gateway.orders.latency, cfg.audit.directory)}")
    loop.add_signal_handler(signal.SIGUSR1, latency_table)
    try:
        await stop.wait()
    finally:
        if admin is not None:
            await admin.stop()
        if metrics is not None:
            metrics.shutdown()
            metrics.server_close()
        await gateway.stop()
        latency_table()
    return gateway


def run_until_signalled(serve_fn, cfg) -> None:
    """``await serve_fn(cfg, stop)`` on a uvloop loop, ``stop`` set by SIGINT or SIGTERM (the
    gateway's service and the control plane's desk service both run so)."""
    install_uvloop()

    async def run():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_fn(cfg, stop)
    asyncio.run(run())


def main(config: str) -> int:
    cfg = load_service_config(config)      # a ConfigError names the key; the CLI exits 2
    run_until_signalled(serve, cfg)
    return 0
