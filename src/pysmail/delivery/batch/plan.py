"""Rows -> messages: every row checked (recipients, templates, subject, charset, attachments)
before the first connection, each a Planned message composed by the batch's one
MessageTemplate (pysmail.mime.template): what the rows share is checked and formatted once.

When a message is written: one of a single text part (no attachment, not both text and HTML)
is prepared now and written when it is sent, while the server works on the one before (its
Date: when planning began); one of text and HTML is written now and kept (up to KEEP_COMPOSED
bytes for the whole batch, the rest written again when sent); one with attachments is prepared
now (so checked) and written again when it is sent, the attachments read then.
"""

from __future__ import annotations

from operator import attrgetter
from pathlib import Path

from pysmail.delivery.batch.rows import RESERVED
from pysmail.delivery.batch.templates import Templates, compile_template, render
from pysmail.errors import InputError, SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime.headers import now
from pysmail.mime.template import Fill, MessageTemplate
from pysmail.smtp.content import DataContent, data_content, is_data_content

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from pysmail.config.model import Settings
    from pysmail.delivery.batch.rows import Row
    from pysmail.delivery.batch.templates import Template
    from pysmail.mime.addresses import Address, Recipients
    from pysmail.mime.compose import MessageSpec
    from pysmail.mime.template import Prepared

    # To, Cc, envelope (To then Cc then Bcc), needs SMTPUTF8
    _Rcpts = tuple[tuple[Address, ...], tuple[Address, ...], tuple[str, ...], bool]

__all__ = ["KEEP_COMPOSED", "Planned", "base_spec", "cli_recipients", "plan_rows"]

KEEP_COMPOSED = 64 * 1024 * 1024  # bytes of composed messages a batch keeps in memory
_WIRE_ADDR = attrgetter("wire_addr")  # without a generator frame per row


class Planned:
    """One message of the batch, checked and ready to send: `chunks()` gives its bytes for
    each attempt. `spec` (the row's MessageSpec, what composing it alone sends) is built when
    asked for. `data`: the message as DATA content when it has no attachment (kept from
    planning, or written on each call from what planning prepared), else None."""

    __slots__ = (
        "_body",
        "_data",
        "_fill",
        "_prepared",
        "_template",
        "message_id",
        "recipients",
        "row",
        "smtputf8",
    )

    def __init__(
        self,
        row: int,
        template: MessageTemplate,
        fill: Fill,
        recipients: tuple[str, ...],
        smtputf8: bool,
        message_id: str,
        *,
        prepared: Prepared | None = None,
        body: bytes = b"",
        data: bytes | None = None,
    ) -> None:
        self.row = row
        self._template = template
        self._fill = fill  # what the row changes of the template's spec
        self._prepared = prepared  # written on each call of chunks()
        self._body = body  # `prepared`'s one body: DataContent when it needs no dot-stuffing
        self._data = data  # kept composed
        self.recipients = recipients  # envelope, To then Cc then Bcc
        self.smtputf8 = smtputf8
        self.message_id = message_id

    @property
    def spec(self) -> MessageSpec:
        from pysmail.record import replace

        fill = self._fill
        changes = {
            "to": fill.to,
            "cc": fill.cc,
            "subject": fill.subject,
            "text": fill.text,
            "html": fill.html,
            "attachments": fill.attachments,
            "message_id": fill.message_id,
        }
        return replace(self._template.spec, **{k: v for k, v in changes.items() if v is not None})

    @property
    def data(self) -> bytes | None:
        chunks = self.chunks()
        return chunks[0] if isinstance(chunks, tuple) else None

    def chunks(self) -> Iterable[bytes]:
        """The message's bytes: written from what planning found, or composed afresh
        (attachments read from disk)."""
        prepared = self._prepared
        if prepared is not None:  # one text part: its header block now, its body checked once
            head = self._template.head(prepared)
            body = self._body
            if type(body) is DataContent and is_data_content(head):
                return (DataContent(head + body),)  # two such blocks joined are one
            return (data_content(head + body),)
        if self._data is not None:
            return (self._data,)
        return self._template.render(self._fill)


def _row_recipients(
    texts: tuple[str | None, str | None, str | None], row: int, path: str, extra: Recipients | None
) -> _Rcpts:
    """(To, Cc, envelope, needs SMTPUTF8) of a row's `to`, `cc` and `bcc` values."""
    from pysmail.mime.addresses import parse_recipients

    to_text, cc_text, bcc_text = texts
    if not to_text or not to_text.strip():
        raise UsageError(ErrCode.RECIPIENT, "batch.no_to", path=path, row=row)
    got = parse_recipients(to_text)
    to, cc, bcc = list(got.to), list(got.cc), list(got.bcc)
    for more, into in ((cc_text, cc), (bcc_text, bcc)):
        if more and more.strip():
            got = parse_recipients(more)
            into.extend((*got.to, *got.cc, *got.bcc))
    if extra is not None:
        to.extend(extra.to)
        cc.extend(extra.cc)
        bcc.extend(extra.bcc)
    envelope = tuple(dict.fromkeys(map(_WIRE_ADDR, (*to, *cc, *bcc))))
    utf8 = not "".join(envelope).isascii()  # an address's needs_smtputf8, for all at once
    return tuple(to), tuple(cc), envelope, utf8


