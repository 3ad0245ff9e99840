"""The message catalogue: every user-facing text, in English and Japanese, by message id.

One lookup table, kept in one file per area so each subsystem owns its texts:
titles (the ERR-xxxx lines), cli, config, info (the -i block and the main command), mime,
oauth, smtp, pop3. Each entry is (english, japanese);
placeholders use str.format names. A unit test checks both languages cover every id and use the
same placeholders.
"""

from __future__ import annotations

from pysmail.catalog import (
    batch,
    cli,
    config,
    info,
    mime,
    oauth,
    outbox,
    pop3,
    setup,
    smtp,
    titles,
    token,
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
    outbox.MESSAGES,
    smtp.MESSAGES,
    pop3.MESSAGES,
    token.MESSAGES,
    setup.MESSAGES,
):
    _clash = CATALOGUE.keys() & _area.keys()
    if _clash:  # pragma: no cover - guarded by the catalogue test
        raise RuntimeError(f"message ids defined twice: {sorted(_clash)}")
    CATALOGUE.update(_area)
