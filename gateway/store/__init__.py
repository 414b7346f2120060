"""Message stores: what a session sent (by MsgSeqNum) and its next sequence numbers."""
from .file import FileStore, FsyncPolicy, StoreError
from .memory import MemoryStore

__all__ = ["FileStore", "FsyncPolicy", "MemoryStore", "StoreError"]
