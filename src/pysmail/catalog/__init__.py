"""The message catalogue: every user-facing text, in English and Japanese, by message id.

One lookup table, kept in one file per area so each subsystem owns its texts: titles (the
ERR-xxxx lines), batch, cli, config, info (the -i block and the main command), mime, oauth and
oauth_refusals, outbox, smtp, pop3, sendmail (smail-sendmail), token, token_help and
token_status (smail-token), setup. Each entry is (english, japanese); placeholders use str.format
names. A unit test checks both languages cover every id and use the same placeholders.
"""

from __future__ import annotations

from pysmail.catalog import (
    batch,
    cli,
    config,
    info,
    mime,
    oauth,
    oauth_refusals,
    outbox,
    pop3,
    sendmail,
    setup,
    smtp,
    titles,
    token,
    token_help,
    token_status,
)

__all__ = ["CATALOGUE", "TITLES"]

TITLES = titles.TITLES

CATALOGUE: dict[str, tuple[str, str]] = {}
for _area in (
    batch.MESSAGES,
    cli.MESSAGES,
    config.MESSAGES,
    info.MESSAGES,
    mime.MESSAGES,
    oauth.MESSAGES,
    oauth_refusals.MESSAGES,
    outbox.MESSAGES,
    smtp.MESSAGES,
    pop3.MESSAGES,
    sendmail.MESSAGES,
    token.MESSAGES,
    token_help.MESSAGES,
    token_status.MESSAGES,
    setup.MESSAGES,
):
    _clash = CATALOGUE.keys() & _area.keys()
    if _clash:  # pragma: no cover - guarded by the catalogue test
        raise RuntimeError(f"message ids defined twice: {sorted(_clash)}")
    CATALOGUE.update(_area)
