"""A FIX data dictionary compiled from QuickFIX's XML format, and its validator.

The dictionary comes from a QuickFIX data-dictionary file (``xmlspec``): the built-in
FIX 4.2 and 4.4 dictionaries are QuickFIX's own ``spec/FIX42.xml`` and ``FIX44.xml``
(shipped in ``spec/``), and a session configured with ``DataDictionary=`` uses that file,
a venue's customised dictionary with its user-defined fields included.

The validator answers a parsed message with its first problem as (SessionRejectReason,
RefTagID, text), or None, checking what QuickFIX checks in QuickFIX's order: required
fields (of the message and of every group entry), then each field in wire order: its
data format, its enumerated values, whether the tag is defined at all (0) and for this
message type (2), repeating groups (delimiter first (15), the NumInGroup count (16)) at
any depth, and repeated tags (13). ``allow_user_defined`` (QuickFIX's
ValidateUserDefinedFields=N) lets tags >= 5000 pass unchecked; ``allow_unknown_fields``
(AllowUnknownMsgFields=Y) does the same for tags below 5000.

Hot path: a message without groups or repeated tags is checked with set operations (in
C) plus one test per typed field present; only a message with a problem, a group or a
repeated tag takes the ordered walk, which names the first problem exactly.

Shapes: a counterparty sends each message type with the same few tag sequences.
Once a message passes full validation, its tag sequence (its *shape*) is compiled
into one regular expression that spells out the tags and each value's type
(enumerations as alternatives, timestamps, decimals, group counts as literals). A
later frame that matches a shape in full is proven to pass the same checks, so the
parser parses and validates it in one C-level call; a frame that matches no shape,
valid or not, takes the general path, which names its first problem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from .parser import _check_order
from .tags import ADMIN_TYPES, SessionRejectReasons as SRR
from .xmlspec import BUILTIN, DictionaryError, DictSpec, GroupDef, MessageDef, load_spec
from wirespeed.ascii import digits

__all__ = ["Dictionary", "DictionaryError", "dictionary", "load_dictionary", "Shape", "MAX_SHAPES"]

REPEATING_GROUP_FIELDS_OUT_OF_ORDER = 15
INCORRECT_NUMINGROUP_COUNT = 16

# (The fraction's group is a plain ``?``: CPython 3.11's possessive ``?+`` on a group let a shape
# match "...:00." followed by SOH, which the full match refuses: a shape more lenient than its check.)
_TIMESTAMP_RE = r"[0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9}+)?"
# Numbers of at most 18 digits (and 18 decimals): any longer is refused as a format error, never
# converted (a signed 64-bit integer holds 18 digits; int() of thousands raises).
_MAX_DIGITS = 18
_DECIMAL_RE = r"(?>-?(?:[0-9]{1,18}+(?:\.[0-9]{0,18}+)?|\.[0-9]{1,18}+))"
_TIMESTAMP = re.compile(_TIMESTAMP_RE).fullmatch
_DECIMAL = re.compile(_DECIMAL_RE).fullmatch
MAX_SHAPES = 8   # per MsgType: bounds what a counterparty sending ever-new shapes can cost

# QuickFIX's field types -> the pattern a value must match in full. One table serves the
# validator (as ``fullmatch``) and the shapes (inside their pattern), so a shape can never
# be more lenient than the check it stands for. A type not listed is free text, as in QuickFIX.
_DIGITS, _INT = "[0-9]{1,18}+", "-?[0-9]{1,18}+"
_DATE = "[0-9]{8}"
_TYPE_PATTERNS = {
    "INT": _INT, "LENGTH": _DIGITS, "SEQNUM": _DIGITS, "NUMINGROUP": _DIGITS,
    "DAYOFMONTH": _INT, "FLOAT": _DECIMAL_RE, "QTY": _DECIMAL_RE, "PRICE": _DECIMAL_RE, "PRICEOFFSET": _DECIMAL_RE,
    "AMT": _DECIMAL_RE, "PERCENTAGE": _DECIMAL_RE,
    "CHAR": "[^\x01]", "BOOLEAN": "[YN]",
    "UTCTIMESTAMP": _TIMESTAMP_RE,
    "UTCTIMEONLY": r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9}+)?",
    "UTCDATE": _DATE, "UTCDATEONLY": _DATE,
    # LOCALMKTDATE, MONTHYEAR and the TZ types are free text to QuickFIX's validator: so here.
}
_MULTI_TYPES = frozenset({"MULTIPLEVALUESTRING", "MULTIPLESTRINGVALUE", "MULTIPLECHARVALUE"})
_FULL = {typ: re.compile(p).fullmatch for typ, p in _TYPE_PATTERNS.items()}
_DIGIT_TYPES = frozenset({"LENGTH", "SEQNUM", "NUMINGROUP"})
_DECIMAL_TYPES = frozenset({"FLOAT", "QTY", "PRICE", "PRICEOFFSET", "AMT", "PERCENTAGE"})

# Checks of one value, by kind (the hot ones first): 0 digits, 1 enumerated, 2 UTCTimestamp,
# 3 decimal, 4 another typed value, 5 a multiple-value enumeration.
_K_DIGITS, _K_ENUM, _K_TIME, _K_DECIMAL, _K_OTHER, _K_MULTI = range(6)


@dataclass(frozen=True)
class _Plan:
    """What validating one message type takes, precomputed."""
    required: frozenset[str]
    required_order: tuple[str, ...]
    allowed: frozenset[str]          # header, trailer and the message's top-level fields
    typed: frozenset[str]            # allowed tags whose values are checked
    kinds: dict[str, tuple[int, frozenset[str] | None]]
    group_counts: frozenset[str]
    groups: dict[str, GroupDef]      # the message's and the header's groups


class Dictionary:
    """One data dictionary (a ``DictSpec`` or the built-in one of a BeginString), prepared
    for fast validation. Shapes are learned per Dictionary object: sessions sharing one
    (``dictionary()``/``load_dictionary()`` cache them) share what it has learned."""

    def __init__(self, spec: DictSpec | str, allow_user_defined: bool = True, allow_unknown_fields: bool = False):
        if isinstance(spec, str):
            spec = _builtin_spec(spec)
        self.spec = spec
        self.version = spec.begin_string
        self.allow_user_defined = allow_user_defined
        self.allow_unknown_fields = allow_unknown_fields
        self.types = {t: f.type for t, f in spec.fields.items()}
        self.names = {t: f.name for t, f in spec.fields.items()}
        self.enums = {t: f.enums for t, f in spec.fields.items() if f.enums}
        self.messages: dict[str, MessageDef] = spec.messages
        self.enums["35"] = frozenset(self.messages)
        counts: set[str] = set()
        for mdef in (spec.header, spec.trailer, *self.messages.values()):
            _collect_counts(mdef.groups, counts)
        self.group_counts = frozenset(counts)
        self._kinds = {tag: self._kind(tag) for tag in self.types}
        header = frozenset(spec.header.fields) | frozenset(spec.trailer.fields)
        self._section = {**{t: 1 for t in spec.trailer.fields}, **{t: 0 for t in spec.header.fields}}
        self._plans = {mt: self._plan(m, header) for mt, m in self.messages.items()}
        # MsgType -> [Shape], learned from valid messages (see the module doc).
        self.shapes: dict[str, list[Shape]] = {}

    def _kind(self, tag: str):
        typ = self.types.get(tag, "STRING")
        if tag in self.enums:
            return (_K_MULTI if typ in _MULTI_TYPES else _K_ENUM, self.enums[tag])
        if typ in _DIGIT_TYPES:
            return (_K_DIGITS, None)
        if typ in ("UTCTIMESTAMP",):
            return (_K_TIME, None)
        if typ in _DECIMAL_TYPES:
            return (_K_DECIMAL, None)
        if typ in _FULL:
            return (_K_OTHER, _FULL[typ])
        return None   # free text

    def _plan(self, mdef: MessageDef, header: frozenset[str]) -> _Plan:
        allowed = header | frozenset(mdef.fields)
        # BeginString, BodyLength and CheckSum are proven by framing, MsgType by finding this
        # plan, MsgSeqNum by the session: checking them again would only cost time.
        kinds = {t: self._kinds[t] for t in allowed - {"8", "9", "10", "34", "35"}
                 if self._kinds.get(t) is not None}
        groups = {**self.spec.header.groups, **mdef.groups}
        # Required: the header's (a venue's dictionary may require more than FIX does), the
        # trailer's, the message's: in that order, each by ascending tag, as QuickFIX checks them.
        framed = {"8", "9", "35", "10"}
        order = [t for part in (self.spec.header, self.spec.trailer, mdef)
                 for t in sorted(set(part.required) - framed, key=int)]
        return _Plan(frozenset(order), tuple(order), allowed, frozenset(kinds), kinds, frozenset(groups), groups)

    def known_type(self, msg_type: str) -> bool:
        return msg_type in self.messages

    def validate(self, msg) -> tuple[int, int | None, str] | None:
        """First problem in ``msg`` (a FixMessage of a known type), or None.

        Hot path: missing and unexpected tags by set operations (in C); then only the
        typed fields present are checked, enumerations by set membership. A valid
        message teaches the dictionary its shape.
        """
        if msg.validated is self:
            return None  # parsed through one of this dictionary's shapes: proven valid
        problem = self._validate(msg)
        if problem is None and msg.error is None and not msg.has_duplicates and msg.raw:
            self._learn(msg)
        return problem

    def _learn(self, msg) -> None:
        shapes = self.shapes.setdefault(msg.msg_type, [])
        if len(shapes) >= MAX_SHAPES:
            return
        pairs = msg.str_pairs
        tags = tuple(t for t, _ in pairs)
        if any(tags == known.tags for known in shapes):
            return
        parts = []
        for tag, value in pairs:
            if tag in ("8", "35") or tag in self.group_counts:
                pattern = re.escape(value)   # BeginString, MsgType, NumInGroup counts: fixed by the shape
            else:
                pattern = self._value_pattern(tag)
            parts.append(f"{tag}=({pattern})\x01")
        shapes.append(Shape("".join(parts), tags, msg.msg_type))

    def _value_pattern(self, tag: str) -> str:
        """A pattern exactly as strict as ``_validate``'s check of one value (or stricter)."""
        if tag in ("9", "34"):
            return "[0-9]{1,9}+"
        if tag == "10":
            return "[0-9]{3}"
        if tag in self.enums:
            values = sorted(self.enums[tag], key=lambda v: (-len(v), v))
            if self.types.get(tag) in _MULTI_TYPES:
                one = "(?:" + "|".join(re.escape(v) for v in values if " " not in v) + ")"
                return f"{one}(?: {one})*+"
            if all(len(v) == 1 for v in values):
                return "[" + "".join(re.escape(v) for v in values) + "]"   # a class: one step, no backtracking
            return "|".join(re.escape(v) for v in values)
        return _TYPE_PATTERNS.get(self.types.get(tag, "STRING"), "[^\x01]++")

    def _validate(self, msg) -> tuple[int, int | None, str] | None:
        mt = msg.msg_type
        plan = self._plans[mt]
        fields = msg.fields
        keys = fields.keys()
        missing = plan.required - keys
        if missing and not msg.has_duplicates:
            return self._missing(plan, missing)
        if missing or msg.has_duplicates or not keys <= plan.allowed or \
                (plan.group_counts and not plan.group_counts.isdisjoint(keys)):
            return self._walk(msg, plan, mt, missing)
        for tag in keys & plan.typed:
            if self._value_problem(tag, fields[tag], plan.kinds[tag]) is not None:
                return self._walk(msg, plan, mt, missing)   # the first problem in QuickFIX's order
        return None

    def _missing(self, plan: _Plan, missing):
        tag = next(t for t in plan.required_order if t in missing)
        return (SRR.REQUIRED_TAG_MISSING, int(tag), f"required tag {tag} ({self.names[tag]}) missing")

    def _value_problem(self, tag: str, value: str, kind_values):
        kind, allowed_values = kind_values
        if kind == _K_DIGITS:
            ok = value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS
        elif kind == _K_ENUM:
            if value in allowed_values:
                return None
            if not _type_ok(self.types[tag], value):
                return _format_error(tag, self.names[tag], value)
            return (SRR.VALUE_INCORRECT, int(tag),
                    f"value {value!r} is incorrect (out of range) for tag {tag} ({self.names[tag]})")
        elif kind == _K_TIME:
            ok = _TIMESTAMP(value) is not None
        elif kind == _K_DECIMAL:
            ok = _DECIMAL(value) is not None
        elif kind == _K_OTHER:
            ok = allowed_values(value) is not None
        else:              # multiple values, each from the enumeration
            if all(v in allowed_values for v in value.split(" ")):
                return None
            return (SRR.VALUE_INCORRECT, int(tag),
                    f"value {value!r} is incorrect (out of range) for tag {tag} ({self.names[tag]})")
        return None if ok else _format_error(tag, self.names[tag], value)

    def _field_problem(self, tag: str, value: str, allowed, mt: str):
        """QuickFIX's per-field checks, in its order: format, value, tag known, tag in message."""
        kind = self._kinds.get(tag)
        if kind is not None and tag not in ("8", "9", "10", "34", "35"):
            problem = self._value_problem(tag, value, kind)
            if problem is not None:
                return problem
        if tag in allowed:
            return None
        user = len(tag) > 4 or (len(tag) == 4 and tag >= "5000")   # user-defined: tag >= 5000
        if (self.allow_user_defined if user else self.allow_unknown_fields):
            return None
        if tag not in self.types:
            return (SRR.INVALID_TAG_NUMBER, _ref(tag), f"invalid tag number {tag[:12]} (not in the data dictionary)")
        return (SRR.TAG_NOT_DEFINED_FOR_MSG_TYPE, int(tag),
                f"tag {tag} ({self.names[tag]}) not defined for MsgType {mt}")

    def _walk(self, msg, plan: _Plan, mt: str, missing):
        """The ordered pass, in QuickFIX's order: a repeated tag (found while parsing there),
        then a missing required field, then the field checks of the header, the trailer and
        the body, each in ascending tag order (QuickFIX's field maps are sorted), a group's
        count at its count tag. Last come the checks inside groups that QuickFIX does not
        make (values, delimiter first, required members, nested counts)."""
        pairs = msg.str_pairs
        seen: set[str] = set()
        top, inner = [], None
        i, n = 0, len(pairs)
        while i < n:
            tag, value = pairs[i]
            if tag in seen:
                return (SRR.TAG_APPEARS_MORE_THAN_ONCE, _ref(tag), f"tag {tag[:12]} appears more than once")
            seen.add(tag)
            problem = self._field_problem(tag, value, plan.allowed, mt)
            if problem is not None:
                top.append(problem)
            i += 1
            group = plan.groups.get(tag)
            if group is not None:
                count_problem, in_group, i = self._walk_group(pairs, i, group, value, mt)
                if count_problem is not None:
                    top.append(count_problem)
                inner = inner or in_group
        if missing:
            return self._missing(plan, missing)
        if top:
            return min(top, key=lambda p: (self._section.get(str(p[1]), 2), p[1] if p[1] is not None else 1 << 62))
        return inner

    def _walk_group(self, pairs, i: int, group: GroupDef, count_text: str, mt: str):
        """(count problem, first problem inside, index after the group) for the entries of
        ``group`` at ``i``. Entries are counted as QuickFIX counts them: a new one starts at
        the delimiter or at a member the current entry already has."""
        expected = int(count_text) if digits(count_text) and len(count_text) <= 9 else -1   # (any length is text)
        members = frozenset(group.fields)
        count, entry, inner, n = 0, set(), None, len(pairs)
        while i < n and pairs[i][0] in members:
            tag, value = pairs[i]
            if tag == group.delim or tag in entry or not count:
                if count:
                    inner = inner or self._entry_required(group, entry)
                if tag != group.delim:
                    inner = inner or (REPEATING_GROUP_FIELDS_OUT_OF_ORDER, int(tag),
                                      f"repeating group {group.count}: entry does not start with "
                                      f"its delimiter {group.delim} (at tag {tag})")
                count += 1
                entry = set()
            entry.add(tag)
            inner = inner or self._field_problem(tag, value, members, mt)
            i += 1
            nested = group.groups.get(tag)
            if nested is not None:
                count_problem, in_nested, i = self._walk_group(pairs, i, nested, value, mt)
                inner = inner or count_problem or in_nested
        if count:
            inner = inner or self._entry_required(group, entry)
        if count != expected:
            return (INCORRECT_NUMINGROUP_COUNT, int(group.count),
                    f"incorrect NumInGroup count for repeating group {group.count}: "
                    f"{count_text[:12]} declared, {count} present"), inner, i
        return None, inner, i

    def _entry_required(self, group: GroupDef, entry: set[str]):
        for tag in group.required:
            if tag not in entry:
                return (SRR.REQUIRED_TAG_MISSING, int(tag),
                        f"required tag {tag} ({self.names[tag]}) missing in an entry of group {group.count}")
        return None


