"""The RFC 5322 lexical scanner under mime/addresses.py: atoms, quoted strings (their quoted
pairs undone), nested comments, domains and addr-specs, read from a position in a text. The
grammar of mailboxes and lists, and the values they make, stay in addresses.py.
"""

from __future__ import annotations

import re

__all__ = ["Refused", "Scanner", "is_atom_char", "item_text"]

# RFC 5322 specials that may not appear unquoted in an atom ("." is allowed: obs-phrase and
# the legacy local parts of addresses.py).
_SPECIALS = frozenset('<>()[],;:\\"@')
# A run of _is_atom_char characters, but for non-printable ones (atom() cuts at those): what
# re does in C, a character loop did at twice the cost of the whole parse.
_ATOM_RUN = re.compile(r'[^\s<>()\[\],;:\\"@]+')


class Refused(Exception):
    """Not an address; `msgid` says why (bad_address or address_too_long)."""

    def __init__(self, msgid: str = "mime.bad_address") -> None:
        super().__init__(msgid)
        self.msgid = msgid


def is_atom_char(ch: str) -> bool:
    return not ch.isspace() and ch.isprintable() and ch not in _SPECIALS


class Scanner:
    """A position in `text` and the RFC 5322 lexical pieces read from it."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def atom(self) -> str:
        """The run of atom characters at pos (may be "")."""
        found = _ATOM_RUN.match(self.text, self.pos)
        if found is None:
            return ""
        run = found.group()
        if not run.isprintable():  # rare: cut at the first control or format character
            run = run[: next(i for i, ch in enumerate(run) if not ch.isprintable())]
        self.pos += len(run)
        return run

    def spaces(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[start : self.pos]

    def comment(self) -> str:
        """The comment at pos ("(" ... ")", nested, quoted pairs kept) as written."""
        start, depth = self.pos, 0
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == "\\":
                self.pos += 1
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return self.text[start : self.pos]
        raise Refused  # an open comment

    def quoted(self) -> str:
        """The content of the quoted string at pos, its quoted pairs undone."""
        out: list[str] = []
        self.pos += 1
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            if ch == '"':
                return "".join(out)
            if ch == "\\":
                if self.pos >= len(self.text):
                    break
                ch = self.text[self.pos]
                self.pos += 1
            out.append(ch)
        raise Refused  # an open quote

    def cfws(self) -> None:
        """Skip white space and comments."""
        while True:
            if self.spaces():
                continue
            if self.peek() == "(":
                self.comment()
                continue
            return

    def phrase(self) -> tuple[str, list[str]]:
        """The words, quoted strings, comments and spaces at pos, up to the first other
        character: (the text as a display name, the kinds read: "atom", "quoted", "space")."""
        text: list[str] = []
        kinds: list[str] = []
        while True:
            ch = self.peek()
            if ch == '"':
                text.append(self.quoted())
                kinds.append("quoted")
            elif ch == "(":
                text.append(self.comment())
                kinds.append("space")
            elif ch and ch.isspace():
                text.append(self.spaces())
                kinds.append("space")
            elif ch and is_atom_char(ch):
                text.append(self.atom())
                kinds.append("atom")
            else:
                return "".join(text), kinds

    def domain(self) -> str:
        """A domain (dot-atom or [literal]) at pos."""
        if self.peek() == "[":
            end = self.text.find("]", self.pos)
            if end < 0:
                raise Refused
            literal = self.text[self.pos : end + 1]
            inner = literal[1:-1]
            if not inner or not inner.isascii() or not all(is_atom_char(c) for c in inner):
                raise Refused
            self.pos = end + 1
            return literal
        domain = self.atom()
        if not domain or not all(domain.split(".")):
            raise Refused
        return domain

    def addr_spec(self, local: str) -> str:
        """`local` "@" domain, with pos at the "@"."""
        if not local or self.peek() != "@":
            raise Refused
        self.pos += 1
        return f"{local}@{self.domain()}"

    def angle_addr(self) -> str:
        """An angle-addr at pos: spaces allowed inside the brackets, no source route."""
        self.pos += 1
        self.cfws()
        addr = self.addr_spec(self.atom())
        self.cfws()
        if self.peek() != ">":
            raise Refused
        self.pos += 1
        return addr


def item_text(text: str, start: int) -> str:
    """The list item starting at `start`: up to the next comma outside quotes and comments."""
    depth = 0
    in_quote = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_quote:
            in_quote = ch != '"'
        elif ch == '"':
            in_quote = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            return text[start:i]
    return text[start:]
