"""Network-path selection: several venue sessions (paths) to one venue, the fastest healthy one used."""
from .selector import PathConfig, PathEvent, PathSelector
from .prober import PathProber

__all__ = ["PathConfig", "PathEvent", "PathProber", "PathSelector"]
