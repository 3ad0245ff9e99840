"""Choosing the language and rendering catalogue messages (the ERR-xxxx block)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Literal

from pysmail.catalog import CATALOGUE, TITLES
from pysmail.exitcodes import ErrCode

if TYPE_CHECKING:
    from pysmail.errors import SmailError

__all__ = ["Lang", "detect_lang", "format_error", "text", "title"]

Lang = Literal["en", "ja"]


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

        langid = ctypes.windll.kernel32.GetUserDefaultUILanguage()
        return "ja" if langid & 0x3FF == 0x11 else "en"
    return "en"


def text(msgid: str, lang: Lang, /, **params: object) -> str:
    """The catalogue text of `msgid` in `lang`, with its placeholders filled."""
    en, ja = CATALOGUE[msgid]
    template = ja if lang == "ja" else en
    return template.format(**params)


def title(code: ErrCode, lang: Lang) -> str:
    en, ja = TITLES[code]
    return ja if lang == "ja" else en


def format_error(err: SmailError, lang: Lang) -> str:
    """The block printed for an error: SMAIL's `ERR-xxxx:title` line, the cause, the reply."""
    lines = [f"ERR-{int(err.code):04d}:{title(err.code, lang)}"]
    if err.msgid:
        lines.append("  " + text(err.msgid, lang, **err.params))
    if err.reply:
        label = "サーバの応答" if lang == "ja" else "server reply"
        lines.extend(f"  {label}: {line}" for line in err.reply.splitlines())
    return "\n".join(lines)
