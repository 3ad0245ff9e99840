"""Choosing the language and rendering catalogue messages (the ERR-xxxx block).

The catalogue (pysmail.catalog, every text in two languages) is read by the first lookup: a run
that shows no message, such as a plain successful send, never loads it (docs/decisions.md D8).
"""

from __future__ import annotations

import os
import sys

from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Literal, Protocol

    Lang = Literal["en", "ja"]

    class Reported(Protocol):
        """What format_error reads of an error: pysmail.errors.SmailError has this shape
        (declared here, so that messages, which errors uses to render itself, needs no errors)."""

        @property
        def code(self) -> ErrCode: ...
        @property
        def msgid(self) -> str: ...
        @property
        def params(self) -> Mapping[str, object]: ...
        @property
        def reply(self) -> str | None: ...
        @property
        def kept(self) -> object: ...
else:
    Lang = str

__all__ = ["LANGS", "Lang", "detect_lang", "format_error", "text", "title", "ui_lang"]

LANGS = ("en", "ja")  # the values of Lang, for --lang and shell completion


def detect_lang(explicit: str | None = None, environ: dict[str, str] | None = None) -> Lang:
    """`--lang` wins; then LANGUAGE, LC_ALL, LC_MESSAGES, LANG; then the Windows UI language."""
    if explicit:
        return "ja" if explicit.lower().startswith("ja") else "en"
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        return ui_lang(ctypes.windll.kernel32.GetUserDefaultUILanguage())
    return "en"


def ui_lang(langid: int) -> Lang:
    """The language of a Windows LANGID (e.g. 0x0411): its primary language, the low 10 bits,
    is LANG_JAPANESE (0x11) -> "ja". The bits above the 16-bit LANGID are ignored (ctypes reads
    the WORD that GetUserDefaultUILanguage returns as an int)."""
    return "ja" if langid & 0x3FF == 0x11 else "en"


def text(msgid: str, lang: Lang, /, **params: object) -> str:
    """The catalogue text of `msgid` in `lang`, with its placeholders filled."""
    from pysmail.catalog import CATALOGUE

    en, ja = CATALOGUE[msgid]
    template = ja if lang == "ja" else en
    return template.format(**params)


def title(code: ErrCode, lang: Lang) -> str:
    from pysmail.catalog import TITLES

    en, ja = TITLES[code]
    return ja if lang == "ja" else en


def format_error(err: Reported, lang: Lang) -> str:
    """The block printed for an error: SMAIL's `ERR-xxxx:title` line, the cause, the reply."""
    lines = [f"ERR-{int(err.code):04d}:{title(err.code, lang)}"]
    if err.msgid:
        lines.append("  " + text(err.msgid, lang, **err.params))
    if err.reply:
        label = "サーバの応答" if lang == "ja" else "server reply"
        lines.extend(f"  {label}: {line}" for line in err.reply.splitlines())
    if err.kept is not None:
        lines.append("  " + text("outbox.kept", lang, path=err.kept))
    return "\n".join(lines)
