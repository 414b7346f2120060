"""A fast Verilated model: the risk pipeline compiled with a C++ harness (risk_harness.cpp, on the shared harness.h) and
called from Python through ctypes, for the gateway's hardware-in-the-loop backend and for long
regressions (docs/hw/verification.md)."""
