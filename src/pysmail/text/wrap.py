"""Wrapping text to a terminal's columns where a Japanese character takes two of them.

textwrap counts characters and breaks only at spaces, so a Japanese help line (no spaces, each
character two columns wide) runs far past the edge. Here a line may break at a space or beside a
wide character, but never before a closing mark (、。）) or after an opening one (（「).
"""

from __future__ import annotations

import unicodedata

__all__ = ["display_width", "wrap"]

_NO_BREAK_BEFORE = frozenset("、。，．）」』】〕・ー：；！？,.):;!?")
_NO_BREAK_AFTER = frozenset("（「『【〔(")


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def display_width(text: str) -> int:
    """Columns `text` takes on a terminal: two for a wide (East Asian) character."""
    return sum(2 if _wide(c) else 1 for c in text)


def _joins(previous: str, char: str) -> bool:
    """Whether `char` must stay on the line of `previous` (no space between them)."""
    if char in _NO_BREAK_BEFORE or previous in _NO_BREAK_AFTER:
        return True
    return not (_wide(char) or _wide(previous))  # inside a word of narrow characters


def _units(text: str) -> list[tuple[str, bool]]:
    """The pieces a line may break between, each with whether a space came before it."""
    units: list[tuple[str, bool]] = []
    space = False
    for char in text:
        if char.isspace():
            space = True
            continue
        if units and not space and _joins(units[-1][0][-1], char):
            units[-1] = (units[-1][0] + char, units[-1][1])
        else:
            units.append((char, space))
        space = False
    return units


def wrap(text: str, width: int) -> list[str]:
    """`text` (runs of white space count as one space) in lines of at most `width` columns;
    a piece wider than `width` (a long word) gets a line of its own."""
    lines: list[str] = []
    line, used = "", 0
    for unit, space in _units(text):
        piece = " " + unit if space and line else unit
        size = display_width(piece)
        if line and used + size > width:
            lines.append(line)
            line, used = unit, display_width(unit)
        else:
            line, used = line + piece, used + size
    if line:
        lines.append(line)
    return lines
