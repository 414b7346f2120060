"""Drives a ``PathSelector`` from the gateway's venue links: TestRequest probes on every path's
session, answers read from the session's ``test_answers``, link state seen as up/down.

Times are wall-clock ``perf_counter_ns`` style (``wirespeed.clock.now_ns``): round trips are real
network time even when the market runs on an accelerated clock.
"""
from __future__ import annotations

import asyncio
import itertools
import logging

from wirespeed.clock import now_ns

from .selector import PathSelector

log = logging.getLogger("wirespeed.control.paths")


class PathProber:
    def __init__(self, orders, selectors: list[PathSelector]):
        self.orders = orders
        self.selectors = selectors
        self._ids = itertools.count(1)
        self._task: asyncio.Task | None = None
        self._logged: dict[int, int] = {}

    def step(self) -> None:
        """One round: collect answers, time out old probes, send new ones, follow link states."""
        now = now_ns()
        for sel in self.selectors:
            for name, p in sel.paths.items():
                link = self.orders.venues.get(name)
                if link is None:
                    continue
                session = link.session
                answers = getattr(session, "test_answers", None)
                if answers is not None:
                    for pid in list(p.outstanding):
                        t = answers.pop(pid, None)
                        if t is not None:
                            sel.on_probe_answer(name, pid, t)
                if link.state == "down":
                    sel.on_down(name, now)
                    continue
                sel.on_up(name, now)
                if answers is not None and link.state == "up":
                    pid = f"probe{next(self._ids)}"
                    try:
                        session.send_test_request(pid)
                        sel.on_probe_sent(name, pid, now_ns())
                    except RuntimeError:
                        sel.on_down(name, now)
            sel.on_tick(now_ns())
            for ev in sel.events[self._logged.get(id(sel), 0):]:
                log.warning("path %s: %s -> %s (%s)", ev.venue, ev.old, ev.new, ev.reason)
            self._logged[id(sel)] = len(sel.events)

    async def run(self) -> None:
        interval = min(s.config.probe_interval_s for s in self.selectors)
        while True:
            try:
                self.step()
            except Exception:  # pragma: no cover - probing must outlive one bad round
                log.exception("path probe round failed")
            await asyncio.sleep(interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
