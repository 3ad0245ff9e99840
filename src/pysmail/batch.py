"""Bulk sending: `smail --batch FILE` (CSV or JSON lines, or a folder of .eml files) and
`smail --eml FILE|-` (a finished RFC 5322 message, sent as is).

Pure parts (tested alone): read_rows() parses the batch file, compile_template()/render() fill
`{name}` placeholders, plan_rows() turns rows into messages (every row is checked before the
first connection), report_row() formats one line of the report. Finished messages (reading,
Bcc removal, envelope from the header) are pysmail.mime.eml's. The shell: run_batch() and
send_eml(), which the smail command calls (docs/batch.md).

Batch file: a header row (CSV) or one JSON object per line. Columns/keys (case-insensitive):
`to` (required, SMAIL syntax: `a@x,CC:b@x,BCC:c@x`), `cc`, `bcc`, `subject` (used as is,
instead of the -s template), `attachments` (comma list of files in the attachments folder, added
to -a: the current folder, or --attach-dir; a name that leads out of it is refused). Every
column, these included, is a variable for the -s, -T/-F and --html templates.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path

from pysmail.cli.params import smtp_params
from pysmail.errors import InputError, SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # not typing's: `import typing` costs 3 ms at start-up (mypy knows the name)
if TYPE_CHECKING:
    from typing import BinaryIO, TextIO

    from pysmail.config.model import Settings
    from pysmail.delivery.scheduler import Job, Result
    from pysmail.messages import Lang
    from pysmail.mime.addresses import Address, Recipients
    from pysmail.mime.compose import MessageSpec
    from pysmail.oauth.provider import TokenSource
    from pysmail.pacing import Pacer
    from pysmail.sasl import AuthRequest
    from pysmail.smtp.connection import SmtpConnection
    from pysmail.smtp.session import SmtpParams
    from pysmail.smtp.trace import Trace

    _Rcpts = tuple[
        tuple[Address, ...], tuple[Address, ...], tuple[Address, ...], tuple[str, ...], bool
    ]
    # _Composer.build()'s arguments: charset, To, Cc, subject, text, html, Date, Message-ID
    _Parts = tuple[
        str, tuple[Address, ...], tuple[Address, ...], str, str | None, str | None, str, str
    ]

__all__ = [
    "REPORT_COLUMNS",
    "Planned",
    "Row",
    "Template",
    "compile_template",
    "plan_rows",
    "read_rows",
    "render",
    "report_row",
    "run_batch",
    "send_eml",
]

RESERVED = ("to", "cc", "bcc", "subject", "attachments")
REPORT_COLUMNS = ("row", "status", "attempts", "recipients", "message_id", "reply")
MAX_PARALLEL = 32
KEEP_COMPOSED = 64 * 1024 * 1024  # bytes of composed messages a batch keeps in memory


# -- the batch file -----------------------------------------------------------------------------


class Row:
    """One message row: `number` counts rows from 1 (the CSV header row is not one).

    A plain slotted class, not a record: one is made per row."""

    __slots__ = ("number", "values")

    def __init__(self, number: int, values: dict[str, str]) -> None:
        self.number = number
        self.values = values

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return (self.number, self.values) == (other.number, other.values)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Row(number={self.number!r}, values={self.values!r})"

    def get(self, key: str) -> str | None:
        """A reserved column's value, whatever the case of its name."""
        for name, value in self.values.items():
            if name.strip().lower() == key:
                return value
        return None


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ",".join(str(v) for v in value if v is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_jsonl(path: str, text: str) -> bool:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return True
    if suffix in (".csv", ".txt", ".tsv"):
        return False
    return text.lstrip()[:1] == "{"


def read_rows(data: bytes, path: str) -> list[Row]:
    """The rows of a batch file's bytes (CSV or JSON lines; the encoding is detected).

    Raises: InputError(ENCODING) for undecodable text; UsageError(OPTION, "batch.*") for a
    malformed file or one without rows.
    """
    from pysmail.mime.bodyfile import decode_text

    text = decode_text(data, None, source=path)
    rows = _json_rows(text, path) if _is_jsonl(path, text) else _csv_rows(text, path)
    if not rows:
        raise UsageError(ErrCode.OPTION, "batch.empty", path=path)
    return rows


def _json_rows(text: str, path: str) -> list[Row]:
    import json

    rows: list[Row] = []
    for line_no, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError as exc:
            raise UsageError(
                ErrCode.OPTION, "batch.bad_json", path=path, row=line_no, reason=str(exc)
            ) from exc
        if not isinstance(doc, dict):
            reason = type(doc).__name__
            raise UsageError(
                ErrCode.OPTION, "batch.bad_json", path=path, row=line_no, reason=reason
            )
        values = {str(k).strip(): v for k, v in ((k, _scalar(v)) for k, v in doc.items())}
        rows.append(Row(len(rows) + 1, {k: v for k, v in values.items() if v is not None}))
    return rows


def _csv_rows(text: str, path: str) -> list[Row]:
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        names = [name.strip() for name in header]
        seen: set[str] = set()
        for name in names:
            key = name.lower() if name.lower() in RESERVED else name
            if key in seen:
                raise UsageError(ErrCode.OPTION, "batch.duplicate_column", path=path, column=name)
            seen.add(key)
        rows: list[Row] = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank line
            number = len(rows) + 1
            if len(record) > len(names):
                reason = f"{len(record)} fields, the header has {len(names)}"
                raise UsageError(
                    ErrCode.OPTION, "batch.bad_csv", path=path, row=number, reason=reason
                )
            rows.append(Row(number, dict(zip(names, record, strict=False))))
    except csv.Error as exc:
        raise UsageError(
            ErrCode.OPTION, "batch.bad_csv", path=path, row=reader.line_num, reason=str(exc)
        ) from exc
    return rows


# -- templates ----------------------------------------------------------------------------------


@record
class Template:
    """A subject or body text with `{name}` placeholders (str.format_map; `{{` is a brace)."""

    text: str
    what: str  # "subject", "body", "html": named in error messages
    names: tuple[str, ...] = ()


def compile_template(text: str, what: str) -> Template:
    """Check a template once. Raises UsageError(OPTION, "batch.bad_template")."""
    import string

    names: list[str] = []
    try:
        for _literal, name, spec, _conv in string.Formatter().parse(text):
            if name is None:
                continue
            if not name or not name.strip() or any(ch in name for ch in ".[]") or name.isdigit():
                shown = "{" + name + "}"
                reason = f"{shown} is not a column name"
                raise UsageError(ErrCode.OPTION, "batch.bad_template", template=what, reason=reason)
            names.append(name)
            if spec and "{" in spec:
                compile_template(spec, what)
    except ValueError as exc:
        raise UsageError(
            ErrCode.OPTION, "batch.bad_template", template=what, reason=str(exc)
        ) from exc
    return Template(text, what, tuple(dict.fromkeys(names)))


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def render(template: Template, values: Mapping[str, str], row: int) -> str:
    """The template filled with a row's values.

    Raises: UsageError(OPTION, "batch.missing_key") naming the row and the key;
    UsageError(OPTION, "batch.bad_template") for a format spec the value does not take.
    """
    if not template.names:
        return template.text.replace("{{", "{").replace("}}", "}")
    try:
        return template.text.format_map(_Strict(values))
    except KeyError as exc:
        key = str(exc.args[0]) if exc.args else "?"
        raise UsageError(
            ErrCode.OPTION, "batch.missing_key", row=row, key=key, template=template.what
        ) from exc
    except (ValueError, IndexError) as exc:
        raise UsageError(
            ErrCode.OPTION, "batch.bad_template", template=template.what, reason=str(exc)
        ) from exc


# -- rows -> messages ---------------------------------------------------------------------------


class Planned:
    """One message of the batch, checked and ready to compose.

    `spec` (the row's MessageSpec) is built when first asked for. `data`: the message's bytes
    when it has no attachment: kept from planning (up to KEEP_COMPOSED bytes for the whole
    batch), or, for a message of one text part, composed on each call from what planning
    found (Date and Message-ID included, so every attempt sends the same bytes)."""

    __slots__ = (
        "_base",
        "_changes",
        "_data",
        "_make",
        "_spec",
        "message_id",
        "recipients",
        "row",
        "smtputf8",
    )

    def __init__(
        self,
        row: int,
        base: MessageSpec,
        changes: dict[str, object],
        recipients: tuple[str, ...],
        smtputf8: bool,
        data: bytes | None = None,
        spec: MessageSpec | None = None,
        make: tuple[_Composer, _Parts] | None = None,
    ) -> None:
        self.row = row
        self._base = base
        self._changes = changes  # the row's MessageSpec fields that differ from `base`
        self._spec = spec
        self._data = data
        self._make = make
        self.recipients = recipients  # envelope, To then Cc then Bcc
        self.smtputf8 = smtputf8
        self.message_id = str(changes["message_id"])

    @property
    def spec(self) -> MessageSpec:
        if self._spec is None:
            self._spec = _spec_with(self._base, self._changes)
        return self._spec

    @property
    def data(self) -> bytes | None:
        if self._make is not None:
            composer, parts = self._make
            return composer.build(*parts)
        return self._data

    def chunks(self) -> Iterable[bytes]:
        """The message's bytes: composed from what planning found, or composed afresh
        (attachments read from disk)."""
        data = self.data
        if data is not None:
            return (data,)
        from pysmail.mime.compose import compose

        return compose(self.spec)


def _spec_with(base: MessageSpec, changes: Mapping[str, object]) -> MessageSpec:
    """`base` with `changes` (dataclasses.replace() without importing dataclasses)."""
    from pysmail.record import replace

    return replace(base, **changes)


@record
class Templates:
    subject: Template
    text: Template | None = None
    html: Template | None = None


def _row_recipients(
    texts: tuple[str | None, str | None, str | None], row: int, path: str, extra: Recipients | None
) -> _Rcpts:
    """(To, Cc, Bcc, envelope, needs SMTPUTF8) of a row's `to`, `cc` and `bcc` values."""
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
    everyone = (*to, *cc, *bcc)
    envelope = tuple(dict.fromkeys(a.wire_addr for a in everyone))
    utf8 = any(a.needs_smtputf8 for a in everyone)
    return tuple(to), tuple(cc), tuple(bcc), envelope, utf8


class _Composer:
    """compose() for the rows of one batch, with what every message shares worked out once.

    A message of one text part (no attachment, not both text and HTML) is assembled here from
    its header fields: the sender's, Reply-To, X-Mailer, priority and extra header fields are
    formatted once per charset, a body that is the same for every row is encoded once, and the
    charset is chosen from what the row changes (subject, To/Cc names, a templated body) and
    what was found once for the shared texts. The bytes are compose()'s: the rows are checked
    in the same order, the fields come in the same order from the same functions
    (tests/unit/test_batch.py pins both against compose() and against fixed messages).

    The first such row goes through compose() itself, which checks what the rows share (the
    priority, X-Mailer and extra header fields, the charset name and the shared texts in it,
    the Message-ID's domain); later rows only check what is theirs.
    """

    def __init__(
        self, base: MessageSpec, subject: str | None, text: str | None, html: str | None
    ) -> None:
        self.base = base
        # What every row shares, or None when a template fills it in per row:
        self.subject = subject
        self.text = text
        self.html = html
        self.ready = False
        self.requested = ""
        self.shared_ascii = False
        self.shared_jis: bool | None = None
        self._shared_texts: list[str] = []
        self._shared: dict[str, tuple[str, str, str, str]] = {}
        self._bodies: dict[str, tuple[str, bytes]] = {}
        self._subjects: dict[str, str] = {}

    def setup(self) -> None:
        """Called once the first row passed compose(): nothing here raises any more."""
        from pysmail.mime.charsets import normalise_charset

        base = self.base
        self.requested = normalise_charset(base.charset)
        self._shared_texts = [a.display for a in (base.from_, *base.reply_to)]
        self._shared_texts += [t for t in (self.text, self.html) if t is not None]
        self.shared_ascii = all(t.isascii() for t in self._shared_texts)
        self.ready = True

    def charset(self, row_texts: Sequence[str]) -> str:
        """resolve_charset() of the message: `row_texts` are its texts that are not shared
        (subject, To/Cc names, templated bodies), in resolve_charset()'s order."""
        from pysmail.mime.charsets import AUTO, can_encode, choose_charset

        if self.requested != AUTO:
            return choose_charset(row_texts, self.requested)  # the shared ones passed already
        if self.shared_ascii and all(t.isascii() for t in row_texts):
            return "us-ascii"
        if self.shared_jis is None:  # found once, when first needed (loads the JIS codec)
            self.shared_jis = all(can_encode(t, "iso-2022-jp") for t in self._shared_texts)
        if self.shared_jis and all(can_encode(t, "iso-2022-jp") for t in row_texts):
            return "iso-2022-jp"
        return "utf-8"

    def _fields(self, charset: str) -> tuple[str, str, str, str]:
        """(From, Reply-To, X-Mailer .. MIME-Version, extra fields), each line with its CRLF."""
        found = self._shared.get(charset)
        if found is None:
            from pysmail.mime.headers import address_field, unstructured_field

            base = self.base
            reply_to = ""
            if base.reply_to:
                reply_to = address_field("Reply-To", base.reply_to, charset) + "\r\n"
            middle = unstructured_field("X-Mailer", base.mailer, charset) + "\r\n"
            if base.priority is not None:
                importance = "high" if base.priority <= _HIGH_PRIORITY_MAX else "low"
                middle += f"X-Priority: {base.priority}\r\nImportance: {importance}\r\n"
            middle += "MIME-Version: 1.0\r\n"
            extra = "".join(
                unstructured_field(name, value, charset) + "\r\n"
                for name, value in base.extra_headers
            )
            found = (address_field("From", [base.from_], charset) + "\r\n", reply_to, middle, extra)
            self._shared[charset] = found
        return found

    def _body(self, subtype: str, text: str, charset: str, shared: bool) -> tuple[str, bytes]:
        """The part's Content-Type and -Transfer-Encoding lines and its encoded body."""
        if shared:
            found = self._bodies.get(charset)
            if found is not None:
                return found
        from pysmail.mime.charsets import CHARSETS
        from pysmail.mime.parts import text_body

        cte, data = text_body(text, charset)
        fields = (
            f"Content-Type: text/{subtype}; charset={CHARSETS[charset].mime_name}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n"
        )
        if shared:
            self._bodies[charset] = (fields, data)
        return fields, data

    def check(
        self,
        to: tuple[Address, ...],
        cc: tuple[Address, ...],
        subject: str,
        text: str | None,
        html: str | None,
    ) -> str:
        """The charset of the message `base` with these values makes (no attachment, at most
        one of text and html). Raises what compose() raises for them: it is all that can
        fail in build()."""
        from pysmail.mime.headers import check_value

        check_value("Subject", subject)
        row_texts = [subject, *(a.display for a in to), *(a.display for a in cc)]
        if text is not None and self.text is None:
            row_texts.append(text)
        if html is not None and self.html is None:
            row_texts.append(html)
        return self.charset(row_texts)

    def build(
        self,
        charset: str,
        to: tuple[Address, ...],
        cc: tuple[Address, ...],
        subject: str,
        text: str | None,
        html: str | None,
        date: str,
        msgid: str,
    ) -> bytes:
        """compose_bytes() of that message, checked by check() (`charset` is what it said;
        `date` the Date field's value), as DATA content when it needs no dot-stuffing."""
        from pysmail.mime.headers import address_field, unstructured_field
        from pysmail.smtp.replies import data_content

        from_field, reply_to, middle, extra = self._fields(charset)
        if text is not None:
            fields, body = self._body("plain", text, charset, self.text is not None)
        elif html is not None:
            fields, body = self._body("html", html, charset, self.html is not None)
        else:
            fields, body = self._body("plain", "", charset, True)
        head = [from_field]
        if to:
            head.append(address_field("To", to, charset) + "\r\n")
        if cc:
            head.append(address_field("Cc", cc, charset) + "\r\n")
        if subject is self.subject:  # the same for every row: formatted once per charset
            subject_field = self._subjects.get(charset)
            if subject_field is None:
                subject_field = unstructured_field("Subject", subject, charset)
                self._subjects[charset] = subject_field
        else:
            subject_field = unstructured_field("Subject", subject, charset)
        head += (
            reply_to,
            subject_field,
            "\r\nDate: ",
            date,
            "\r\nMessage-ID: ",
            msgid,
            "\r\n",
            middle,
            fields,
            extra,
            "\r\n",
        )
        return data_content("".join(head).encode("utf-8") + body)


_HIGH_PRIORITY_MAX = 4  # as pysmail.mime.compose: -p1..-p4 high importance, -p5..-p9 low


def _columns(
    values: dict[str, str], cache: dict[tuple[str, ...], dict[str, str]]
) -> dict[str, str]:
    """Reserved name -> the row's column holding it (the first, whatever its case), as
    Row.get() finds it; worked out once per set of column names."""
    names = tuple(values)
    found = cache.get(names)
    if found is None:
        found = {}
        for name in names:
            key = name.strip().lower()
            if key in RESERVED:
                found.setdefault(key, name)
        cache[names] = found
    return found


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
    Message-ID of its own, composed (kept in memory when it has no attachment). `base` holds
    what all messages share (sender, -a files, charset..). `extra`: command-line recipients
    added to every message. `attach_dir`: the folder of the rows' attachments (default `cwd`);
    a row's file must lie in it, links followed. Nothing is sent.

    Raises the first row's error (UsageError, InputError); `on_row_error(row)` is called
    first, to say which row it is.
    """
    from pysmail.mime.compose import compose
    from pysmail.mime.headers import format_date, message_id
    from pysmail.mime.parts import check_attachments
    from pysmail.smtp.replies import data_content

    folder = attach_dir if attach_dir is not None else cwd
    domain = base.from_.wire_addr.rpartition("@")[2]
    sender_utf8 = any(a.needs_smtputf8 for a in (base.from_, *base.reply_to))
    kept = 0
    checked: set[Path] = set(base.attachments)
    planned: list[Planned] = []
    columns: dict[tuple[str, ...], dict[str, str]] = {}
    recipients_of: dict[tuple[str | None, ...], _Rcpts] = {}

    def shared(template: Template | None, default: str | None) -> str | None:
        """The text every row gets from `template`, or None when rows fill it in."""
        if template is None:
            return default
        return render(template, {}, 0) if not template.names else None

    subject_all = shared(templates.subject, None)
    text_all = shared(templates.text, base.text)
    html_all = shared(templates.html, base.html)
    has_text = templates.text is not None or base.text is not None
    has_html = templates.html is not None or base.html is not None
    one_part = not base.attachments and not (has_text and has_html)
    composer = _Composer(base, subject_all, text_all, html_all)
    date = format_date(base.date)  # the Date of the messages composed later: now
    for row in rows:
        try:
            values = row.values
            column = _columns(values, columns)

            def cell(name: str) -> str | None:
                found = column.get(name)  # noqa: B023 - used within this iteration only
                return values.get(found) if found is not None else None  # noqa: B023

            key = (cell("to"), cell("cc"), cell("bcc"))
            rcpts = recipients_of.get(key)
            if rcpts is None:
                rcpts = _row_recipients(key, row.number, path, extra)
                recipients_of[key] = rcpts
            to, cc, _bcc, envelope, rcpt_utf8 = rcpts
            subject = cell("subject")
            if subject is None:
                subject = subject_all
                if subject is None:
                    subject = render(templates.subject, values, row.number)
            files: list[Path] = []
            listed = cell("attachments")
            if listed:
                names = [name.strip() for name in listed.split(",")]
                files = [_row_attachment(folder, name, row, path) for name in names if name]
                new = [f for f in files if f not in checked]
                check_attachments(new)
                checked.update(new)
            text = text_all
            if text is None and templates.text is not None:
                text = render(templates.text, values, row.number)
            html = html_all
            if html is None and templates.html is not None:
                html = render(templates.html, values, row.number)
            mid = message_id("", domain)
            changes: dict[str, object] = {
                "to": to,
                "cc": cc,
                "subject": subject,
                "text": text,
                "html": html,
                "attachments": (*base.attachments, *files),
                "message_id": mid,
            }
            # Composing checks headers and charset now. Attachments are read only when sent;
            # small messages without any are kept composed (no second composition).
            attached = bool(files or base.attachments)
            spec = None
            make: tuple[_Composer, _Parts] | None = None
            if one_part and not attached and composer.ready:
                # Checked now; composed when sent (by then, while the server works).
                charset = composer.check(to, cc, subject, text, html)
                make = (composer, (charset, to, cc, subject, text, html, date, mid))
                data: bytes | None = None
            else:
                spec = _spec_with(base, changes)
                chunks = compose(spec)
                data = None if attached else b"".join(chunks)
                if one_part and not attached:
                    composer.setup()  # this row checked what the rows share
            if data is not None:
                if kept < KEEP_COMPOSED:
                    kept += len(data)
                    data = data_content(data)  # sent without dot-stuffing when it needs none
                else:
                    data = None
        except SmailError:
            if on_row_error is not None:
                on_row_error(row)
            raise
        smtputf8 = sender_utf8 or rcpt_utf8
        planned.append(Planned(row.number, base, changes, envelope, smtputf8, data, spec, make))
    return planned


# -- the report ---------------------------------------------------------------------------------


def error_line(err: SmailError, lang: Lang) -> str:
    """An error on one line: `ERR-0011 <detail> (<server reply>)`."""
    from pysmail.messages import text, title

    parts = [
        f"ERR-{int(err.code):04d}",
        text(err.msgid, lang, **err.params) if err.msgid else title(err.code, lang),
    ]
    if err.reply:
        parts.append("[" + " / ".join(err.reply.splitlines()) + "]")
    return " ".join(parts)


def report_row(
    row: int,
    recipients: Sequence[str],
    message_id: str,
    *,
    reply: str | None = None,
    error: SmailError | None = None,
    attempts: int = 1,
    lang: Lang = "en",
    not_sent: bool = False,
) -> list[str]:
    """One report line, in REPORT_COLUMNS order. status: sent, failed, or not_sent (the batch
    stopped before trying it)."""
    if error is None and reply is not None:
        status, final = "sent", reply
    else:
        status = "not_sent" if not_sent else "failed"
        final = error_line(error, lang) if error is not None else ""
    final = " / ".join(final.splitlines())
    return [str(row), status, str(attempts), ", ".join(recipients), message_id, final]


class _Report:
    """The report file, written one line per finished message (a crash keeps what is known)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stream: TextIO | None = None
        self._writer: object = None
        if path is None:
            return
        import csv

        try:
            self._stream = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise SmailError(
                ErrCode.WORK_FILE, "batch.report_failed", path=path, reason=reason
            ) from exc
        self._writer = csv.writer(self._stream)
        self.write(list(REPORT_COLUMNS))

    def write(self, line: list[str]) -> None:
        if self._stream is None:
            return
        try:
            self._writer.writerow(line)  # type: ignore[attr-defined]
            self._stream.flush()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise SmailError(
                ErrCode.WORK_FILE, "batch.report_failed", path=self.path, reason=reason
            ) from exc

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()


# -- the shell: connections, threads, progress ------------------------------------------------


def connector(
    params: SmtpParams,
    auth: AuthRequest | None,
    source: TokenSource | None,
    trace: Trace | None,
) -> Callable[[], SmtpConnection]:
    """Opens an authenticated connection; an OAuth token the server refuses is refreshed once
    (as a single send does). The token callable is called once per connection."""
    from pysmail.smtp.connection import SmtpConnection

    def connect() -> SmtpConnection:
        def attempt() -> SmtpConnection:
            return SmtpConnection.open(params, auth=auth, trace=trace)

        return attempt() if source is None else source.with_refresh(attempt)

    return connect


class _Progress:
    """`\\r12/1000 sent, 0 failed, 850/s` on a terminal, at most ten times a second."""

    def __init__(self, stream: TextIO | None, total: int, lang: Lang) -> None:
        self.stream = stream
        self.total = total
        self.lang = lang
        self.start = time.monotonic()
        self._last = 0.0
        self._shown = False

    def update(self, done: int, failed: int, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        from pysmail.messages import text

        rate = done / max(now - self.start, 1e-6)
        line = text(
            "batch.progress",
            self.lang,
            done=done,
            total=self.total,
            failed=failed,
            rate=f"{rate:.0f}",
        )
        try:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
            self._shown = True
        except (OSError, ValueError):
            self.stream = None

    def close(self, done: int, failed: int) -> None:
        if self.stream is None:
            return
        self.update(done, failed, force=True)
        if self._shown:
            try:
                self.stream.write("\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass


class _OneThread:
    """Lock and Event for a batch over one connection, in its one thread: such a batch does
    not import threading (2.5 ms of start-up)."""

    def __init__(self) -> None:
        self._set = False

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set


def _lock(threads: bool) -> AbstractContextManager[object]:
    if not threads:
        return _OneThread()
    import threading

    return threading.Lock()


class _Tally:
    """What happened to every message; filled from worker threads under `lock`."""

    def __init__(self, total: int, threads: bool) -> None:
        self.total = total
        self.sent = 0
        self.failed: dict[int, SmailError] = {}
        self.lock = _lock(threads)


def _pacing_gate(pacer: Pacer, sleep: Callable[[float], None]) -> Callable[[Job], None]:
    import math
    import threading

    lock = threading.Lock()

    def gate(job: Job) -> None:
        while True:
            with lock:
                wait = pacer.delay(len(job.recipients))
                if math.isinf(wait):
                    raise SmailError(
                        ErrCode.HANDLING,
                        "batch.too_many_recipients",
                        count=len(job.recipients),
                        preset=pacer.limits.name,
                    )
                if wait <= 0:
                    pacer.record(len(job.recipients))
                    return
            sleep(wait)

    return gate


def deliver_jobs(
    jobs: Sequence[Job],
    connect: Callable[[], SmtpConnection],
    on_result: Callable[[Result], None],
    *,
    parallel: int = 1,
    pacer: Pacer | None = None,
    max_per_connection: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SmailError | None:
    """Send `jobs` over `parallel` connections; every job ends in exactly one on_result call,
    except the ones never taken when every connection failed: the error is returned then
    (and those jobs are left to the caller)."""
    from pysmail.delivery.scheduler import Aborted, deliver

    queue = iter(jobs)
    lock = _lock(parallel > 1)
    taken: set[int] = set()
    aborted: list[SmailError] = []
    crashed: list[BaseException] = []
    stop: _OneThread | threading.Event = _OneThread()
    if parallel > 1:
        import threading

        stop = threading.Event()

    def next_job() -> Job | None:
        with lock:
            if stop.is_set():
                return None
            job = next(queue, None)
            if job is not None:
                taken.add(job.tag)
            return job

    gate = _pacing_gate(pacer, sleep) if pacer is not None else None

    def worker() -> None:
        try:
            deliver(
                next_job,
                connect,
                on_result,
                gate=gate,
                max_per_connection=max_per_connection,
                sleep=sleep,
            )
        except Aborted as exc:
            aborted.append(exc.error)
        except BaseException as exc:  # re-raised in the calling thread
            crashed.append(exc)
            stop.set()

    if parallel <= 1:
        worker()
    else:
        threads = [
            threading.Thread(target=worker, name=f"smail-batch-{i}", daemon=True)
            for i in range(parallel)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        except BaseException:  # Ctrl+C: let the workers finish what they hold, take no more
            stop.set()
            raise
    if crashed:
        raise crashed[0]
    if len(taken) < len(jobs):
        return aborted[0] if aborted else None
    return None


def _finish_run(
    planned: Sequence[tuple[int, tuple[str, ...], str]],
    results: Callable[[Callable[[Result], None]], SmailError | None],
    *,
    report_path: Path | None,
    out: Callable[[str], None],
    lang: Lang,
    silent: bool,
    progress_stream: TextIO | None,
    threads: bool = False,
) -> int:
    """Run `results(on_result)`, write the report and the output; return the exit code.
    `threads`: on_result is called from several threads."""
    from pysmail.messages import text

    info = {row: (rcpts, msgid) for row, rcpts, msgid in planned}
    report = _Report(report_path)
    tally = _Tally(len(planned), threads)
    progress = _Progress(progress_stream if not silent else None, len(planned), lang)
    done: set[int] = set()
    start = time.monotonic()

    def on_result(result: Result) -> None:
        row = result.job.tag
        rcpts, msgid = info[row]
        with tally.lock:
            done.add(row)
            if result.error is None:
                tally.sent += 1
                if report.path is not None:
                    reply = result.reply.wire if result.reply is not None else ""
                    line = report_row(row, rcpts, msgid, reply=reply, attempts=result.attempts)
                    report.write(line)
                if result.maybe_duplicate and not silent:
                    out(text("batch.maybe_duplicate", lang, row=row))
            else:
                tally.failed[row] = result.error
                report.write(
                    report_row(
                        row, rcpts, msgid, error=result.error, attempts=result.attempts, lang=lang
                    )
                )
                if not silent:
                    out(
                        text(
                            "batch.row_failed",
                            lang,
                            row=row,
                            recipients=", ".join(rcpts),
                            error=error_line(result.error, lang),
                        )
                    )
            progress.update(tally.sent, len(tally.failed))

    try:
        stopped = results(on_result)
        for row, rcpts, msgid in planned:
            if row in done:
                continue
            err = stopped or SmailError(ErrCode.UNKNOWN, "batch.not_sent")
            tally.failed[row] = err
            report.write(
                report_row(row, rcpts, msgid, error=err, attempts=0, lang=lang, not_sent=True)
            )
    finally:
        progress.close(tally.sent, len(tally.failed))
        report.close()
    seconds = max(time.monotonic() - start, 1e-6)
    if not silent:
        out(
            text(
                "batch.summary",
                lang,
                sent=tally.sent,
                total=tally.total,
                failed=len(tally.failed),
                seconds=f"{seconds:.2f}",
                rate=f"{tally.sent / seconds:.0f}",
            )
        )
    if not tally.failed:
        return int(ErrCode.OK)
    return int(tally.failed[min(tally.failed)].code)


def _progress_stream(settings: Settings, stream: TextIO | None) -> TextIO | None:
    target = sys.stderr if stream is None else stream
    try:
        return target if (not settings.silent and target.isatty()) else None
    except (AttributeError, ValueError):
        return None


def _check_parallel(parallel: int) -> None:
    if not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(ErrCode.OPTION, "batch.bad_parallel", limit=MAX_PARALLEL, value=parallel)


def _cli_recipients(settings: Settings) -> Recipients | None:
    from pysmail.mime.addresses import Recipients, parse_recipients

    msg = settings.message
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


def _read_text(path: str, cwd: Path, encoding: str | None, msgid: str) -> str:
    from pysmail.mime.bodyfile import read_body_file

    return read_body_file(cwd / path, path, encoding, msgid)


def _base_spec(settings: Settings, cwd: Path) -> tuple[MessageSpec, Templates]:
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


def run_batch(
    settings: Settings,
    path: Path,
    *,
    out: Callable[[str], None],
    lang: Lang = "en",
    cwd: Path | None = None,
    auth: AuthRequest | None = None,
    source: TokenSource | None = None,
    trace: Trace | None = None,
    report_path: Path | None = None,
    attach_dir: Path | None = None,
    parallel: int = 1,
    pacer: Pacer | None = None,
    max_per_connection: int | None = None,
    progress: TextIO | None = None,
    show: Callable[[Job], None] | None = None,
) -> int:
    """`smail --batch FILE`: send every row (or every .eml file of a folder); return the exit
    code: 0 when every message was sent, else the ERR code of the lowest-numbered message that
    was not. Every row is checked before the first connection: a bad row (missing template
    key, bad address, missing attachment) sends nothing and raises its error.

    `out` prints a line (failed rows, the summary; nothing with -S). `progress`: the stream of
    the progress line (default stderr, only when it is a terminal and -S is not given).
    `report_path`: the per-message CSV report. `pacer`: provider pacing (pysmail.pacing).
    `attach_dir`: the folder the rows' attachments must be in (default: `cwd`). `show`
    (--dry-run): every checked message goes there instead; no connection, no report.

    Raises: SmailError for anything found before sending (usage, input, report file, and a
    connection that could not be opened for the first message is NOT raised: it is reported
    per message and decides the exit code).
    """
    from pysmail.delivery.scheduler import Job

    _check_parallel(parallel)
    here = cwd if cwd is not None else Path.cwd()
    full = here / path
    planned: list[tuple[int, tuple[str, ...], str]]  # row, recipients, Message-ID
    if full.is_dir():
        jobs, planned = _eml_folder_jobs(settings, full)
    else:
        from pysmail.fs.inputfile import open_regular

        try:
            with open_regular(full) as stream:  # a FIFO or /dev/zero is refused, not read
                data = stream.read()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise UsageError(ErrCode.OPTION, "batch.read_failed", path=path, reason=reason) from exc
        from pysmail.messages import text

        rows = read_rows(data, str(path))
        base, templates = _base_spec(settings, here)

        def say_row(row: Row) -> None:
            if not settings.silent:
                out(text("batch.in_row", lang, path=path, row=row.number))

        messages = plan_rows(
            rows,
            str(path),
            base,
            templates,
            extra=_cli_recipients(settings),
            cwd=here,
            attach_dir=attach_dir,
            on_row_error=say_row,
        )

        sender = base.from_.wire_addr
        jobs = [Job(p.row, sender, p.recipients, p.chunks, p.smtputf8) for p in messages]
        planned = [(p.row, p.recipients, p.message_id) for p in messages]
    if show is not None:
        for job in jobs:
            show(job)
        return int(ErrCode.OK)
    connect = connector(smtp_params(settings), auth, source, trace)
    return _finish_run(
        planned,
        lambda on_result: deliver_jobs(
            jobs,
            connect,
            on_result,
            parallel=parallel,
            pacer=pacer,
            max_per_connection=max_per_connection,
        ),
        report_path=report_path,
        out=out,
        lang=lang,
        silent=settings.silent,
        progress_stream=_progress_stream(settings, progress),
        threads=parallel > 1,
    )


def _eml_folder_jobs(
    settings: Settings, folder: Path
) -> tuple[list[Job], list[tuple[int, tuple[str, ...], str]]]:
    """Every *.eml file of `folder`, in name order, as a finished message: the jobs, and each
    one's (number, recipients, Message-ID) for the report. Only the headers are read here."""
    from pysmail.delivery.scheduler import Job
    from pysmail.mime.eml import eml_envelope, eml_message_id, file_chunks, open_eml, read_head

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
    if not files:
        raise UsageError(ErrCode.OPTION, "batch.eml_folder_empty", path=folder)
    cli = _cli_recipients(settings)
    given = cli.envelope() if cli is not None else ()
    jobs: list[Job] = []
    planned: list[tuple[int, tuple[str, ...], str]] = []
    for number, file in enumerate(files, 1):
        with open_eml(file) as stream:
            head, _rest = read_head(stream, file)
        sender, rcpts, utf8 = eml_envelope(head, str(file), settings.message.sender, given)
        jobs.append(Job(number, sender, rcpts, partial(file_chunks, file), utf8, True))
        planned.append((number, rcpts, eml_message_id(head)))
    return jobs, planned


def send_eml(
    settings: Settings,
    source_path: str,
    *,
    cwd: Path | None = None,
    stdin: BinaryIO | None = None,
    auth: AuthRequest | None = None,
    source: TokenSource | None = None,
    trace: Trace | None = None,
    show: Callable[[Job], None] | None = None,
) -> int:
    """`smail --eml FILE|-`: send a finished message as is (Bcc and Resent-Bcc removed, read
    and sent block by block). Envelope: -f or the From header; the command-line recipients,
    or To/Cc/Bcc when none are given. Returns 0; raises what a single send raises.
    `show` (--dry-run): the message goes there instead; no connection.
    """
    from pysmail.delivery.scheduler import Job
    from pysmail.mime.eml import eml_envelope, eml_stream, open_eml, read_head

    here = cwd if cwd is not None else Path.cwd()
    cli = _cli_recipients(settings)
    given = cli.envelope() if cli is not None else ()
    if source_path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        shown = "-"
        close = False
    else:
        stream = open_eml(here / source_path)
        shown = source_path
        close = True
    try:
        head, rest = read_head(stream, shown)
        sender, rcpts, utf8 = eml_envelope(head, shown, settings.message.sender, given)
        if show is not None:
            show(Job(1, sender, rcpts, lambda: eml_stream(head, rest, stream, shown), utf8, True))
            return int(ErrCode.OK)
        conn = connector(smtp_params(settings), auth, source, trace)()
        try:
            chunks = eml_stream(head, rest, stream, shown)
            conn.send(sender, rcpts, chunks, smtputf8=utf8, eight_bit=True)
        finally:
            conn.close()
    finally:
        if close:
            stream.close()
    return int(ErrCode.OK)
