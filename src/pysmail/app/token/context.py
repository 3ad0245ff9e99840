"""What every smail-token command shares."""

from __future__ import annotations

from pysmail.messages import Lang, text
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from typing import TextIO

    from pysmail.oauth.http import HttpPort
    from pysmail.ui.output import Output

__all__ = ["TokenContext"]


@record
class TokenContext:
    """What every smail-token command shares: two outputs (stdout, stderr), the environment,
    the folder, the language, stdin, whether to prompt, the browser, the HTTP port and the
    [account NAME] of smail.ini (--account)."""

    out: Output
    err: Output
    env: Mapping[str, str]
    cwd: Path
    lang: Lang
    stdin: TextIO | None
    interactive: bool
    browser: Callable[[str], bool] | None
    http: HttpPort | None
    account: str | None = None

    def text(self, msgid: str, **params: object) -> str:
        return text(msgid, self.lang, **params)
