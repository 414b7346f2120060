"""A FIX engine from a QuickFIX-style .cfg: acceptors (one per address:port) and initiators."""
from __future__ import annotations

import logging
import ssl
from typing import Callable

from .acceptor import FixAcceptor
from .cfg import SessionSettings
from .initiator import FixInitiator
from .filelog import MessageLog
from .session import Application, Session
from .session.session import password_ok
from .store import FileStore, MemoryStore, StoreError
from .transport import Spinner, pin_cpus

log = logging.getLogger("wirespeed.engine")


def make_store(s: SessionSettings, session_id: str | None = None):
    store = MemoryStore() if s.FileStorePath is None else \
        FileStore(s.FileStorePath, session_id or s.session_id, s.FsyncPolicy)
    if not s.PersistMessages:
        # QuickFIX's PersistMessages=N: sent messages are not kept for resending, so every
        # ResendRequest is answered with SequenceReset-GapFill (the numbers are still kept).
        store.get_sent = lambda begin, end: []
        if isinstance(store, MemoryStore):
            def numbers_only(seq: int, raw: bytes, reply_to: int = 0) -> None:
                store.next_sender_seq = seq + 1   # nothing kept: memory stays flat
            store.save_sent = numbers_only
    return store


def _server_ssl(s: SessionSettings) -> ssl.SSLContext | None:
    if not s.SocketUseSSL:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(s.SSLCertificate, s.SSLPrivateKey)
    if s.SSLCACertificate:
        ctx.load_verify_locations(s.SSLCACertificate)
        ctx.verify_mode = ssl.CERT_REQUIRED   # mutual TLS
    return ctx


def _client_ssl(s: SessionSettings) -> ssl.SSLContext | None:
    if not s.SocketUseSSL:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=s.SSLCACertificate)
    ctx.check_hostname = False   # venues are addressed by IP; the certificate chain is still verified
    if s.SSLCertificate and s.SSLPrivateKey:
        ctx.load_cert_chain(s.SSLCertificate, s.SSLPrivateKey)
    return ctx


class Engine:
    """Owns every session of a .cfg. ``app_for(settings)`` gives each session its Application."""

    def __init__(self, settings: list[SessionSettings], app_for: Callable[[SessionSettings], Application]):
        self.settings = settings
        self.sessions: dict[str, Session] = {}
        self.failed: dict[str, str] = {}   # session id -> why it could not start (its store)
        self.acceptors: dict[tuple[str, int], FixAcceptor] = {}
        self.initiators: list[FixInitiator] = []
        self.logs: list[MessageLog] = []
        self._log_of: dict[str, MessageLog] = {}   # session id -> its FileLogPath log (closed on retire)
        templates: dict[tuple[str, int], list[SessionSettings]] = {}
        # One event loop serves every session: it spins for the longest window any session asks for.
        spin_us = max((s.SpinMicros for s in settings), default=0)
        self.spinner = Spinner(spin_us) if spin_us else None
        for s in settings:
            if s.is_acceptor:
                key = (s.SocketAcceptAddress, s.SocketAcceptPort)
                acc = self.acceptors.get(key)
                if acc is None:
                    acc = self.acceptors[key] = FixAcceptor(
                        key[0], key[1], max_message_bytes=s.MaxMessageSize, ssl=_server_ssl(s),
                        max_logons_per_minute=s.MaxLogonsPerMinute, nodelay=s.SocketNodelay,
                        busy_poll_us=int(s.SocketBusyPoll), spinner=self.spinner,
                        logon_timeout_s=s.LogonTimeout, max_pending=s.MaxPendingLogons,
                        max_dynamic_sessions=s.MaxDynamicSessions, dynamic_idle_s=s.DynamicSessionIdleTimeout,
                        on_retire=self._retired)
                if s.TargetCompID == "*":
                    templates.setdefault(key, []).append(s)
                    continue
                store = self._store(s)
                if store is None:
                    continue
                session = Session(s.session_config(), app_for(s), store)
                acc.sessions[s.TargetCompID] = session
                self.sessions[s.session_id] = session
            else:
                store = self._store(s)
                if store is None:
                    continue
                session = Session(s.session_config(), app_for(s), store)
                self.sessions[s.session_id] = session
                interval = max(s.ReconnectInterval, 0.01)   # QuickFIX: a fixed interval (default 30 s)
                self.initiators.append(FixInitiator(
                    session, s.SocketConnectHost, s.SocketConnectPort, backoff_initial=interval,
                    backoff_max=max(s.ReconnectIntervalMax or 0.0, interval), ssl=_client_ssl(s),
                    nodelay=s.SocketNodelay, busy_poll_us=int(s.SocketBusyPoll), spinner=self.spinner,
                    alternates=s.connect_addresses[1:]))
        for key, tmpl in templates.items():
            self.acceptors[key].factory = self._template_factory(tmpl[0], app_for)
            self.acceptors[key].authenticate = lambda msg, password=tmpl[0].Password: password_ok(password, msg)
        self.cpus = next((s.CPUAffinity for s in settings if s.CPUAffinity), None)
        for s in settings:   # (the dynamic sessions get theirs when created)
            if s.session_id in self.sessions:
                self._file_log(s, self.sessions[s.session_id], s.session_id)

    def _store(self, s: SessionSettings):
        """The session's store, or None if it cannot be opened: the error names the file and the
        problem, and every other session still runs."""
        try:
            return make_store(s)
        except StoreError as exc:
            self.failed[s.session_id] = str(exc)
            log.error("%s: session not started: %s", s.label, exc)
            return None

    def _retired(self, session: Session) -> None:
        for sid, known in list(self.sessions.items()):
            if known is session:
                del self.sessions[sid]
                message_log = self._log_of.pop(sid, None)
                if message_log is not None:   # its files and log handler go with it
                    self.logs.remove(message_log)
                    message_log.close()

    def _template_factory(self, s: SessionSettings, app_for):
        def create(comp: str) -> Session | None:
            # (The acceptor has checked the CompID, the cap and the Logon's password.)
            session_id = f"{s.BeginString}-{s.SenderCompID}-{comp}"
            session = Session(s.session_config(target=comp), app_for(s), make_store(s, session_id))
            self._file_log(s, session, session_id)
            self.sessions[session_id] = session
            log.info("dynamic session %s created from template", session_id)
            return session
        return create

    def _file_log(self, s: SessionSettings, session: Session, session_id: str) -> None:
        if s.FileLogPath is not None:
            message_log = self._log_of[session_id] = MessageLog(s.FileLogPath, session_id).attach(session)
            self.logs.append(message_log)

    async def start(self) -> None:
        if self.cpus:
            pin_cpus(self.cpus)
        for acc in self.acceptors.values():
            await acc.start()
        for ini in self.initiators:
            await ini.start()

    async def stop(self) -> None:
        for ini in self.initiators:
            await ini.stop()
        for acc in self.acceptors.values():
            await acc.stop()
        for session in self.sessions.values():
            session.store.close()
        for message_log in self.logs:
            message_log.close()