def _row_attachment(folder: Path, name: str, row: Row, path: str) -> Path:
    """A file a row's `attachments` names, in `folder`. Raises InputError(ATTACHMENT,
    "batch.attachment_outside") when it lies outside, links followed (pysmail.fs.confine)."""
    from pysmail.fs.confine import inside

    file = folder / name
    if not inside(folder, file):
        raise InputError(
            ErrCode.ATTACHMENT,
            "batch.attachment_outside",
            path=path,
            row=row.number,
            name=name,
            folder=folder,
        )
    return file


def _shared(template: Template | None, default: str | None) -> str | None:
    """The text every row gets from `template`, or None when rows fill it in."""
    if template is None:
        return default
    return render(template, {}, 0) if not template.names else None


def _own(template: Template | None) -> Template | None:
    """`template` when each row fills it in (it has placeholders), else None."""
    return template if template is not None and template.names else None


def _shared_spec(base: MessageSpec, templates: Templates) -> MessageSpec:
    """`base` with the subject, text and HTML that every row shares."""
    from pysmail.record import replace

    subject = _shared(templates.subject, base.subject)
    return replace(
        base,
        subject=base.subject if subject is None else subject,
        text=_shared(templates.text, base.text),
        html=_shared(templates.html, base.html),
    )


class _Planner:
    """plan_rows()'s state: the batch's template, what was worked out for earlier rows (the
    reserved columns of a set of names, the recipients of a to/cc/bcc triple, the attachments
    checked) and the bytes kept composed so far."""

    def __init__(
        self,
        path: str,
        base: MessageSpec,
        templates: Templates,
        extra: Recipients | None,
        folder: Path,
    ) -> None:
        self.path = path
        self.extra = extra
        self.folder = folder
        self.base_attachments = tuple(Path(a) for a in base.attachments)  # Fill's type
        self.sender_utf8 = any(a.needs_smtputf8 for a in (base.from_, *base.reply_to))
        self.template = MessageTemplate.compile(_shared_spec(base, templates))
        self.subject = _own(templates.subject)  # the templates each row fills in
        self.text = _own(templates.text)
        self.html = _own(templates.html)
        has_text = templates.text is not None or base.text is not None
        has_html = templates.html is not None or base.html is not None
        self.one_part = not base.attachments and not (has_text and has_html)
        self.date = now() if base.date is None else base.date  # of the messages written when sent
        self.kept = 0
        self.checked: set[Path] = set(self.base_attachments)
        self.columns: dict[tuple[str, ...], dict[str, str]] = {}
        self.recipients: dict[tuple[str | None, ...], _Rcpts] = {}
        self.bodies: dict[bytes, bytes] = {}  # the spec's one-part body -> data_content() of it

    def _column(self, values: dict[str, str]) -> dict[str, str]:
        """Reserved name -> the row's column holding it (the first, whatever its case), as
        Row.get() finds it; worked out once per set of column names."""
        names = tuple(values)
        found = self.columns.get(names)
        if found is None:
            found = {}
            for name in names:
                key = name.strip().lower()
                if key in RESERVED:
                    found.setdefault(key, name)
            self.columns[names] = found
        return found

    def _recipients(self, key: tuple[str | None, str | None, str | None], row: Row) -> _Rcpts:
        found = self.recipients.get(key)
        if found is None:
            found = self.recipients[key] = _row_recipients(key, row.number, self.path, self.extra)
        return found

    def _attachments(self, listed: str, row: Row) -> tuple[Path, ...] | None:
        """The message's attachments when the row adds some (checked once each), else None."""
        from pysmail.mime.parts import check_attachments

        names = [name.strip() for name in listed.split(",")]
        files = [_row_attachment(self.folder, name, row, self.path) for name in names if name]
        new = [f for f in files if f not in self.checked]
        check_attachments(new)
        self.checked.update(new)
        return (*self.base_attachments, *files) if files else None

    def _fill(self, row: Row) -> tuple[Fill, tuple[str, ...], bool]:
        """The row's own values (a Message-ID of its own, made when first prepared), its
        envelope recipients and whether they need SMTPUTF8."""
        values = row.values
        column = self._column(values)
        cells = [values.get(column[n]) if n in column else None for n in RESERVED]
        to_cell, cc_cell, bcc_cell, subject, listed = cells
        to, cc, envelope, utf8 = self._recipients((to_cell, cc_cell, bcc_cell), row)
        if subject is None and self.subject is not None:
            subject = render(self.subject, values, row.number)
        attachments = self._attachments(listed, row) if listed else None
        text = None if self.text is None else render(self.text, values, row.number)
        html = None if self.html is None else render(self.html, values, row.number)
        fill = Fill(
            to=to, cc=cc, subject=subject, text=text, html=html, attachments=attachments,
            message_id="",
            date=self.date if self.one_part and attachments is None else None,
        )  # fmt: skip
        return fill, envelope, utf8

    def _body(self, fill: Fill, prepared: Prepared) -> bytes:
        """The body of a one-part message; the spec's (the rows share it) as data_content()
        made it, checked once for the batch."""
        body = prepared.one_body
        assert body is not None  # one part, a text
        if fill.text is None and fill.html is None:
            return self.bodies.get(body) or self.bodies.setdefault(body, data_content(body))
        return body

    def plan(self, row: Row) -> Planned:
        """The row as a message. Raises its error (UsageError, InputError)."""
        fill, envelope, utf8 = self._fill(row)
        prepared = self.template.prepare(fill)  # checks headers and charset now
        mid = prepared.message_id
        assert mid is not None
        fill.message_id = mid  # the same in every later composition
        utf8 = self.sender_utf8 or utf8
        if fill.attachments is not None or self.base_attachments:
            # composed again when sent, the attachments read then
            return Planned(row.number, self.template, fill, envelope, utf8, mid)
        if self.one_part:  # written when sent, while the server works on the message before
            body = self._body(fill, prepared)
            return Planned(
                row.number, self.template, fill, envelope, utf8, mid, prepared=prepared, body=body
            )
        data = None
        if self.kept < KEEP_COMPOSED:
            data = b"".join(prepared.chunks())
            self.kept += len(data)
            data = data_content(data)  # sent without dot-stuffing when it needs none
        return Planned(row.number, self.template, fill, envelope, utf8, mid, data=data)


