"""What every smail-token command shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pysmail.messages import Lang, text

TYPE_CHECKING = False  # mypy knows this idiom; `typing` costs ~2 ms on every run
if TYPE_CHECKING:
    from pysmail.oauth.http import HttpPort
    from pysmail.ui.output import Output

__all__ = ["TokenContext"]


@dataclass
class TokenContext:
    """What every smail-token command shares: two outputs (stdout, stderr), the environment,
    the folder, the language, stdin, whether to prompt, the browser and the HTTP port."""

    out: Output
    err: Output
    env: Mapping[str, str]
    cwd: Path
    lang: Lang
    stdin: TextIO | None
    interactive: bool
    browser: Callable[[str], bool] | None
    http: HttpPort | None

    def text(self, msgid: str, **params: object) -> str:
        return text(msgid, self.lang, **params)