def _collect_counts(groups: dict[str, GroupDef], into: set[str]) -> None:
    for count, g in groups.items():
        into.add(count)
        _collect_counts(g.groups, into)


class Shape:
    """One learned tag sequence: its pattern (group k is the k-th field's value), the tags in
    order, and where each tag's value is. ``for_app`` says a message of this shape can go to
    the application without the session's general checks of header flags (an application
    message with SendingTime and no PossDupFlag); the session still checks the values."""

    __slots__ = ("match", "fullmatch", "tags", "index", "msg_type", "for_app", "session_groups", "known_groups",
                 "known_index")

    def __init__(self, pattern: str, tags: tuple[str, ...], msg_type: str):
        compiled = re.compile(pattern)
        self.match, self.fullmatch = compiled.match, compiled.fullmatch
        self.tags = tags
        self.index = {tag: k for k, tag in enumerate(tags, 1)}   # learned shapes have no repeated tag
        self.msg_type = msg_type
        index = self.index
        self.for_app = msg_type not in ADMIN_TYPES and "43" not in index and \
            all(t in index for t in ("34", "49", "56", "52"))
        # Groups of MsgSeqNum, SenderCompID, TargetCompID and SendingTime: what the session's
        # fast path reads from every application message, in one call.
        self.session_groups = tuple(index.get(t, 0) for t in ("34", "49", "56", "52"))
        self.known_groups: dict[tuple, tuple[int, ...] | None] = {}   # what groups() has answered
        self.known_index: dict[tuple, object] = {}                     # what group_index() has answered

    def groups(self, tags: tuple) -> tuple[int, ...] | None:
        """Group numbers of ``tags`` (ints), or None if one of them is not in this shape (or
        there are fewer than two: ``Match.group`` returns a tuple only for two or more)."""
        try:
            return self.known_groups[tags]
        except KeyError:
            pass
        found = tuple(self.index.get(str(t), 0) for t in tags)
        groups = self.known_groups[tags] = None if 0 in found or len(found) < 2 else found
        return groups

    def group_index(self, tags: tuple):
        """A getter of ``tags``' values (ints) out of ``(default,) + match.groups()``: position 0,
        the default, for a tag not in this shape. One C call per message, built once per tags."""
        getter = self.known_index.get(tags)
        if getter is None:
            index = [self.index.get(str(t), 0) for t in tags]
            getter = self.known_index[tags] = itemgetter(*index) if len(index) >= 2 else \
                (lambda found, k=index[0] if index else None: (found[k],) if k is not None else ())
        return getter


