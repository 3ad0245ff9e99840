"""MessageTemplate: a MessageSpec compiled once, rendered for each message made from it.

compose(spec) is `MessageTemplate.compile(spec).render()`; --batch compiles what its rows share
and renders each row from a Fill (its recipients, subject, texts, Message-ID..). What the
messages share is checked by the first message prepared and formatted once per charset: the
From, Reply-To, X-Mailer, priority and extra fields, the subject and text bodies a row does not
change, and which charsets can write the shared texts. Per message only its own fields are
checked and formatted; the bytes are the same as composing each message's spec alone
(tests/unit/test_batch.py pins them).

A message is made in two steps: prepare() checks it, chooses its charset and Message-ID, encodes
its texts and lays out its parts (boundaries included); Prepared.chunks() writes the header and
streams the parts (attachments read from disk as they are sent). render() does both at once.
"""

from __future__ import annotations

from operator import attrgetter

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.mime import headers
from pysmail.mime.charsets import AUTO, can_encode, choose_charset, normalise_charset
from pysmail.mime.layout import Leaf, Multi, set_boundaries, stream, text_leaf
from pysmail.mime.parts import attachment_fields
from pysmail.record import SlotValue

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from pysmail.mime.addresses import Address
    from pysmail.mime.compose import MessageSpec

__all__ = ["Fill", "MessageTemplate", "Prepared", "charset_texts"]

# Fields pysmail writes itself; extra headers may not repeat them (a second Subject, or a Bcc
# that would show blind recipients). Every Content-* field is reserved too.
_RESERVED = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "x-mailer",
        "x-priority",
        "importance",
        "mime-version",
    }
)
_HIGH_PRIORITY_MAX = 4  # smail-spec 3.7: -p1..-p4 high importance, -p5..-p9 low
_DISPLAY = attrgetter("display")  # an address's display name, without a Python call per row


class Fill(SlotValue, kw_only=True):
    """What one message changes of its template's spec; a field left None is the spec's.

    `message_id`: the Message-ID (as MessageSpec.message_id: "" generates one). `date`: a POSIX
    timestamp; None with the spec's None too: the time the message is prepared.
    A plain slotted class, not a record: --batch makes one per row."""

    to: tuple[Address, ...] | None = None
    cc: tuple[Address, ...] | None = None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    attachments: tuple[Path, ...] | None = None
    message_id: str | None = None
    date: float | None = None


_NOTHING = Fill()


def charset_texts(
    subject: str, addresses: Sequence[Address], text: str | None, html: str | None
) -> list[str]:
    """The texts a message's charset must write, in the order they are checked: the subject,
    the display names (From, To, Cc, Reply-To), the text and HTML bodies."""
    texts = [subject, *(a.display for a in addresses)]
    texts.extend(t for t in (text, html) if t is not None)
    return texts


def _check_addresses(name: str, addresses: Sequence[Address]) -> None:
    for address in addresses:  # what address_field() refuses (the error names only the field)
        headers.check_value(name, address.display + address.addr)


def _check_shared(spec: MessageSpec, subject: str) -> str:
    """What compose() checks before the charset, in its order; returns the charset key asked
    for. Raises UsageError(OPTION, ...)."""
    if spec.priority is not None and not 1 <= spec.priority <= 9:
        raise UsageError(ErrCode.OPTION, "mime.bad_priority", priority=spec.priority)
    headers.check_value("Subject", subject)
    headers.check_value("X-Mailer", spec.mailer)
    for name, value in spec.extra_headers:
        headers.check_name(name)
        if name.lower() in _RESERVED or name.lower().startswith("content-"):
            raise UsageError(ErrCode.OPTION, "mime.reserved_header", header=name)
        headers.check_value(name, value)
    return normalise_charset(spec.charset)


class _Shared:
    """The fields every message of a template writes alike in one charset, each line with its
    CRLF: From, Reply-To (or ""), X-Mailer to MIME-Version, the extra fields."""

    __slots__ = ("extra", "from_", "middle", "reply_to")

    def __init__(self, spec: MessageSpec, charset: str) -> None:
        self.from_ = headers.address_field("From", [spec.from_], charset) + "\r\n"
        self.reply_to = ""
        if spec.reply_to:
            self.reply_to = headers.address_field("Reply-To", spec.reply_to, charset) + "\r\n"
        middle = headers.unstructured_field("X-Mailer", spec.mailer, charset) + "\r\n"
        if spec.priority is not None:
            importance = "high" if spec.priority <= _HIGH_PRIORITY_MAX else "low"
            middle += f"X-Priority: {spec.priority}\r\nImportance: {importance}\r\n"
        self.middle = middle + "MIME-Version: 1.0\r\n"
        self.extra = "".join(
            headers.unstructured_field(name, value, charset) + "\r\n"
            for name, value in spec.extra_headers
        )


