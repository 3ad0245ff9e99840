"""A single send's message: its recipients and its MessageSpec, from the merged settings."""

from __future__ import annotations

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.fs.pathtext import join

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.config.model import Settings
    from pysmail.mime.addresses import Recipients
    from pysmail.mime.compose import MessageSpec

__all__ = ["message_spec", "recipients"]


def recipients(settings: Settings) -> Recipients:
    """The single send's recipients; UsageError when the settings name none."""
    from pysmail.config.recipients import given_recipients

    found = given_recipients(settings.message)
    if found is None:
        raise UsageError(ErrCode.RECIPIENT, "config.no_recipient")
    return found


def message_spec(settings: Settings, recipients: Recipients, cwd: str) -> MessageSpec:
    from pysmail.mime.addresses import parse_address
    from pysmail.mime.bodyfile import read_body_file
    from pysmail.mime.compose import MessageSpec
    from pysmail.mime.parts import check_attachments

    msg = settings.message
    if msg.sender is None:
        raise UsageError(ErrCode.OPTION, "main.no_sender")
    sender = parse_address(msg.sender, code=ErrCode.OPTION)
    if msg.body_text is not None:  # -T wins over -F (SMAIL)
        body: str | None = msg.body_text
    elif msg.body_file is not None:
        body = read_body_file(
            join(cwd, msg.body_file), msg.body_file, msg.body_encoding, "main.body_file_missing"
        )
    else:
        body = None
    html = None
    if msg.html_file is not None:
        html = read_body_file(
            join(cwd, msg.html_file), msg.html_file, msg.body_encoding, "main.html_file_missing"
        )
    attachments = tuple(join(cwd, a) for a in msg.attachments)
    check_attachments(attachments)
    return MessageSpec(
        from_=sender,
        to=recipients.to,
        cc=recipients.cc,
        reply_to=tuple(parse_address(r, code=ErrCode.OPTION) for r in msg.reply_to),
        subject=msg.subject or "",
        text=body,
        html=html,
        attachments=attachments,
        charset=str(msg.charset),
        priority=msg.priority,
        # Always a Message-ID (RFC 5322 "SHOULD"; Gmail refuses mail without one): SMAIL wrote one
        # only with -m, which still works, and -m<id> still chooses it.
        message_id="" if msg.message_id is None else msg.message_id,
        extra_headers=msg.headers,
    )
