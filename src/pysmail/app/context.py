"""What every step of one run shares: the output, the environment, the folder, the language."""

from __future__ import annotations

from pysmail.fs.pathtext import join

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping

    from pysmail.fs.pathtext import StrPath
    from pysmail.messages import Lang
    from pysmail.ui.output import Output

__all__ = ["Context"]


class Context:
    """What every step of one run shares: the output, the environment, the folder, the language."""

    __slots__ = ("cwd", "env", "lang", "out")

    def __init__(self, out: Output, env: Mapping[str, str], cwd: StrPath, lang: Lang) -> None:
        self.out = out
        self.env = env
        self.cwd = join(cwd)  # as fs.pathtext shows it: the send path loads no pathlib
        self.lang = lang
