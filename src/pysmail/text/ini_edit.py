"""The one INI editor: every writer of smail.ini and smail_refreshtoken.ini goes through it.

    text = edit_ini(old, {"smail": {"server": "x", "cafile": None}}, newline="\n")
    data = encode_ini(text, "utf-8", updates)

Pure. The file's other lines, comments, sections, key order, line endings (CR LF, LF or CR)
and encoding are kept; only CR, LF and CR LF end a line (str.splitlines would also split at
\\x1c-\\x1e, \\x85, U+2028 and rewrite the file). A value, key or section name holding CR, LF or
any other control character (or a Unicode line or paragraph separator) is refused with
UnsafeValue before anything is written: it would add lines (a `password_command`, a second
`[smail]`, a `TokenURI=`) to a file that decides where mail and secrets go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "UnsafeValue",
    "check_value",
    "edit_ini",
    "encode_ini",
    "is_safe",
    "line_ending",
    "section_name",
    "split_lines",
]

Updates = Mapping[str, Mapping[str, "str | None"]]

# Cc (C0, DEL, C1) and the Unicode line/paragraph separators: none can be part of one INI line.
# A set, not a regex: compiling that character class cost 2.3 M instructions at every import,
# and the token file is read through this module on every OAuth send (docs/decisions.md D47).
_UNSAFE = frozenset(map(chr, (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)))
_LINE_END = re.compile(r"\r\n|\n|\r")


class UnsafeValue(ValueError):
    """`key` (in `section`) cannot be written: it holds a control character, or the file's
    encoding cannot hold it. Messages never show the value (it may be a secret)."""

    def __init__(self, section: str, key: str, reason: str = "control") -> None:
        super().__init__(f"[{section}] {key}: {reason}")
        self.section = section
        self.key = key
        self.reason = reason


def is_safe(value: str) -> bool:
    """Whether `value` can be written as (part of) one INI line: no control character."""
    return _UNSAFE.isdisjoint(value)


def check_value(section: str, key: str, value: str | None) -> None:
    """Raises UnsafeValue when `value` (or the key or section name) would not stay one line."""
    if not all(is_safe(part) for part in (section, key, value or "")):
        raise UnsafeValue(section, key)


def split_lines(text: str) -> list[str]:
    """The lines of `text` without their ends: only CR LF, LF and CR end a line."""
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def line_ending(text: str | None, default: str) -> str:
    """The line ending `text` uses (the first one found), else `default`."""
    found = _LINE_END.search(text or "")
    return found[0] if found is not None else default


def section_name(line: str) -> str | None:
    """The name of a `[section]` line (what lies inside the first brackets), else None."""
    stripped = line.strip()
    if stripped.startswith("[") and "]" in stripped:
        return stripped[1 : stripped.index("]")].strip()
    return None


def _key_name(line: str, delimiters: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped[0] in ";#[":
        return None
    cut = min((i for i in (stripped.find(d) for d in delimiters) if i >= 0), default=-1)
    return stripped[:cut].strip() if cut > 0 else None


def edit_ini(
    old: str | None,
    updates: Updates,
    *,
    newline: str = "\n",
    header: tuple[str, ...] = (),
    separator: str = " = ",
    delimiters: str = "=:",
    aliases: Mapping[str, str] | None = None,
) -> str:
    """`old` (None: a new file starting with the `header` lines) with each
    `updates[section][key]` set: in place of the key's first line (its spelling kept), else at
    the end of its section (before the blank lines that close it), else in a new section at
    the end. None removes the key; "" writes it empty. Later lines of a managed key (in the
    section or a repeat of it) are dropped, so every reader, first-wins or last-wins, sees the
    value written. Section and key names compare case-insensitively; `aliases` maps other
    spellings (lower case) to a key of `updates` (lower case). `delimiters`: what separates a
    key from its value when reading a line; `separator`: what is written. The line ending is
    `old`'s own, else `newline`.

    Raises: UnsafeValue (nothing is returned).
    """
    for name, keys in updates.items():
        for key, value in keys.items():
            check_value(name, key, value)
    newline = line_ending(old, newline)
    lines = split_lines(old) if old is not None else list(header)
    editor = _Editor(updates, separator, delimiters, aliases or {})
    for line in lines:
        editor.take(line)
    editor.close_section()
    editor.add_new_sections(updates)
    return newline.join(editor.out) + newline


class _Editor:
    """One pass of edit_ini: the lines written so far, the section being read, the keys set."""

    __slots__ = ("alias", "delimiters", "done", "out", "section", "separator", "wanted")

    def __init__(
        self, updates: Updates, separator: str, delimiters: str, aliases: Mapping[str, str]
    ) -> None:
        self.alias = {k.lower(): v.lower() for k, v in aliases.items()}
        self.wanted = {
            s.lower(): {k.lower(): (k, v) for k, v in keys.items()} for s, keys in updates.items()
        }
        self.done: dict[str, set[str]] = {s: set() for s in self.wanted}
        self.out: list[str] = []
        self.section: str | None = None
        self.separator = separator
        self.delimiters = delimiters

    def take(self, line: str) -> None:
        """Copy, replace or drop the next line of the old file."""
        head = section_name(line)
        if head is not None:
            self.close_section()
            self.section = head.lower()
            self.out.append(line)
        elif not self._managed(line):
            self.out.append(line)

    def _managed(self, line: str) -> bool:
        """Whether `line` sets a key of `updates`: its first line becomes the new value (or
        goes, for None), and any later one goes."""
        section = self.section
        if section is None or section not in self.wanted:
            return False
        spelling = _key_name(line, self.delimiters)
        if spelling is None:
            return False
        key = self.alias.get(spelling.lower(), spelling.lower())
        if key not in self.wanted[section]:
            return False
        if key not in self.done[section]:
            self.done[section].add(key)
            value = self.wanted[section][key][1]
            if value is not None:
                self.out.append(f"{spelling}{self.separator}{value}")
        return True

    def close_section(self) -> None:
        """At the end of a section: its keys not yet set, before the blank lines ending it."""
        section = self.section
        if section is None or section not in self.wanted:
            return
        missing = [
            f"{label}{self.separator}{value}"
            for key, (label, value) in self.wanted[section].items()
            if value is not None and key not in self.done[section]
        ]
        self.done[section].update(self.wanted[section])
        at = len(self.out)
        while at > 0 and not self.out[at - 1].strip():
            at -= 1  # before the blank lines that end the section
        self.out[at:at] = missing

    def add_new_sections(self, updates: Updates) -> None:
        """At the end of the file: the sections of `updates` it did not have."""
        out = self.out
        for name, keys in updates.items():
            if not self.done[name.lower()] and any(v is not None for v in keys.values()):
                if out and out[-1].strip():
                    out.append("")
                out.append(f"[{name}]")
                out.extend(f"{k}{self.separator}{v}" for k, v in keys.items() if v is not None)


def encode_ini(text: str, encoding: str, updates: Updates) -> bytes:
    """`text` (from edit_ini) in the file's `encoding`. The old lines go as they were read (a
    character the reader replaced stays replaced); the values written must fit exactly.

    Raises: UnsafeValue(reason="encoding") when a value has a character the encoding lacks (a
    CP932 file and a value outside CP932): it is never written as "?".
    """
    for section, keys in updates.items():
        for key, value in keys.items():
            try:
                (value or "").encode(encoding)
            except UnicodeEncodeError:
                raise UnsafeValue(section, key, "encoding") from None
    return text.encode(encoding, errors="replace")
