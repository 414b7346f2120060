"""Order encoders in hardware: byte streams bit-identical to the software encoders in gateway/."""
