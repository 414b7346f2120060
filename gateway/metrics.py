"""Prometheus metrics (prometheus-client), off unless the config gives them a port.

Nothing is counted twice: the order path keeps its counters and HDR histograms as it
always does, and a collector reads them when Prometheus scrapes, so metrics cost the
hot path nothing. Families (all prefixed ``wirespeed_``):

- ``orders_total{event}``            received, accepted, rejected, filled, canceled, replaced, ...
- ``rejects_total{reason}``          by the check's name (max_qty, kill_switch, no_venue, venue_reject, ...)
- ``fills_total``                    executions reported to clients
- ``working_orders{venue}``          orders resting at each venue
- ``session_up{role,name}``          1 when a client or venue session is logged on
- ``resend_gap_filled_total{name,cause}`` client messages a resend gap-filled: ``retention`` (the store's
                                     bound let them go), ``unreadable`` (an I/O error reading them back)
- ``client_store_dropped_total{name}`` messages a client store let go (bound, or a jump in numbers)
- ``latency_ns{hop,quantile}``       per-hop percentiles from the HDR histograms
- ``kill_switch``                    1 while the kill switch is on
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

QUANTILES = (50.0, 90.0, 99.0, 99.9)


class GatewayCollector:
    def __init__(self, gateway):
        self.gateway = gateway

    def collect(self):
        orders = self.gateway.orders
        c = CounterMetricFamily("wirespeed_orders", "order events", labels=["event"])
        for event, n in dict(orders.counts).items():
            c.add_metric([event], n)
        yield c
        r = CounterMetricFamily("wirespeed_rejects", "rejects by reason", labels=["reason"])
        for reason, n in dict(orders.rejects_by_reason).items():
            r.add_metric([reason], n)
        yield r
        yield CounterMetricFamily("wirespeed_fills", "executions reported to clients", value=orders.counts["fills"])
        w = GaugeMetricFamily("wirespeed_working_orders", "orders working at each venue", labels=["venue"])
        working: dict[str, int] = {name: 0 for name in orders.venues}
        for s in orders.working():
            working[s.venue] = working.get(s.venue, 0) + 1
        for venue, n in working.items():
            w.add_metric([venue], n)
        yield w
        up = GaugeMetricFamily("wirespeed_session_up", "1 when the session is logged on", labels=["role", "name"])
        for comp, s in self.gateway.acceptor.sessions.items():
            up.add_metric(["client", comp], int(s.active))
        for name, v in orders.venues.items():
            up.add_metric(["venue", name], int(v.session.active))
        yield up
        gap = CounterMetricFamily("wirespeed_resend_gap_filled", "messages a client resend gap-filled instead "
                                  "of resending them, by cause", labels=["name", "cause"])
        dropped = CounterMetricFamily("wirespeed_client_store_dropped", "sent messages a client store let go "
                                      "(its bound, or numbers that jumped past the spill's span)", labels=["name"])
        for comp, s in self.gateway.acceptor.sessions.items():
            gap.add_metric([comp, "retention"], s.resend_trimmed)
            gap.add_metric([comp, "unreadable"], s.resend_unreadable)
            dropped.add_metric([comp], getattr(s.store, "dropped", 0))
        yield gap
        yield dropped
        lat = GaugeMetricFamily("wirespeed_latency_ns", "per-hop latency percentiles", labels=["hop", "quantile"])
        for hop in list(orders.latency.hops):
            if orders.latency.count(hop):
                h = orders.latency.histogram(hop)
                for q in QUANTILES:
                    lat.add_metric([hop, f"{q / 100:g}"], h.get_value_at_percentile(q))
        yield lat
        yield GaugeMetricFamily("wirespeed_kill_switch", "1 while the kill switch is on", value=int(orders.killed))


def start_metrics(gateway, host: str, port: int):
    """Serve /metrics on ``host:port`` from a thread of prometheus-client's; returns (server, port)."""
    registry = CollectorRegistry()
    registry.register(GatewayCollector(gateway))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server, server.server_address[1]
