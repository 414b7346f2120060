"""FIX 4.2 / 4.4 data dictionary for every message wirespeed handles, and its validator.

Fields: tag, name, type, and enumerated values where the spec fixes them.
Messages: required and optional body fields per version, and their repeating
groups (count tag -> delimiter tag, member tags). The validator answers a
parsed message with the first problem as (SessionRejectReason, RefTagID, text),
or None. Tags >= 5000 are user-defined and pass unless configured otherwise.

Shapes: a counterparty sends each message type with the same few tag sequences.
Once a message passes full validation, its tag sequence (its *shape*) is compiled
into one regular expression that spells out the tags and each value's type
(enumerations as character classes, timestamps, decimals, group counts as
literals). A later frame that matches a shape in full is proven to pass the same
checks, so the parser parses and validates it in one C-level call; a frame that
matches no shape, valid or not, takes the general path, which names its first problem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .tags import ADMIN_TYPES, HEADER_TAG_TEXT, SessionRejectReasons as SRR
from wirespeed.ascii import digits

# tag name type [enum values, space separated]
_FIELDS = """
1 Account STRING
6 AvgPx PRICE
7 BeginSeqNo SEQNUM
8 BeginString STRING
9 BodyLength LENGTH
10 CheckSum STRING
11 ClOrdID STRING
14 CumQty QTY
15 Currency STRING
16 EndSeqNo SEQNUM
17 ExecID STRING
18 ExecInst MULTI
19 ExecRefID STRING
20 ExecTransType CHAR 0 1 2 3
21 HandlInst CHAR 1 2 3
22 SecurityIDSource STRING
30 LastMkt STRING
31 LastPx PRICE
32 LastQty QTY
33 NoLinesOfText NUMINGROUP
34 MsgSeqNum SEQNUM
35 MsgType STRING
36 NewSeqNo SEQNUM
37 OrderID STRING
38 OrderQty QTY
39 OrdStatus CHAR 0 1 2 3 4 5 6 7 8 9 A B C D E
40 OrdType CHAR 1 2 3 4 5 6 7 8 9 D E G I J K L M P Q R
41 OrigClOrdID STRING
42 OrigTime UTCTIMESTAMP
43 PossDupFlag BOOLEAN
44 Price PRICE
45 RefSeqNum SEQNUM
47 Rule80A CHAR
48 SecurityID STRING
49 SenderCompID STRING
50 SenderSubID STRING
52 SendingTime UTCTIMESTAMP
54 Side CHAR 1 2 3 4 5 6 7 8 9 A B C D E F G
55 Symbol STRING
56 TargetCompID STRING
57 TargetSubID STRING
58 Text STRING
59 TimeInForce CHAR 0 1 2 3 4 5 6 7
60 TransactTime UTCTIMESTAMP
65 SymbolSfx STRING
76 ExecBroker STRING
94 EmailType CHAR 0 1 2
97 PossResend BOOLEAN
98 EncryptMethod INT 0 1 2 3 4 5 6
99 StopPx PRICE
100 ExDestination STRING
102 CxlRejReason INT
103 OrdRejReason INT
107 SecurityDesc STRING
108 HeartBtInt INT
110 MinQty QTY
111 MaxFloor QTY
112 TestReqID STRING
114 LocateReqd BOOLEAN
115 OnBehalfOfCompID STRING
116 OnBehalfOfSubID STRING
129 DeliverToSubID STRING
142 SenderLocationID STRING
143 TargetLocationID STRING
144 OnBehalfOfLocationID STRING
145 DeliverToLocationID STRING
369 LastMsgSeqNumProcessed SEQNUM
627 NoHops NUMINGROUP
628 HopCompID STRING
629 HopSendingTime UTCTIMESTAMP
630 HopRefID SEQNUM
122 OrigSendingTime UTCTIMESTAMP
123 GapFillFlag BOOLEAN
126 ExpireTime UTCTIMESTAMP
128 DeliverToCompID STRING
141 ResetSeqNumFlag BOOLEAN
146 NoRelatedSym NUMINGROUP
147 Subject STRING
150 ExecType CHAR
151 LeavesQty QTY
164 EmailThreadID STRING
167 SecurityType STRING
207 SecurityExchange STRING
215 NoRoutingIDs NUMINGROUP
216 RoutingType INT 1 2 3 4
217 RoutingID STRING
320 SecurityReqID STRING
322 SecurityResponseID STRING
323 SecurityResponseType INT 1 2 3 4 5 6
371 RefTagID INT
372 RefMsgType STRING
373 SessionRejectReason INT
379 BusinessRejectRefID STRING
380 BusinessRejectReason INT 0 1 2 3 4 5 6 7 8 18
383 MaxMessageSize LENGTH
393 TotalNumSecurities INT
432 ExpireDate STRING
434 CxlRejResponseTo CHAR 1 2
447 PartyIDSource CHAR
448 PartyID STRING
452 PartyRole INT
453 NoPartyIDs NUMINGROUP
464 TestMessageIndicator BOOLEAN
528 OrderCapacity CHAR A G I P R W
553 Username STRING
554 Password STRING
789 NextExpectedMsgSeqNum SEQNUM
847 TargetStrategy STRING
957 NoStrategyParameters NUMINGROUP
958 StrategyParameterName STRING
959 StrategyParameterType INT
960 StrategyParameterValue STRING
"""

HEADER = tuple(sorted(HEADER_TAG_TEXT, key=int))
TRAILER = ("10",)

_EXEC_TYPE = {"FIX.4.2": "0 1 2 3 4 5 6 7 8 9 A B C D E", "FIX.4.4": "0 3 4 5 6 7 8 9 A B C D E F G H I"}

_NOS_OPT = "1 18 21 22 48 65 100 107 110 111 114 126 15 167 207 432 47 528 58 60 99 44 59 453"
_ER_OPT = "847 1 11 41 19 20 6 14 151 31 32 30 38 40 44 59 60 58 103 99 18 76 15 22 48 167 207 65 453 126 432 528"


@dataclass(frozen=True)
class MessageDef:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # count -> (delim, members)

    @property
    def allowed(self) -> frozenset[str]:
        members = {m for _, ms in self.groups.values() for m in ms}
        return frozenset(HEADER + TRAILER + self.required + self.optional + tuple(members))


_PARTIES = {"453": ("448", ("448", "447", "452"))}
# Parent orders for control's algorithms (FIX 4.4 StrategyParametersGrp). TargetStrategy is INT in
# the spec (1 VWAP, 2 Participate, 3 MinimizeMarketImpact, 1000+ user-defined); desks send the
# algorithm's name, so it is read as STRING and control/ validates it.
_STRATEGY = {"957": ("958", ("958", "959", "960"))}


def _messages(version: str) -> dict[str, MessageDef]:
    v42 = version == "FIX.4.2"
    split = str.split
    return {
        "0": MessageDef("Heartbeat", (), ("112",)),
        "1": MessageDef("TestRequest", ("112",)),
        "2": MessageDef("ResendRequest", ("7", "16")),
        "3": MessageDef("Reject", ("45",), ("371", "372", "373", "58")),
        "4": MessageDef("SequenceReset", ("36",), ("123",)),
        "5": MessageDef("Logout", (), ("58",)),
        "A": MessageDef("Logon", ("98", "108"), ("141", "383", "553", "554", "464", "789")),
        "D": MessageDef("NewOrderSingle",
                        ("11", "21", "55", "54", "38", "40") if v42 else ("11", "55", "54", "60", "38", "40"),
                        tuple(split(_NOS_OPT)) + ("847", "957"), {**_PARTIES, **_STRATEGY}),
        "F": MessageDef("OrderCancelRequest", ("41", "11", "55", "54") + (() if v42 else ("60",)),
                        ("1", "37", "38", "58", "60", "453", "48", "22"), _PARTIES),
        "G": MessageDef("OrderCancelReplaceRequest",
                        ("41", "11", "55", "54", "40") + (("21",) if v42 else ("60", "38")),
                        tuple(split(_NOS_OPT)) + ("37", "38"), _PARTIES),
        "8": MessageDef("ExecutionReport",
                        ("37", "17", "20", "150", "39", "55", "54", "151", "14", "6") if v42 else
                        ("37", "17", "150", "39", "55", "54", "151", "14", "6"),
                        tuple(split(_ER_OPT)), _PARTIES),
        "9": MessageDef("OrderCancelReject", ("37", "11", "41", "39", "434"), ("102", "58", "1", "60")),
        "j": MessageDef("BusinessMessageReject", ("372", "380"), ("45", "379", "58")),
        "d": MessageDef("SecurityDefinition", ("320", "322") + (("393",) if v42 else ("323",)),
                        ("55", "48", "22", "167", "207", "15", "58", "323", "393", "65", "107", "146"),
                        {"146": ("55", ("55", "65", "48", "22", "167"))}),
        "C": MessageDef("Email", ("164", "94", "147", "33"), ("42", "37", "11", "215", "146"),
                        {"33": ("58", ("58",)), "215": ("216", ("216", "217")),
                         "146": ("55", ("55", "65", "48", "22"))}),
    }


class Dictionary:
    """One FIX version's fields and messages, prepared for fast validation."""

    def __init__(self, version: str, allow_user_defined: bool = True, allow_unknown_fields: bool = False):
        self.version = version
        self.allow_user_defined = allow_user_defined
        self.allow_unknown_fields = allow_unknown_fields
        self.types: dict[str, str] = {}
        self.enums: dict[str, frozenset[str]] = {}
        self.names: dict[str, str] = {}
        for line in _FIELDS.strip().splitlines():
            tag, name, typ, *values = line.split()
            self.types[tag], self.names[tag] = typ, name
            if values:
                self.enums[tag] = frozenset(values)
        self.enums["150"] = frozenset(_EXEC_TYPE[version].split())
        self.messages = _messages(version)
        self.enums["35"] = frozenset(self.messages)
        self._allowed = {mt: m.allowed for mt, m in self.messages.items()}
        self.group_counts = frozenset(t for t, typ in self.types.items() if typ == "NUMINGROUP")
        self._plans = {mt: self._plan(m) for mt, m in self.messages.items()}
        # MsgType -> [Shape], learned from valid messages (see the module doc).
        self.shapes: dict[str, list[Shape]] = {}

    def _plan(self, mdef: MessageDef) -> "_Plan":
        kinds = {}
        # BeginString, BodyLength and CheckSum are proven by framing, MsgType by finding this
        # plan, MsgSeqNum by the session: checking them again would only cost time.
        for tag in mdef.allowed - {"8", "9", "10", "34", "35"}:
            typ = self.types.get(tag, "STRING")
            if typ in ("STRING", "MULTI"):
                continue
            if tag in self.enums:
                kinds[tag] = (1, self.enums[tag])
            elif typ in ("SEQNUM", "LENGTH", "NUMINGROUP"):
                kinds[tag] = (0, None)
            elif typ == "UTCTIMESTAMP":
                kinds[tag] = (2, None)
            elif typ in ("QTY", "PRICE"):
                kinds[tag] = (3, None)
            else:
                kinds[tag] = (4, None)
        return _Plan(frozenset(mdef.required), mdef.required, mdef.allowed, frozenset(kinds), kinds,
                     frozenset(mdef.groups))

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
        typ = self.types.get(tag, "STRING")
        if typ in ("STRING", "MULTI"):
            return "[^\x01]++"
        if tag in self.enums:
            values = sorted(self.enums[tag], key=lambda v: (-len(v), v))
            if all(len(v) == 1 for v in values):
                return "[" + "".join(re.escape(v) for v in values) + "]"   # a class: one step, no backtracking
            return "|".join(re.escape(v) for v in values)
        return _VALUE_PATTERNS.get(typ, "[^\x01]++")

    def _validate(self, msg) -> tuple[int, int | None, str] | None:
        mt = msg.msg_type
        plan = self._plans[mt]
        fields = msg.fields
        keys = fields.keys()
        missing = plan.required - keys
        if missing:
            tag = next(t for t in plan.required_order if t in missing)
            return (SRR.REQUIRED_TAG_MISSING, int(tag), f"required tag {tag} ({self.names[tag]}) missing")
        extra = keys - plan.allowed
        if extra and not self.allow_unknown_fields:
            problem = self._unexpected(mt, [t for t in fields if t in extra])
            if problem is not None:
                return problem
        for tag in keys & plan.typed:
            value = fields[tag]
            kind, allowed_values = plan.kinds[tag]
            if kind == 0:      # digits: SEQNUM, LENGTH, NUMINGROUP
                ok = value.isascii() and value.isdigit()
            elif kind == 1:    # enumerated (CHAR / INT / BOOLEAN with a fixed value set)
                if value not in allowed_values:
                    if not _TYPE_OK[self.types[tag]](value):
                        return _format_error(tag, self.names[tag], value)
                    return (SRR.VALUE_INCORRECT, int(tag),
                            f"value {value!r} is incorrect (out of range) for tag {tag} ({self.names[tag]})")
                continue
            elif kind == 2:    # UTCTIMESTAMP
                ok = _TIMESTAMP(value) is not None
            elif kind == 3:    # QTY / PRICE
                ok = _DECIMAL(value) is not None
            else:              # INT, CHAR without a value set
                ok = _TYPE_OK[self.types[tag]](value)
            if not ok:
                return _format_error(tag, self.names[tag], value)
        if msg.has_duplicates or (plan.group_counts and not plan.group_counts.isdisjoint(keys)):
            return self._validate_structure(msg, self.messages[mt])
        return None

    def _unexpected(self, mt: str, tags: list[str]):
        for tag in tags:
            if tag not in self.types:
                if int(tag) >= 5000 and self.allow_user_defined:
                    continue
                return (SRR.UNDEFINED_TAG, int(tag), f"undefined tag {tag}")
            return (SRR.TAG_NOT_DEFINED_FOR_MSG_TYPE, int(tag),
                    f"tag {tag} ({self.names[tag]}) not defined for MsgType {mt}")
        return None

    def _validate_structure(self, msg, mdef: MessageDef):
        """Slow path: repeating groups and repeated tags, over the ordered pairs."""
        pairs = msg.str_pairs
        i, n = 0, len(pairs)
        seen: set[str] = set()
        while i < n:
            tag, value = pairs[i]
            if tag in seen:
                return (SRR.TAG_APPEARS_MORE_THAN_ONCE, int(tag), f"tag {tag} appears more than once")
            seen.add(tag)
            i += 1
            group = mdef.groups.get(tag)
            if group is None:
                continue
            delim, members = group
            expected, count = int(value), 0
            in_entry: set[str] = set()
            while i < n and pairs[i][0] in members:
                t = pairs[i][0]
                if t == delim:
                    count += 1
                    in_entry = set()
                elif count == 0:
                    return (16, int(t), f"repeating group {tag} entry must start with tag {delim}")
                if t in in_entry:
                    return (SRR.TAG_APPEARS_MORE_THAN_ONCE, int(t), f"tag {t} repeated within a group entry")
                in_entry.add(t)
                i += 1
            if count != expected:
                return (16, int(tag), f"incorrect NumInGroup count for repeating group {tag}: "
                                      f"{expected} declared, {count} present")
        return None


