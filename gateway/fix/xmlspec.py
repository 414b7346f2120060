"""QuickFIX's XML data-dictionary format, read into plain frozen definitions.

The format (QuickFIX's spec/FIX42.xml, FIX44.xml, and every venue's customised copy):
``<fix major= minor=>`` holding ``<header>``, ``<trailer>``, ``<messages>`` (each
``<message name= msgtype= msgcat=>``), ``<components>`` and ``<fields>`` (each
``<field number= name= type=>`` with ``<value enum=>`` children). Messages, components
and groups list ``<field>``, ``<group>`` and ``<component>`` references by name, each
with ``required='Y'|'N'``.

Components are flattened where they are used, as QuickFIX does: a field of a component
is required only if the component reference and the field are both required. A group
keeps its own definition (delimiter = its first member, members in order, required
members, nested groups); its count tag is required if the group reference is (and every
enclosing component reference is). ``Dictionary`` compiles this into what the validator
and the parser's shapes use; nothing here is on the message path.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

SPEC_DIR = Path(__file__).with_name("spec")
BUILTIN = {"FIX.4.2": SPEC_DIR / "FIX42.xml", "FIX.4.4": SPEC_DIR / "FIX44.xml"}


class DictionaryError(ValueError):
    """A data dictionary that cannot be used; the text names the file and what is wrong."""


@dataclass(frozen=True)
class FieldDef:
    tag: str
    name: str
    type: str
    enums: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GroupDef:
    count: str                       # the NumInGroup tag
    delim: str                       # the first member: every entry starts with it
    fields: tuple[str, ...]          # members at this level, in dictionary order (nested counts included)
    required: tuple[str, ...]        # members every entry must carry
    groups: dict[str, "GroupDef"] = field(default_factory=dict)   # nested: count tag -> group

    @property
    def all_tags(self) -> frozenset[str]:
        """Members at every depth."""
        tags = set(self.fields)
        for g in self.groups.values():
            tags |= g.all_tags
        return frozenset(tags)


@dataclass(frozen=True)
class MessageDef:
    name: str
    msg_type: str
    category: str                    # "admin" or "app"
    fields: tuple[str, ...]          # top-level tags in dictionary order (group counts included)
    required: tuple[str, ...]
    groups: dict[str, GroupDef] = field(default_factory=dict)

    @property
    def members(self) -> frozenset[str]:
        """Tags that may appear only inside one of the message's groups."""
        tags: set[str] = set()
        for g in self.groups.values():
            tags |= g.all_tags
        return frozenset(tags)


@dataclass(frozen=True)
class DictSpec:
    begin_string: str                # "FIX.4.4"; "FIXT.1.1" for a transport dictionary
    source: str
    fields: dict[str, FieldDef]      # tag -> field
    header: MessageDef
    trailer: MessageDef
    messages: dict[str, MessageDef]  # MsgType -> message


class _Builder:
    def __init__(self, root: ET.Element, source: str):
        self.source = source
        self.by_name: dict[str, FieldDef] = {}
        self.fields: dict[str, FieldDef] = {}
        for f in root.iterfind("fields/field"):
            tag, name, typ = f.get("number"), f.get("name"), (f.get("type") or "STRING").upper()
            if not tag or not tag.isdigit() or not name:
                self.fail(f"<field number={tag!r} name={name!r}>: needs a numeric number and a name")
            if tag in self.fields:
                self.fail(f"field number {tag} is defined twice ({self.fields[tag].name}, {name})")
            fd = FieldDef(tag, name, typ, frozenset(v.get("enum", "") for v in f.iterfind("value")))
            self.fields[tag] = self.by_name[name] = fd
        self.components = {c.get("name"): c for c in root.iterfind("components/component")}

    def fail(self, why: str):
        raise DictionaryError(f"{self.source}: {why}")

    def block(self, elem: ET.Element, where: str, stack=()):
        """(fields in order, required, groups) of the references under ``elem``."""
        order: list[str] = []
        required: list[str] = []
        groups: dict[str, GroupDef] = {}
        self._walk(elem, where, True, order, required, groups, stack)
        return tuple(order), tuple(required), groups

    def _walk(self, elem, where, enclosing_required, order, required, groups, stack):
        for ref in elem:
            name = ref.get("name")
            req = enclosing_required and ref.get("required", "N").upper() == "Y"
            if ref.tag == "component":
                comp = self.components.get(name)
                if comp is None:
                    self.fail(f"{where}: component {name!r} is not defined in <components>")
                if name in stack:
                    self.fail(f"{where}: component {name!r} contains itself")
                self._walk(comp, f"{where} > component {name}", req, order, required, groups, stack + (name,))
                continue
            if ref.tag not in ("field", "group"):
                continue
            fd = self.by_name.get(name)
            if fd is None:
                self.fail(f"{where}: field {name!r} is not defined in <fields>")
            if fd.tag in order:
                # Listed twice (directly and through a component, say): one field, as QuickFIX
                # merges it, required if either listing is.
                if req and fd.tag not in required:
                    required.append(fd.tag)
                continue
            order.append(fd.tag)
            if req:
                required.append(fd.tag)
            if ref.tag == "group":
                g_where = f"{where} > group {name}"
                g_order, g_required, g_groups = self.block(ref, g_where, stack)
                if not g_order:
                    self.fail(f"{g_where}: a group needs at least one member")
                groups[fd.tag] = GroupDef(fd.tag, g_order[0], g_order, g_required, g_groups)

    def message(self, elem: ET.Element, name: str, msg_type: str, category: str) -> MessageDef:
        order, required, groups = self.block(elem, f"message {name}")
        return MessageDef(name, msg_type, category, order, required, groups)


def parse_spec(text: str | bytes, source: str = "<dictionary>") -> DictSpec:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise DictionaryError(f"{source}: not well-formed XML: {exc}") from None
    if root.tag != "fix":
        raise DictionaryError(f"{source}: the root element must be <fix>, not <{root.tag}>")
    kind, major, minor = root.get("type", "FIX"), root.get("major"), root.get("minor")
    if not (major or "").isdigit() or not (minor or "").isdigit():
        raise DictionaryError(f"{source}: <fix> needs numeric major= and minor= attributes")
    b = _Builder(root, source)
    header = b.message(root.find("header") if root.find("header") is not None else ET.Element("header"),
                       "header", "", "admin")
    trailer = b.message(root.find("trailer") if root.find("trailer") is not None else ET.Element("trailer"),
                        "trailer", "", "admin")
    messages: dict[str, MessageDef] = {}
    for m in root.iterfind("messages/message"):
        name, mt = m.get("name"), m.get("msgtype")
        if not name or not mt:
            b.fail(f"<message name={name!r} msgtype={mt!r}>: needs a name and a msgtype")
        if mt in messages:
            b.fail(f"msgtype {mt!r} is defined twice ({messages[mt].name}, {name})")
        messages[mt] = b.message(m, name, mt, m.get("msgcat", "app"))
    return DictSpec(f"{kind}.{major}.{minor}", source, b.fields, header, trailer, messages)


def load_spec(path: str | Path) -> DictSpec:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DictionaryError(f"{p}: cannot read the data dictionary: {exc.strerror or exc}") from None
    return parse_spec(data, str(p))
