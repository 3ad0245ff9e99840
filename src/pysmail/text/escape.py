"""Control characters made visible: the one escaper for every line either command prints.

A mail server, a token endpoint or a file can put bytes in front of the user that a terminal
obeys instead of showing: ESC starts a sequence that moves the cursor, recolours or retitles the
window (OSC), BEL rings, BS and CR overwrite what was printed, and the Unicode bidi controls
reorder a line so that it reads differently from what it holds. Each such character is shown as
its Python escape (`\\x1b`, `\\x07`, `\\u202e`), so the user sees that it was there and what it
was. TAB and LF stay (they are layout), and so does all printable Unicode: Japanese text, emoji
with their joiners, accented letters print as they are. See docs/decisions.md D22.
"""

from __future__ import annotations

import re

__all__ = ["clip", "escape_controls"]

# C0 but TAB and LF; DEL; C1; ALM, LRM, RLM; the line and paragraph separators; the bidi
# embeddings, overrides and isolates (LRE..RLO, LRI..PDI). A pattern for re's cache, compiled for
# the first line printed: a run that prints nothing never compiles it (docs/decisions.md D8).
_CONTROLS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character (see the module docstring) as a visible escape."""
    return re.sub(_CONTROLS, _escaped, text)


def clip(text: str, limit: int = 80) -> str:
    """`text` as a message may repeat it: past `limit` characters, its start and its length
    (a 2 MB option value is named, not printed)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