def _ref(tag: str) -> int | None:
    """RefTagID for a tag as the peer wrote it: a number of any length is refused, not converted
    (RefTagID is an INT field; past 9 digits there is no such tag to refer to)."""
    return int(tag) if len(tag) <= 9 else None


def _format_error(tag: str, name: str, value: str):
    return (SRR.INCORRECT_DATA_FORMAT, int(tag), f"tag {tag} ({name}) has incorrect data format {value!r}")


def _type_ok(typ: str, value: str) -> bool:
    check = _FULL.get(typ)
    return check is None or check(value) is not None


_SPECS: dict[str, DictSpec] = {}
_CACHE: dict[tuple, Dictionary] = {}


def _builtin_spec(version: str) -> DictSpec:
    spec = _SPECS.get(version)
    if spec is None:
        path = BUILTIN.get(version)
        if path is None:
            raise DictionaryError(f"no built-in data dictionary for {version!r} (have {', '.join(BUILTIN)})")
        spec = _SPECS[version] = load_spec(path)
    return spec


def dictionary(version: str, allow_user_defined: bool = True, allow_unknown_fields: bool = False) -> Dictionary:
    """The built-in dictionary of ``version`` (QuickFIX's own FIX42.xml / FIX44.xml)."""
    key = (version, allow_user_defined, allow_unknown_fields)
    d = _CACHE.get(key)
    if d is None:
        d = _CACHE[key] = Dictionary(version, allow_user_defined, allow_unknown_fields)
    return d


