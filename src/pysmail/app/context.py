"""What every step of one run shares: the output, the environment, the folder, the language."""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pysmail.messages import Lang
    from pysmail.ui.output import Output

__all__ = ["Context"]


class Context:
    """What every step of one run shares: the output, the environment, the folder, the language."""

    __slots__ = ("cwd", "env", "lang", "out")

    def __init__(self, out: Output, env: Mapping[str, str], cwd: Path, lang: Lang) -> None:
        self.out = out
        self.env = env
        self.cwd = cwd
        self.lang = lang
