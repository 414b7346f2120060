"""AXI4-Stream and AXI4-Lite wrappers, so the hardware blocks drop into a vendor shell."""
