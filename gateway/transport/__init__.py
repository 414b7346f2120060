"""Transports: plain BSD sockets under uvloop, so preload kernel-bypass stacks apply unchanged."""
from .spin import Spinner
from .tcp import FixProtocol, install_uvloop, pin_cpus, tune_gc, tune_socket

__all__ = ["FixProtocol", "Spinner", "install_uvloop", "pin_cpus", "tune_gc", "tune_socket"]