def plan_rows(
    rows: Sequence[Row],
    path: str,
    base: MessageSpec,
    templates: Templates,
    *,
    extra: Recipients | None = None,
    cwd: Path = Path("."),
    attach_dir: Path | None = None,
    on_row_error: Callable[[Row], None] | None = None,
) -> list[Planned]:
    """Every row as a message: recipients parsed, templates filled, attachments checked, a
    Message-ID of its own, headers and charset checked. `base` holds what all messages share
    (sender, -a files, charset..). `extra`: command-line recipients added to every message.
    `attach_dir`: the folder of the rows' attachments (default `cwd`); a row's file must lie
    in it, links followed. Nothing is sent.

    Raises the first row's error (UsageError, InputError); `on_row_error(row)` is called
    first, to say which row it is.
    """
    folder = attach_dir if attach_dir is not None else cwd
    planner = _Planner(path, base, templates, extra, folder)
    planned: list[Planned] = []
    for row in rows:
        try:
            planned.append(planner.plan(row))
        except SmailError:
            if on_row_error is not None:
                on_row_error(row)
            raise
    return planned


def cli_recipients(settings: Settings) -> Recipients | None:
    """The command line's recipients (-t/-c/-b and plain ones) added to every message."""
    from pysmail.config.recipients import given_recipients

    return given_recipients(settings.message)


def _read_text(path: str, cwd: Path, encoding: str | None, msgid: str) -> str:
    from pysmail.mime.bodyfile import read_body_file

    return read_body_file(cwd / path, path, encoding, msgid)


def base_spec(settings: Settings, cwd: Path) -> tuple[MessageSpec, Templates]:
    """What every message of a batch shares, and the templates (-s, -T/-F, --html)."""
    from pysmail.mime.addresses import parse_address
    from pysmail.mime.compose import MessageSpec
    from pysmail.mime.parts import check_attachments

    msg = settings.message
    if msg.sender is None:
        raise UsageError(ErrCode.OPTION, "main.no_sender")
    if msg.body_text is not None:
        body: str | None = msg.body_text
    elif msg.body_file is not None:
        body = _read_text(msg.body_file, cwd, msg.body_encoding, "main.body_file_missing")
    else:
        body = None
    html = None
    if msg.html_file is not None:
        html = _read_text(msg.html_file, cwd, msg.body_encoding, "main.html_file_missing")
    attachments = tuple(cwd / a for a in msg.attachments)
    check_attachments(attachments)
    base = MessageSpec(
        from_=parse_address(msg.sender, code=ErrCode.OPTION),
        reply_to=tuple(parse_address(r, code=ErrCode.OPTION) for r in msg.reply_to),
        text=body,
        html=html,
        attachments=attachments,
        charset=str(msg.charset),
        priority=msg.priority,
        extra_headers=msg.headers,
    )
    templates = Templates(
        compile_template(msg.subject or "", "subject"),
        compile_template(body, "body") if body is not None else None,
        compile_template(html, "html") if html is not None else None,
    )
    return base, templates
