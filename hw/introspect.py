"""Read generated Verilog back with pyverilog: the port list, to check against the Python definitions."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path


def verilog_ports(path: Path, module: str | None = None) -> dict[str, tuple[str, int]]:
    """{port name: ("Input"|"Output", width)} of ``module`` (default: the first) in ``path``."""
    from pyverilog.vparser.parser import VerilogParser

    # pyverilog's grammar has no (* attribute *) inside always blocks; they are synthesis
    # hints with no bearing on ports, so they are dropped before parsing.
    text = re.sub(r"\(\*.*?\*\)", "", Path(path).read_text())
    with tempfile.TemporaryDirectory() as tables:  # ply writes its parse tables; keep them out of the tree
        ast = VerilogParser(outputdir=tables, debug=False).parse(text)
    mods = [d for d in ast.description.definitions if type(d).__name__ == "ModuleDef"]
    mod = next(m for m in mods if module is None or m.name == module)
    ports = {}
    for item in mod.items:
        for decl in getattr(item, "list", None) or []:
            kind = type(decl).__name__
            if kind in ("Input", "Output"):
                width = 1 if decl.width is None else int(decl.width.msb.value) - int(decl.width.lsb.value) + 1
                ports[decl.name] = (kind, width)
    return ports
