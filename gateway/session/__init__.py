"""The FIX session protocol, sans-IO: a Session turns inbound messages into outbound bytes."""
from .config import SessionConfig
from .session import Application, Session, SessionState

__all__ = ["SessionConfig", "Application", "Session", "SessionState"]