@dataclass(frozen=True)
class _Plan:
    """What validating one message type takes, precomputed."""
    required: frozenset[str]
    required_order: tuple[str, ...]
    allowed: frozenset[str]
    typed: frozenset[str]
    kinds: dict[str, tuple[int, frozenset[str] | None]]
    group_counts: frozenset[str]


class Shape:
    """One learned tag sequence: its pattern (group k is the k-th field's value), the tags in
    order, and where each tag's value is. ``for_app`` says a message of this shape can go to
    the application without the session's general checks of header flags (an application
    message with SendingTime and no PossDupFlag); the session still checks the values."""

    __slots__ = ("match", "fullmatch", "tags", "index", "msg_type", "for_app", "session_groups", "known_groups")

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


_TIMESTAMP_RE = r"[0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9}+)?+"
_DECIMAL_RE = r"(?>-?(?:[0-9]++(?:\.[0-9]*+)?|\.[0-9]++))"
_TIMESTAMP = re.compile(_TIMESTAMP_RE).fullmatch
_DECIMAL = re.compile(_DECIMAL_RE).fullmatch
MAX_SHAPES = 8   # per MsgType: bounds what a counterparty sending ever-new shapes can cost
_VALUE_PATTERNS = {
    "INT": "-?[0-9]++", "LENGTH": "[0-9]++", "SEQNUM": "[0-9]++", "NUMINGROUP": "[0-9]++",
    "QTY": _DECIMAL_RE, "PRICE": _DECIMAL_RE, "UTCTIMESTAMP": _TIMESTAMP_RE,
    "CHAR": "[^\x01]", "BOOLEAN": "[YN]",
}


