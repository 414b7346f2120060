"""Transports: plain BSD sockets under uvloop, so preload kernel-bypass stacks apply unchanged."""
from .kstamp import StampedServer, StampedTransport, connect_stamped
from .spin import Spinner
from .fair import READ_BUDGET, FairReads
from .tcp import FixProtocol, WriteBatcher, install_uvloop, pin_cpus, tune_gc, tune_socket

__all__ = ["FairReads", "FixProtocol", "READ_BUDGET", "Spinner", "StampedServer", "StampedTransport", "connect_stamped", "install_uvloop", "pin_cpus", "tune_gc", "tune_socket", "WriteBatcher"]
