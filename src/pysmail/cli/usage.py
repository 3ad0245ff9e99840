"""The `smail -?` help text, built from the one option table in cli.smail_args."""

from __future__ import annotations

from pysmail import __version__
from pysmail.cli.smail_args import OPTIONS, Kind, OptionSpec
from pysmail.messages import Lang, text

__all__ = ["option_label", "usage_text"]

# SMAIL's own synopsis (readme section 4, shared/docs/smail-spec.md 3.1), kept as SMAIL wrote it.
_SYNOPSIS = (
    "  smail [-d][-t][-i][-S][-p(1-9)][-m[<id>]] -h<host> -f<sender> -s<subject>\n"
    "        -F<body file>|-T<text> -a<file1>[,<file2>,..] "
    "user1@XXX[,CC:user2@XXX,BCC:user3@XXX..]"
)


def option_label(spec: OptionSpec) -> str:
    """How an option is written in the help: `-h<host>, --host <host>`, `-m[<id>], ...`."""
    labels = (_short_label(spec) if spec.short else "", _long_label(spec) if spec.long else "")
    return ", ".join(label for label in labels if label)


def _short_label(spec: OptionSpec) -> str:
    """`-h<host>`, `-m[<id>]`, `-d`: the value attached, as SMAIL writes it."""
    meta = spec.metavar
    return {
        Kind.VALUE: f"-{spec.short}<{meta}>",
        Kind.OPTIONAL: f"-{spec.short}[<{meta}>]",
        Kind.FLAG: f"-{spec.short}",
    }[spec.kind]


def _long_label(spec: OptionSpec) -> str:
    """`--host <host>`, `--queue-id[=<id>]`, `--debug`; a long-only value: `--config PATH`."""
    meta = spec.metavar
    if spec.kind == Kind.VALUE:
        return f"--{spec.long} <{meta}>" if spec.short else f"--{spec.long} {meta}"
    if spec.kind == Kind.OPTIONAL:
        return f"--{spec.long}[=<{meta}>]"
    return f"--{spec.long}"


def usage_text(lang: Lang) -> str:
    """The full help: title, SMAIL's synopsis, SMAIL's options, ours, recipients, settings."""
    lines = [
        text("cli.usage.title", lang, version=__version__),
        "",
        text("cli.usage.synopsis", lang),
        _SYNOPSIS,
        "",
    ]
    for heading, smail in (("cli.usage.smail_heading", True), ("cli.usage.extra_heading", False)):
        lines.append(text(heading, lang))
        for spec in OPTIONS:
            if spec.smail is smail:
                lines.append(f"  {option_label(spec)}")
                lines.append(f"        {text(spec.help_id, lang)}")
        lines.append("")
    lines.append(text("cli.usage.recipients", lang))
    lines.append("")
    lines.append(text("cli.usage.footer", lang))
    return "\n".join(lines) + "\n"