def strategy_dictionary(allow_user_defined: bool = True, allow_unknown_fields: bool = False) -> Dictionary:
    """The built-in FIX 4.4 dictionary with StrategyParametersGrp, for sessions that take parent
    orders (``strategy_spec``)."""
    from .strategy_spec import strategy_spec
    key = ("FIX.4.4+strategy", allow_user_defined, allow_unknown_fields)
    d = _CACHE.get(key)
    if d is None:
        d = _CACHE[key] = Dictionary(strategy_spec(), allow_user_defined, allow_unknown_fields)
    return d


def load_dictionary(path: str | Path, allow_user_defined: bool = True, allow_unknown_fields: bool = False,
                    begin_string: str | None = None) -> Dictionary:
    """The dictionary of a QuickFIX XML file (loaded once per file and options). With
    ``begin_string``, a file for another FIX version is an error naming both."""
    p = Path(path).resolve()
    key = (str(p), allow_user_defined, allow_unknown_fields)
    d = _CACHE.get(key)
    if d is None:
        d = _CACHE[key] = Dictionary(load_spec(p), allow_user_defined, allow_unknown_fields)
    if begin_string is not None and d.version != begin_string:
        raise DictionaryError(f"{path}: a {d.version} dictionary, but the session's BeginString is {begin_string}")
    return d


