"""The message catalogue: every user-facing text, in English and Japanese, by message id.

The texts are data, one JSON file per area next to this module (docs/translating.md says which
file holds what, and the placeholder rules): titles (the ERR-xxxx lines, by ERR number), batch,
cli, config, info (the -i block and the main command), mime, oauth and oauth_refusals, outbox,
smtp, pop3, sendmail (smail-sendmail), token, token_help and token_status (smail-token), setup.
Each entry is [english, japanese]; placeholders use str.format names. Unit tests check both
languages cover every id with the same placeholders, and every file's shape.

CATALOGUE (id -> (english, japanese)) and TITLES (ErrCode -> (english, japanese)) are read on
first use: `import pysmail.catalog` reads nothing, and a run that shows no message never gets
here (docs/decisions.md D8, D41). A file that is missing or not a catalogue must not turn an
ERR message into a traceback: the table records it in `broken`, and while a table has a broken
file an id it lacks reads as itself (a title as the ErrCode's name) in both languages.
"""

from __future__ import annotations

import os

from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["AREAS", "CATALOGUE", "TITLES", "Messages", "Titles"]

# The message files, in the order their ids were merged when they were Python dicts.
AREAS = (
    "batch",
    "cli",
    "config",
    "info",
    "mime",
    "oauth",
    "oauth_refusals",
    "outbox",
    "smtp",
    "pop3",
    "sendmail",
    "token",
    "token_help",
    "token_status",
    "setup",
)
HERE = os.path.dirname(__file__)  # the package folder, in a wheel install as in an editable one


class Messages(dict[str, tuple[str, str]]):
    """Message id -> (english, japanese); `broken` names the files that could not be read."""

    broken: tuple[str, ...] = ()

    def __missing__(self, msgid: str) -> tuple[str, str]:
        if not self.broken:
            raise KeyError(msgid)
        return (msgid, msgid)


class Titles(dict[ErrCode, tuple[str, str]]):
    """ErrCode -> (english, japanese); `broken` names the file if it could not be read."""

    broken: tuple[str, ...] = ()

    def __missing__(self, code: ErrCode) -> tuple[str, str]:
        if not self.broken:
            raise KeyError(code)
        return (code.name, code.name)


def read(name: str, directory: str = HERE) -> dict[str, object] | None:
    """The JSON object in `directory`/`name`, or None when it is missing or not an object."""
    import json

    try:
        with open(os.path.join(directory, name), "rb") as file:
            data = json.loads(file.read().decode("utf-8"))
    except (OSError, ValueError):  # ValueError: JSONDecodeError, UnicodeDecodeError
        return None
    return data if type(data) is dict else None


def fill(
    table: dict[str, tuple[str, str]], names: Iterable[str], directory: str = HERE
) -> tuple[str, ...]:
    """Add the [english, japanese] entries of each file to `table`; the names of the files that
    are unreadable or hold an entry of another shape (that entry left out) are returned."""
    broken: tuple[str, ...] = ()
    for name in names:
        data = read(name, directory)
        good = data is not None
        for msgid, value in (data or {}).items():
            if type(value) is list and len(value) == 2 and type(value[0]) is type(value[1]) is str:
                table[msgid] = (value[0], value[1])
            else:
                good = False
        if not good:
            broken += (name,)
    return broken


def load_messages(directory: str = HERE) -> Messages:
    table = Messages()
    table.broken = fill(table, (f"{area}.json" for area in AREAS), directory)
    return table


def load_titles(directory: str = HERE) -> Titles:
    """titles.json, keyed by the 4-digit ERR number, as ErrCode -> (english, japanese)."""
    entries: dict[str, tuple[str, str]] = {}
    table = Titles()
    table.broken = fill(entries, ("titles.json",), directory)
    for number, pair in entries.items():
        try:
            table[ErrCode(int(number))] = pair
        except ValueError:  # not a number, or no ERR code
            table.broken = ("titles.json",)
    return table


if TYPE_CHECKING:
    CATALOGUE: Messages
    TITLES: Titles


def __getattr__(name: str) -> object:
    """CATALOGUE and TITLES, read on first use and kept."""
    if name == "CATALOGUE":
        value: object = load_messages()
    elif name == "TITLES":
        value = load_titles()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
