"""What users read of the outbox: flush report lines and `smail --queue-list`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pysmail.delivery.outbox.fileformat import Entry, stamp
from pysmail.delivery.outbox.run import Event
from pysmail.delivery.outbox.spool import FAILED, UNSENT, entries
from pysmail.errors import SmailError

if TYPE_CHECKING:
    from pysmail.messages import Lang

__all__ = ["describe", "list_lines"]


def describe(event: Event, lang: Lang) -> str:
    """One report line for a flush event, in the user's language."""
    from pysmail.messages import text

    env = event.envelope
    common: dict[str, object] = {
        "name": event.name,
        "message_id": (env.message_id if env else None) or "-",
        "recipients": ", ".join(env.recipients) if env else "-",
        "attempts": event.attempts,
    }
    if event.kind == "busy":
        return text("outbox.busy", lang)
    if event.kind == "sent":
        return text("outbox.sent", lang, **common)
    if event.kind == "paced":
        return text("outbox.paced", lang, wait=f"{event.wait:.0f}", **common)
    if event.kind == "deferred":
        reason = _error_line(event.error, lang)
        return text("outbox.deferred", lang, wait=f"{event.wait:.0f}", reason=reason, **common)
    reason = _error_line(event.error, lang) if event.error else "-"
    msgid = {"failed": "outbox.failed", "expired": "outbox.expired"}.get(
        event.kind, "outbox.corrupt"
    )
    return text(msgid, lang, where=event.where or "-", reason=reason, **common)


def _error_line(err: SmailError | None, lang: Lang) -> str:
    from pysmail.messages import format_error

    if err is None:
        return "-"
    return " / ".join(line.strip() for line in format_error(err, lang).splitlines())


def list_lines(spool: Path, lang: Lang, *, clock: Callable[[], float] = time.time) -> list[str]:
    """`smail --queue-list`: one block per queued message, then the failed/unsent counts."""
    from pysmail.messages import text

    found, bad = entries(spool)
    now = clock()
    lines = [text("outbox.list_header", lang, spool=spool, count=len(found))]
    lines.extend(_entry_block(e, now, lang) for e in found)
    for path, why in bad:
        lines.append(text("outbox.list_bad", lang, path=path, reason=why))
    for folder in (FAILED, UNSENT):
        count = _count_messages(spool / folder)
        if count:
            lines.append(text(f"outbox.list_{folder}", lang, folder=spool / folder, count=count))
    return lines


def _entry_block(e: Entry, now: float, lang: Lang) -> str:
    """One queued message's block in the listing."""
    from pysmail.messages import text

    env, st = e.envelope, e.state
    return text(
        "outbox.list_entry",
        lang,
        name=e.name,
        created=stamp(env.created),
        size=e.size,
        sender=env.sender,
        recipients=", ".join(env.recipients),
        message_id=env.message_id or "-",
        attempts=st.attempts,
        next_try="now" if st.next_try <= now else stamp(st.next_try),
        last_error=st.last_error or "-",
    )


def _count_messages(folder: Path) -> int:
    """The .msg files in `folder` (0 when it cannot be read)."""
    try:
        return sum(1 for p in folder.iterdir() if p.suffix == ".msg")
    except OSError:
        return 0
