"""A flat JSON object read without the json module, for the one read on every OAuth send.

`import json` compiles six regular expressions (~4.9 M instructions, docs/decisions.md D47), and
an OAuth send from a cached token reads one small JSON file: the access-token cache, a flat
object that `json.dumps` wrote. `flat_object` reads exactly such an object: string keys, values
that are strings without a backslash, numbers, true, false or null. For anything else it
returns None and the caller asks json. tests/unit/test_flatjson.py holds it to `json.loads`
with hypothesis properties.
"""

from __future__ import annotations

__all__ = ["flat_object"]

_WS = " \t\n\r"  # JSON's whitespace
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}
_NOT_READ = object()


def flat_object(text: str) -> dict[str, object] | None:
    """`json.loads(text)` when `text` is a flat object as described above, else None (pure).

    Raises: ValueError where json.loads does for a flat object: an integer of more digits
        than `int()` converts (sys.get_int_max_str_digits).
    """
    if "\\" in text:
        return None
    # Without a backslash every `"` opens or closes a string: the odd pieces are the strings.
    pieces = text.split('"')
    if len(pieces) == 1:  # no string at all: `{}` is the one flat object
        return {} if _is_empty_object(text) else None
    if pieces[0].strip(_WS) != "{" or len(pieces) % 2 == 0:
        return None
    found: dict[str, object] = {}
    i = 1
    while i < len(pieces):
        key, value, end, i = _member(pieces, i)
        if value is _NOT_READ or not _is_text(key) or end != ("}" if i == len(pieces) else ","):
            return None
        found[key] = value
    return found


def _member(pieces: list[str], i: int) -> tuple[str, object, str, int]:
    """The key at pieces[i], its value (or _NOT_READ), the `,` or `}` after it and the index of
    the next key."""
    after_key = pieces[i + 1].strip(_WS)
    if after_key[:1] != ":":
        return pieces[i], _NOT_READ, "", i + 2
    literal = after_key[1:].lstrip(_WS)
    if literal:  # a number, true, false or null, then `,` or `}`
        return pieces[i], _literal(literal[:-1].rstrip(_WS)), literal[-1], i + 2
    if i + 3 >= len(pieces) or not _is_text(pieces[i + 2]):
        return pieces[i], _NOT_READ, "", i + 2
    return pieces[i], pieces[i + 2], pieces[i + 3].strip(_WS), i + 4


def _is_empty_object(text: str) -> bool:
    inner = text.strip(_WS)
    return inner[:1] == "{" and inner[-1:] == "}" and not inner[1:-1].strip(_WS)


def _is_text(text: str) -> bool:
    """A JSON string's content without escapes: no control character (json's strict mode)."""
    return not text or min(text) >= " "  # min(): one pass in C over a token of some KB


def _literal(text: str) -> object:
    """true, false, null or a number, as json reads it; else _NOT_READ."""
    if text in _LITERALS:
        return _LITERALS[text]
    unsigned = text[1:] if text[:1] == "-" else text
    mantissa, e, exponent = unsigned.replace("E", "e").partition("e")
    whole, dot, fraction = mantissa.partition(".")
    well_formed = (
        _digits(whole)
        and (whole == "0" or whole[0] != "0")
        and (not dot or _digits(fraction))
        and (not e or _digits(exponent[1:] if exponent[:1] in ("+", "-") else exponent))
    )
    if not well_formed:
        return _NOT_READ
    return float(text) if dot or e else int(text)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
