"""What a --batch sends, as read: the rows of a CSV or JSON-lines file (pure: read_rows() on
its bytes), or the .eml files of a folder (finished messages: pysmail.mime.eml reads them)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.delivery.scheduler import Job

__all__ = ["RESERVED", "Row", "eml_files", "eml_jobs", "read_batch_file", "read_rows"]

RESERVED = ("to", "cc", "bcc", "subject", "attachments")


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


def read_batch_file(full: Path, shown: Path) -> bytes:
    """The bytes of the batch file `full` (`shown` in errors). A FIFO or /dev/zero is refused,
    not read. Raises UsageError(OPTION, "batch.read_failed")."""
    from pysmail.fs.inputfile import open_regular

    try:
        with open_regular(full) as stream:
            return stream.read()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(ErrCode.OPTION, "batch.read_failed", path=shown, reason=reason) from exc


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


def _column_names(header: list[str], path: str) -> list[str]:
    """The header row's names; a name twice (a reserved one in any case) is refused."""
    names = [name.strip() for name in header]
    seen: set[str] = set()
    for name in names:
        key = name.lower() if name.lower() in RESERVED else name
        if key in seen:
            raise UsageError(ErrCode.OPTION, "batch.duplicate_column", path=path, column=name)
        seen.add(key)
    return names


def _csv_rows(text: str, path: str) -> list[Row]:
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return []
        names = _column_names(header, path)
        rows: list[Row] = []
        for record in reader:
            if not "".join(record).strip():
                continue  # blank line: every cell empty or white space
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


def eml_files(folder: Path) -> list[Path]:
    """The *.eml files of `folder`, in name order. Raises UsageError(OPTION,
    "batch.eml_folder_empty") when there is none."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
    if not files:
        raise UsageError(ErrCode.OPTION, "batch.eml_folder_empty", path=folder)
    return files


def eml_jobs(
    files: list[Path], sender: str | None, given: tuple[str, ...]
) -> tuple[list[Job], list[tuple[int, tuple[str, ...], str]]]:
    """Each .eml file as a finished message: the jobs, and each one's (number, recipients,
    Message-ID) for the report. Only the headers are read here. `sender` (-f) and `given`
    (the command line's recipients) as pysmail.mime.eml's eml_envelope() takes them."""
    from pysmail.delivery.scheduler import Job
    from pysmail.mime.eml import eml_envelope, eml_message_id, file_chunks, open_eml, read_head

    jobs: list[Job] = []
    planned: list[tuple[int, tuple[str, ...], str]] = []
    for number, file in enumerate(files, 1):
        with open_eml(file) as stream:
            head, _rest = read_head(stream, file)
        envelope_from, rcpts, utf8 = eml_envelope(head, str(file), sender, given)
        jobs.append(Job(number, envelope_from, rcpts, partial(file_chunks, file), utf8, True))
        planned.append((number, rcpts, eml_message_id(head)))
    return jobs, planned
