"""The logic-depth measure used by the synthesis report, on hand-made netlists."""
from wirespeed.hw.synth import critical_path, logic_depth, resources


def cell(type_, inputs, outputs):
    conns = {**{f"I{k}": [b] for k, b in enumerate(inputs)}, **{f"O{k}": [b] for k, b in enumerate(outputs)}}
    dirs = {**{f"I{k}": "input" for k in range(len(inputs))}, **{f"O{k}": "output" for k in range(len(outputs))}}
    return {"type": type_, "connections": conns, "port_directions": dirs}


def netlist(cells):
    return {"modules": {"top": {"ports": {}, "cells": cells}}}


def test_counts_luts_between_registers_not_carries():
    cells = {
        "ff_a": cell("FDRE", [1], [2]),
        "lut1": cell("LUT6", [2], [3]),
        "carry": cell("CARRY4", [3], [4]),       # carry chains aside
        "lut2": cell("LUT4", [4], [5]),
        "mux": cell("MUXF7", [5], [6]),          # dedicated mux: zero
        "lut3": cell("LUT2", [6], [7]),
        "ff_b": cell("FDRE", [7], [8]),
        "lut_short": cell("LUT6", [8], [9]),
        "ff_c": cell("FDRE", [9], [10]),
    }
    assert logic_depth(netlist(cells), "top") == (3, "ff_b.I0")
    assert critical_path(netlist(cells), "top") == ["LUT6", "CARRY4", "LUT4", "MUXF7", "LUT2"]


def test_registers_cut_paths():
    cells = {"a": cell("LUT6", [1], [2]), "r": cell("FDRE", [2], [3]), "b": cell("LUT6", [3], [4]),
             "r2": cell("FDRE", [4], [5])}
    assert logic_depth(netlist(cells), "top")[0] == 1


def test_resources_parse_yosys_stat():
    text = """=== top ===
        +----------Local Count, excluding submodules.
       10   LUT6
        4   LUT2
        7   FDRE
        2   DSP48E2
=== design hierarchy ===
       99   LUT6
"""
    assert resources(text) == {"top": {"LUT": 14, "FD": 7, "DSP48E2": 2}}
