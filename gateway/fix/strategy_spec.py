"""The built-in FIX 4.4 dictionary extended for algorithmic parent orders.

QuickFIX's FIX44.xml has TargetStrategy (847) as an INT with three values (VWAP,
PARTICIPATE, MINIMIZE_MARKET_IMPACT) and no StrategyParametersGrp: that group (957
NoStrategyParameters, 958 StrategyParameterName, 959 StrategyParameterType, 960
StrategyParameterValue) came with the FIX 4.4 extension packs. A gateway that takes parent
orders from a desk's OMS accepts both on its client sessions, as a broker's algo engine's
customised dictionary does:

- 847 becomes STRING (desks send the algorithm's name; control/ validates it);
- the four 957-960 fields are defined, and the group follows TargetStrategy in
  NewOrderSingle and OrderCancelReplaceRequest.

It is QuickFIX's file with exactly those edits, parsed by the same reader: every other
rule stays QuickFIX's. Venue sessions and ``wirespeed fix-acceptor`` keep the plain file.
"""
from __future__ import annotations

from .xmlspec import BUILTIN, DictionaryError, DictSpec, parse_spec

VERSION = "FIX.4.4"

_FIELDS = """  <field number='957' name='NoStrategyParameters' type='NUMINGROUP' />
  <field number='958' name='StrategyParameterName' type='STRING' />
  <field number='959' name='StrategyParameterType' type='INT' />
  <field number='960' name='StrategyParameterValue' type='STRING' />
 </fields>"""
_GROUP = """   <field name='TargetStrategy' required='N' />
   <group name='NoStrategyParameters' required='N'>
    <field name='StrategyParameterName' required='N' />
    <field name='StrategyParameterType' required='N' />
    <field name='StrategyParameterValue' required='N' />
   </group>"""
_TARGET_INT = """  <field number='847' name='TargetStrategy' type='INT'>
   <value enum='1' description='VWAP' />
   <value enum='2' description='PARTICIPATE' />
   <value enum='3' description='MININIZE_MARKET_IMPACT' />
  </field>"""
_TARGET_STRING = "  <field number='847' name='TargetStrategy' type='STRING' />"

_SPEC: DictSpec | None = None


def _edit(text: str, old: str, new: str, count: int = 1) -> str:
    if text.count(old) < count:
        raise DictionaryError(f"{BUILTIN[VERSION]}: cannot extend for strategy parameters: "
                              f"expected {old.strip().splitlines()[0]!r} {count} time(s)")
    return text.replace(old, new)


def _message(text: str, name: str) -> tuple[int, int]:
    start = text.index(f"<message name='{name}'")
    return start, text.index("</message>", start)


def strategy_spec() -> DictSpec:
    """FIX44.xml with TargetStrategy as STRING and StrategyParametersGrp (parsed once)."""
    global _SPEC
    if _SPEC is None:
        path = BUILTIN[VERSION]
        text = path.read_text()
        text = _edit(text, _TARGET_INT, _TARGET_STRING)
        text = _edit(text, " </fields>", _FIELDS)
        for name in ("NewOrderSingle", "OrderCancelReplaceRequest"):
            start, end = _message(text, name)
            body = _edit(text[start:end], "   <field name='TargetStrategy' required='N' />", _GROUP)
            text = text[:start] + body + text[end:]
        _SPEC = parse_spec(text, f"{path} + StrategyParametersGrp")
    return _SPEC
