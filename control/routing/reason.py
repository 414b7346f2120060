"""``Why``: a routing reason recorded as a format and its arguments, formatted when first read.

Every leg of every child carries why it went where it went (onto the tape as
``ChildRecord.reason``), but the text is read only when someone looks: a report, a test, the
tape written to CSV. Formatting it eagerly (a few floats each) was most of a route's cost, so
the router records the parts and the text is built once, on the first read. A ``Why`` behaves
as the string it stands for (``==``, ``in``, ``startswith``, ``str()``, ``repr()``, f-strings,
CSV), through ``collections.UserString``, whose methods all read ``data``.
"""
from __future__ import annotations

from collections import UserString


class Why(UserString):
    __slots__ = ("_fmt", "_args", "_text")

    def __init__(self, fmt, *args):
        # UserString's own methods build new instances from one string: that is the text
        self._fmt, self._args = fmt, args
        self._text = None if args else str(fmt)

    @property
    def data(self) -> str:
        t = self._text
        if t is None:
            t = self._text = self._fmt.format(*self._args)
            self._args = ()
        return t

    @property
    def formatted(self) -> bool:
        """Whether the text was built yet (the route itself never builds it)."""
        return self._text is not None

    def __repr__(self) -> str:
        return repr(self.data)

    def __reduce__(self):
        return (Why, (self.data,))
