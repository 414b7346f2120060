"""An output register with a skid register behind it, so that nothing upstream sees the
consumer's ``ready`` through logic: whether a record pushed next cycle has a place (``room``)
is itself a register."""
from amaranth import Cat, Const, Mux, Signal


def skid_output(m, o, record, push, room, hold=Const(0, 1), copies=(), held_zero=()):
    """Drive stream ``o`` (``o.valid`` and the returned register, which ``o``'s payload is to
    be taken from) with ``record`` in the cycles ``push`` is high. ``push`` must only be high
    while the register ``room`` (driven here) is; ``hold`` keeps ``room`` low next cycle.
    ``copies``: more registers driven exactly as ``room`` (replicas of a stage enable with a
    large fan-out; ``logic.replicas`` makes them so that synthesis keeps them apart).
    ``held_zero``: indices of ``record`` bits that are 0 whenever the skid register is full (the
    producer sets them only in a cycle ``room`` is high); ``main`` loads each as ``record | skid``
    (one kept LUT with the bit's own logic when that has at most four inputs), not through the
    load mux behind it (one LUT level less on the risk pipeline's accept)."""
    from .logic import kept

    main, skid, skid_valid = Signal(len(record)), Signal(len(record)), Signal()
    free = ~o.valid | o.ready                   # the output register is empty or being taken
    load = Mux(skid_valid, skid, record)
    if held_zero:
        load = Cat(*(kept(m, record[k] | (skid_valid & skid[k]), f"skid_load{k}") if k in held_zero else load[k]
                     for k in range(len(record))))
    with m.If(free):
        m.d.sync += [main.eq(load), o.valid.eq(skid_valid | push), skid_valid.eq(0)]
    with m.Elif(push):
        m.d.sync += [skid.eq(record), skid_valid.eq(1)]
    m.d.sync += [r.eq(~(~free & (skid_valid | push)) & ~hold) for r in (room, *copies)]
    return main
