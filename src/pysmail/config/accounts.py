"""Accounts in smail.ini: `[account NAME]` over `[smail]`, `[account NAME pop_before_smtp]` over
`[pop_before_smtp]` (pure; docs/settings.md section 3a, docs/decisions.md D34).

    sections = account_sections(parser.sections())     # NAME (lower) -> AccountSections
    chosen = choose(account, default_account, sections, path)   # None: [smail] alone

An account inherits every key of the section below it and overrides the keys it sets, with two
exceptions: the password sources (`password`, `password_command`, `password_keyring`) go as one
group (an account that sets any of them uses none of [smail]'s), and the two keys that hold one
mailbox's state, `oauth_token_file` and `outbox_dir`, are never inherited: an account without
them has its own token file (`smail_refreshtoken.NAME.ini` beside smail.ini) and its own outbox,
so two accounts never share, and clobber, one refresh token or send each other's queued mail.
"""

from __future__ import annotations

import re

from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.fs.pathtext import join
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from pysmail.fs.pathtext import StrPath

__all__ = [
    "ACCOUNT_MSGIDS",
    "NOT_INHERITED",
    "SMAIL_ONLY",
    "AccountSections",
    "account_sections",
    "account_token_file",
    "choose",
    "layered",
    "token_file_name",
]

_WORD = "account"
_POP = "pop_before_smtp"
# One word of letters, digits and . _ - @ + that starts and ends with a letter or digit: it
# names a file and a folder (the token file, the outbox) on every OS. A pattern for re's cache,
# compiled when first used: a smail.ini without [account ...] sections never needs it (D47).
_NAME = r"[^\W_](?:[\w.@+-]{0,62}[^\W_])?"
SMAIL_ONLY = ""  # as the account asked for: [smail] alone, default_account not applied
# Keys that hold one mailbox's state: never inherited from [smail] (module docstring).
NOT_INHERITED = ("oauth_token_file", "outbox_dir")
# The errors of choosing an account: raised even where a broken smail.ini is otherwise skipped.
ACCOUNT_MSGIDS = frozenset(
    {"config.unknown_account", "config.unknown_default_account", "config.account_without_file"}
)


@record
class AccountSections:
    """One account: its name as written and the real names of its sections (None: absent)."""

    name: str
    main: str | None = None
    pop: str | None = None


def account_sections(names: Iterable[str]) -> dict[str, AccountSections]:
    """The accounts of a file's section names, by lower-case name. A section that starts with
    the word `account` but has no valid name after it is not an account (it stays an unknown
    section, as any other: a settings file of another program may have one)."""
    found: dict[str, AccountSections] = {}
    for real in names:
        words = real.split()
        if (
            len(words) not in (2, 3)
            or words[0].lower() != _WORD
            or not re.fullmatch(_NAME, words[1])
        ):
            continue
        if len(words) == 3 and words[2].lower() != _POP:
            continue
        key = words[1].lower()
        entry = found.get(key) or AccountSections(name=words[1])
        if len(words) == 2:
            entry = AccountSections(name=words[1], main=real, pop=entry.pop)
        else:
            entry = AccountSections(name=entry.name, main=entry.main, pop=real)
        found[key] = entry
    return found


def choose(
    asked: str | None,
    default: str | None,
    accounts: Mapping[str, AccountSections],
    path: StrPath,
) -> AccountSections | None:
    """The account to use: `asked` (--account), else `default` (default_account in [smail]),
    else None ([smail] alone). An account is known when its `[account NAME]` section exists.
    `asked` = "" (SMAIL_ONLY) asks for [smail] alone, whatever default_account says.

    Raises:
        ConfigError(CONFIG, "config.unknown_account" | "config.unknown_default_account"):
            the name has no [account NAME] section; the message lists those there are.
    """
    name = asked if asked is not None else default
    if not name:
        return None
    found = accounts.get(name.lower())
    if found is not None and found.main is not None:
        return found
    msgid = "config.unknown_account" if asked is not None else "config.unknown_default_account"
    raise ConfigError(ErrCode.CONFIG, msgid, path=str(path), name=name, accounts=names(accounts))


def names(accounts: Mapping[str, AccountSections]) -> str:
    """The accounts of a file, as an error message lists them ("-" when there are none)."""
    known = sorted((a.name for a in accounts.values() if a.main is not None), key=str.lower)
    return ", ".join(known) or "-"


def layered(below: Mapping[str, Any], account: Mapping[str, Any]) -> dict[str, Any]:
    """One section's typed values with the account's over them (module docstring): the
    password sources as one group, NOT_INHERITED keys only from the account."""
    values = {k: v for k, v in below.items() if k not in NOT_INHERITED}
    if "secret" in account:
        values.pop("secret", None)
    values.update(account)
    return values


def account_token_file(folder: StrPath, name: str) -> str:
    """The token file of an account that names none: smail_refreshtoken.NAME.ini in `folder`
    (smail.ini's), never the file of [smail] or of another account."""
    return join(folder, token_file_name(name))


def token_file_name(account: str | None) -> str:
    """The token file's name beside smail.ini: SMAIL's for [smail], else the account's own."""
    from pysmail.config.model import OAUTH_TOKEN_FILE_NAME

    return OAUTH_TOKEN_FILE_NAME if account is None else f"smail_refreshtoken.{account}.ini"