def _format_error(tag: str, name: str, value: str):
    return (SRR.INCORRECT_DATA_FORMAT, int(tag), f"tag {tag} ({name}) has incorrect data format {value!r}")


def _is_int(v: str) -> bool:
    return digits(v) or (v[:1] == "-" and digits(v[1:]))


def _is_decimal(v: str) -> bool:
    whole, _, frac = v.lstrip("-").partition(".")
    return (digits(whole) or (whole == "" and frac != "")) and (frac == "" or digits(frac))


def _is_timestamp(v: str) -> bool:
    # YYYYMMDD-HH:MM:SS[.sss...]
    return (len(v) >= 17 and v[8] == "-" and digits(v[:8]) and v[11] == ":" and v[14] == ":"
            and digits(v[9:11]) and digits(v[12:14]) and digits(v[15:17])
            and (len(v) == 17 or (v[17] == "." and digits(v[18:]) and 19 <= len(v) <= 27)))


_TYPE_OK = {
    "STRING": bool, "MULTI": bool,
    "INT": _is_int, "LENGTH": digits, "SEQNUM": digits, "NUMINGROUP": digits,
    "QTY": _is_decimal, "PRICE": _is_decimal,
    "CHAR": lambda v: len(v) == 1,
    "BOOLEAN": lambda v: v in ("Y", "N"),
    "UTCTIMESTAMP": _is_timestamp,
}

_CACHE: dict[tuple, Dictionary] = {}


def dictionary(version: str, allow_user_defined: bool = True, allow_unknown_fields: bool = False) -> Dictionary:
    key = (version, allow_user_defined, allow_unknown_fields)
    d = _CACHE.get(key)
    if d is None:
        d = _CACHE[key] = Dictionary(*key)
    return d
