"""The logic-depth measure used by the synthesis report, on hand-made netlists."""
from wirespeed.hw.synth import critical_path, deep_sinks, logic_depth, resources


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


def test_lutram_read_follows_the_address_and_its_write_ends_a_path():
    # ff -> LUT -> LUT -> RAM64M write data: the write ends the path (2 levels), it does not
    # continue through the read data. The read (address from a LUT) counts one more level.
    ram = {"type": "RAM64M", "connections": {"DIA": [4], "WE": [2], "ADDRA": [6], "ADDRD": [9], "DOA": [7], "DOD": [12]},
           "port_directions": {"DIA": "input", "WE": "input", "ADDRA": "input", "ADDRD": "input",
                               "DOA": "output", "DOD": "output"}}
    cells = {
        "ff": cell("FDRE", [1], [2]),
        "l1": cell("LUT6", [2], [3]),
        "l2": cell("LUT6", [3], [4]),
        "la": cell("LUT2", [2], [6]),
        "ram": ram,
        "l3": cell("LUT3", [7], [8]),
        "ff2": cell("FDRE", [8], [10]),
        "ff3": cell("FDRE", [12], [11]),
    }
    assert logic_depth(netlist(cells), "top") == (3, "ff2.I0")      # la -> RAM read -> l3
    assert critical_path(netlist(cells), "top") == ["LUT2", "RAM64M", "LUT3"]
    cells["l4"] = cell("LUT6", [4], [5])                             # write data one level deeper: 3, not 5
    cells["ram"]["connections"]["DIA"] = [5]
    assert logic_depth(netlist(cells), "top")[0] == 3


def test_deep_sinks_group_the_deepest_paths_by_the_register_they_load():
    # two bits of one register (s1_x[0], s1_x[1]) 2 levels from ff_a's output, one of another 1 level
    cells = {
        "ff_a": cell("FDRE", [1], [2]),
        "l1": cell("LUT6", [2], [3]),
        "l2": cell("LUT2", [3], [4]),
        "l3": cell("LUT2", [3], [5]),
        "q0": {**cell("FDRE", [4], [6]), "connections": {"I0": [4], "Q": [6]},
               "port_directions": {"I0": "input", "Q": "output"}},
        "q1": {**cell("FDRE", [5], [7]), "connections": {"I0": [5], "Q": [7]},
               "port_directions": {"I0": "input", "Q": "output"}},
        "q2": {**cell("FDRE", [3], [8]), "connections": {"I0": [3], "Q": [8]},
               "port_directions": {"I0": "input", "Q": "output"}},
    }
    nl = netlist(cells)
    nl["modules"]["top"]["netnames"] = {"src_reg": {"bits": [2]}, "s1_x": {"bits": [6, 7]}, "other": {"bits": [8]},
                                        "$auto$1": {"bits": [2]}}
    assert deep_sinks(nl, "top", 2) == [(2, "s#_x", 2, "src_reg")]
    assert deep_sinks(nl, "top", 1) == [(2, "s#_x", 2, "src_reg"), (1, "other", 1, "src_reg")]
