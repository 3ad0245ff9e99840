"""The ERR-0016 of Ctrl+C during a flush: what is true of the outbox at that moment."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from pysmail.delivery.outbox.spool import entries, journaled, open_message
from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode

__all__ = ["interrupted"]


def interrupted(
    spool: Path, only: Iterable[Path] | None, sent: Iterable[str], *, after_data: bool
) -> SmailError:
    """The ERR-0016 for Ctrl+C during a flush, saying what is true of the outbox then.

    `only` (`--queue`): the message just queued is still there (not sent; or, `after_data`,
    maybe delivered), and the next --flush sends it; or it is gone, because it was sent.
    A whole flush: how many were sent in this run and how many stay queued.
    """
    code = ErrCode.UNKNOWN  # the exit code of every interrupt (cli.guard)
    if only is not None:
        path = Path(next(iter(only)))
        if not path.exists() or path.stem in journaled(spool):
            return SmailError(code, "outbox.interrupted_sent", name=path.stem)
        message_id = "-"
        with contextlib.suppress(OSError, ValueError), open_message(path) as (envelope, _):
            message_id = envelope.message_id or "-"
        msgid = (
            "outbox.interrupted_queued_after_data" if after_data else "outbox.interrupted_queued"
        )
        return SmailError(code, msgid, name=path.stem, message_id=message_id, path=path)
    try:
        left = str(len(entries(spool)[0]))
    except SmailError:
        left = "?"
    msgid = "outbox.interrupted_flush_after_data" if after_data else "outbox.interrupted_flush"
    return SmailError(code, msgid, sent=len(list(sent)), left=left, spool=spool)