class MessageTemplate:
    """A MessageSpec compiled for many messages: compile(spec), then render(fill) each one.

    Nothing is checked by compile(): the first message prepared checks what the messages share
    (priority, X-Mailer, extra fields, charset name, the sender and Reply-To), in compose()'s
    order with its own fields, so every message fails as composing its spec alone would. The
    caches fill as charsets are met, also from several threads (--parallel): each entry is
    made whole and stored in one assignment, so a race only makes one twice. An attachment is
    read again for every message."""

    __slots__ = (
        "_checked",
        "_dates",
        "_domain",
        "_fits",
        "_leaves",
        "_ready",
        "_requested",
        "_roots",
        "_shared",
        "_subjects",
        "spec",
    )

    def __init__(self, spec: MessageSpec) -> None:
        self.spec = spec
        self._ready = False  # a message was prepared: what the spec holds passed the checks
        self._requested = AUTO
        self._fits: dict[tuple[bool, bool, bool, str], bool] = {}
        self._shared: dict[str, _Shared] = {}
        self._subjects: dict[str, str] = {}
        self._leaves: dict[tuple[str, str], Leaf] = {}
        self._roots: dict[str, Leaf] = {}  # the spec's one part, per charset: shared as it is
        self._dates: tuple[float, str] | None = None
        self._checked = ""  # the last Subject that passed its check
        self._domain = ""  # the sender's domain, for generated Message-IDs

    @classmethod
    def compile(cls, spec: MessageSpec) -> MessageTemplate:
        """The template of `spec`: what its messages share (see the class)."""
        return cls(spec)

    def render(self, fill: Fill | None = None) -> Iterator[bytes]:
        """The message in blocks (see compose()): prepare(fill).chunks()."""
        return self.prepare(fill).chunks()

    def prepare(self, fill: Fill | None = None) -> Prepared:
        """The message of `fill`, checked, its texts encoded and its parts laid out; nothing
        is read from attachments but their names (and a text file's charset).

        Raises what compose() raises for the spec with `fill`'s values, in the same order.
        """
        fill = fill or _NOTHING
        spec = self.spec
        subject = spec.subject if fill.subject is None else fill.subject
        to = spec.to if fill.to is None else fill.to
        cc = spec.cc if fill.cc is None else fill.cc
        charset = self._check(fill, subject, to, cc)
        mid = spec.message_id if fill.message_id is None else fill.message_id
        date = spec.date if fill.date is None else fill.date
        if mid is not None:
            self._domain = self._domain or spec.from_.wire_addr.rpartition("@")[2]
            mid = headers.message_id(mid, self._domain, timestamp=date)
        root = self._root(fill, charset)
        self._ready = True
        return Prepared(self, fill, charset, to, cc, subject, mid, self._date(date), root)

    def _check(
        self, fill: Fill, subject: str, to: tuple[Address, ...], cc: tuple[Address, ...]
    ) -> str:
        """The message's charset, once its fields passed compose()'s checks before it, and
        its addresses those after it; what the spec holds is checked until a message passed."""
        spec = self.spec
        if not self._ready:
            self._requested = _check_shared(spec, subject)
        elif subject != self._checked:  # a batch's shared subject is checked once
            headers.check_value("Subject", subject)
        self._checked = subject
        charset = self._charset(fill, subject, to, cc)
        if not self._ready:
            _check_addresses("From", (spec.from_,))
        _check_addresses("To", to)
        if cc:
            _check_addresses("Cc", cc)
        if not self._ready:
            _check_addresses("Reply-To", spec.reply_to)
        return charset

    # -- the charset ---------------------------------------------------------------------------

    def _charset(
        self, fill: Fill, subject: str, to: Sequence[Address], cc: Sequence[Address]
    ) -> str:
        """resolve_charset() of the message: what the spec gives was looked at once."""
        own = [] if fill.subject is None else [subject]
        own += map(_DISPLAY, (*to, *cc))
        own += filter(None, (fill.text, fill.html))  # "" needs no charset
        requested = self._requested
        if requested == AUTO:
            return self._auto(fill, own)
        if self._fits_shared(fill, requested):
            return choose_charset(own, requested)
        # a text of the spec's cannot be written: refused at the first such text, in order
        spec = self.spec
        addresses = (spec.from_, *to, *cc, *spec.reply_to)
        text = spec.text if fill.text is None else fill.text
        html = spec.html if fill.html is None else fill.html
        return choose_charset(charset_texts(subject, addresses, text, html), requested)

    def _auto(self, fill: Fill, own: Sequence[str]) -> str:
        """choose_charset()'s "auto": US-ASCII, else ISO-2022-JP when it writes all, else UTF-8."""
        if "".join(own).isascii() and self._fits_shared(fill, "us-ascii"):
            return "us-ascii"
        jis = "iso-2022-jp"
        if self._fits_shared(fill, jis) and all(can_encode(t, jis) for t in own):
            return jis
        return "utf-8"

    def _fits_shared(self, fill: Fill, charset: str) -> bool:
        """Whether `charset` writes every text of the spec's that `fill` keeps."""
        key = (fill.subject is None, fill.text is None, fill.html is None, charset)
        found = self._fits.get(key)
        if found is None:
            spec = self.spec
            texts = [spec.subject] if key[0] else []
            texts += [a.display for a in (spec.from_, *spec.reply_to)]
            texts += [spec.text] if key[1] and spec.text is not None else []
            texts += [spec.html] if key[2] and spec.html is not None else []
            found = all(can_encode(t, charset) for t in texts)
            self._fits[key] = found
        return found

    # -- the parts -----------------------------------------------------------------------------

    def _text(self, subtype: str, own: str | None, shared: str | None, charset: str) -> Leaf:
        """The text part: of the message's own text, or the spec's encoded once per charset
        (`shared` is the same for each subtype: the spec's text or HTML, "" for no text)."""
        if own is not None:
            return text_leaf(subtype, own, charset)
        leaf = self._leaves.get((subtype, charset))
        if leaf is None:
            leaf = text_leaf(subtype, shared or "", charset)
            self._leaves[(subtype, charset)] = leaf
        return leaf

    def _texts(self, fill: Fill, charset: str) -> list[Leaf | Multi]:
        spec = self.spec
        texts: list[Leaf | Multi] = []
        if fill.text is not None or spec.text is not None:
            texts.append(self._text("plain", fill.text, spec.text, charset))
        if fill.html is not None or spec.html is not None:
            texts.append(self._text("html", fill.html, spec.html, charset))
        return texts

    def _root(self, fill: Fill, charset: str) -> Leaf | Multi:
        """The message's parts, boundaries set. The spec's text alone (a row that changes no
        part) is one Leaf per charset, laid out once and shared."""
        shared = fill.text is None and fill.html is None and fill.attachments is None
        root: Leaf | Multi | None = self._roots.get(charset) if shared else None
        if root is None:
            root = self._layout(fill, charset)
            if isinstance(root, Multi):
                set_boundaries(root)  # each message its own
            elif shared:
                self._roots[charset] = root
        return root

    def _layout(self, fill: Fill, charset: str) -> Leaf | Multi:
        attachments = self.spec.attachments if fill.attachments is None else fill.attachments
        texts = self._texts(fill, charset)
        if not attachments:
            if not texts:
                return self._text("plain", None, "", charset)
            return texts[0] if len(texts) == 1 else Multi("alternative", texts)
        parts: list[Leaf | Multi] = texts if len(texts) < 2 else [Multi("alternative", texts)]
        parts.extend(Leaf(attachment_fields(path, charset), path) for path in attachments)
        return Multi("mixed", parts)

    # -- the header ----------------------------------------------------------------------------

    def head(self, message: Prepared) -> bytes:
        """The header block of a prepared message, with the empty line that ends it."""
        charset = message.charset
        shared = self._shared.get(charset)
        if shared is None:
            shared = self._shared[charset] = _Shared(self.spec, charset)
        lines = [shared.from_]
        if message.to:
            lines.append(headers.address_field("To", message.to, charset) + "\r\n")
        if message.cc:
            lines.append(headers.address_field("Cc", message.cc, charset) + "\r\n")
        lines += (shared.reply_to, self._subject(message, charset), "Date: ", message.date, "\r\n")
        if message.message_id is not None:
            lines += ("Message-ID: ", message.message_id, "\r\n")
        lines += (shared.middle, message.root.head, shared.extra, "\r\n")
        return "".join(lines).encode("utf-8")  # ASCII but UTF-8 addresses (RFC 6532)

    def _subject(self, message: Prepared, charset: str) -> str:
        if message.fill.subject is not None:
            return headers.unstructured_field("Subject", message.subject, charset) + "\r\n"
        found = self._subjects.get(charset)  # the spec's: formatted once per charset
        if found is None:
            found = self._subjects[charset] = (
                headers.unstructured_field("Subject", message.subject, charset) + "\r\n"
            )
        return found

    def _date(self, timestamp: float | None) -> str:
        if timestamp is None:
            return headers.format_date(None)
        if self._dates is None or self._dates[0] != timestamp:
            self._dates = (timestamp, headers.format_date(timestamp))
        return self._dates[1]


class Prepared(SlotValue):
    """One message of a template, checked and laid out, its Message-ID and Date fixed:
    chunks() writes it, the same bytes as often as asked (each attempt to send it)."""

    template: MessageTemplate
    fill: Fill
    charset: str
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    message_id: str | None
    date: str
    root: Leaf | Multi

    def chunks(self) -> Iterator[bytes]:
        """The header block now, then the parts as they are iterated."""
        return stream(self.template.head(self), self.root)

    @property
    def one_body(self) -> bytes | None:
        """The body of a message of one part held in memory (a text: all but its head), or None."""
        root = self.root
        return root.body if isinstance(root, Leaf) and isinstance(root.body, bytes) else None
