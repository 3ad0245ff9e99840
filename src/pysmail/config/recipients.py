"""The recipients the merged settings name: plain ones (`-t`'s kind by their CC:/BCC: prefix)
and those of -t, -c and -b, in that order. One home for the single send (app.message) and the
recipients a batch adds to every message (delivery.batch.plan)."""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.config.model import MessageSettings
    from pysmail.mime.addresses import Recipients

__all__ = ["given_recipients"]


def given_recipients(msg: MessageSettings) -> Recipients | None:
    """The recipients `msg` names; None when it names none."""
    from pysmail.mime.addresses import Recipients, parse_recipients

    parts = [parse_recipients(list(msg.recipients))] if msg.recipients else []
    for kind, values in (("to", msg.to), ("cc", msg.cc), ("bcc", msg.bcc)):
        if values:
            got = parse_recipients(list(values))
            parts.append(Recipients(**{kind: (*got.to, *got.cc, *got.bcc)}))
    if not parts:
        return None
    return Recipients(
        to=tuple(a for p in parts for a in p.to),
        cc=tuple(a for p in parts for a in p.cc),
        bcc=tuple(a for p in parts for a in p.bcc),
    )