def relax_parse_error(msg, config):
    """The parser's verdict on ``msg`` under the session's ValidateFieldsHaveValues and
    ValidateFieldsOutOfOrder settings: the parser always checks both (it records the first
    problem only), so a relaxed check means looking again, on this rare path only. 8, 9 and
    35 first and CheckSum last stay required whatever the settings (QuickFIX's too)."""
    error = msg.error
    code, tag = error[0], error[1]
    relax_values = code == SRR.TAG_WITHOUT_VALUE and not config.validate_fields_have_values
    relax_order = code == SRR.TAG_OUT_OF_ORDER and tag not in (None, 35) and not config.validate_fields_out_of_order
    if not (relax_values or relax_order):
        return error
    tags = []
    for field in msg.raw.decode("latin-1").split("\x01")[:-1]:
        t, eq, value = field.partition("=")
        if not eq or not digits(t) or t.startswith("0"):
            return (SRR.INVALID_TAG_NUMBER, None, f"invalid tag number {t!r}")
        if value == "" and config.validate_fields_have_values:
            return (SRR.TAG_WITHOUT_VALUE, _ref(t), f"tag {t[:12]} has no value")
        tags.append(t)
    if config.validate_fields_out_of_order:
        return _check_order(tags, msg.get(8), (config.begin_string,))
    if msg.get(8) != config.begin_string:
        return (SRR.VALUE_INCORRECT, 8, f"unsupported BeginString {msg.get(8)}")
    return None
