"""`{name}` placeholders in a batch's subject, text and HTML (-s, -T/-F, --html): checked once
by compile_template(), filled per row by render() (str.format_map; `{{` is a brace)."""

from __future__ import annotations

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.record import record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Template", "Templates", "compile_template", "render"]


@record
class Template:
    """A subject or body text with `{name}` placeholders (str.format_map; `{{` is a brace)."""

    text: str
    what: str  # "subject", "body", "html": named in error messages
    names: tuple[str, ...] = ()


@record
class Templates:
    """The batch's subject, text and HTML templates (None: no text, no HTML)."""

    subject: Template
    text: Template | None = None
    html: Template | None = None


def _bad(what: str, reason: str) -> UsageError:
    return UsageError(ErrCode.OPTION, "batch.bad_template", template=what, reason=reason)


def _check_name(name: str, what: str) -> None:
    if not name or not name.strip() or any(ch in name for ch in ".[]") or name.isdigit():
        raise _bad(what, "{" + name + "} is not a column name")


def compile_template(text: str, what: str) -> Template:
    """Check a template once. Raises UsageError(OPTION, "batch.bad_template")."""
    import string

    names: list[str] = []
    try:
        for _literal, name, spec, _conv in string.Formatter().parse(text):
            if name is None:
                continue
            _check_name(name, what)
            names.append(name)
            if spec and "{" in spec:
                compile_template(spec, what)
    except ValueError as exc:
        raise _bad(what, str(exc)) from exc
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
        raise _bad(template.what, str(exc)) from exc
