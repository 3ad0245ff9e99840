"""The converters of smail's option values: (value, option as typed) -> the value, or a
UsageError naming the option (cli.smail_args.OPTIONS names one per option)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pysmail.config.model import AuthMode, Charset, TlsMode
from pysmail.config.values import DAY, encoding_name, number_in, seconds_in
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import LANGS

# (value, option as the user typed it) -> the converted value; raises UsageError
Converter = Callable[[str, str], object]


def choice(values: Sequence[str], make: Callable[[str], object]) -> Converter:
    def convert(value: str, option: str) -> object:
        key = value.strip().lower()
        if key not in values:
            raise UsageError(
                ErrCode.OPTION,
                "cli.bad_choice",
                option=option,
                value=value,
                choices="|".join(values),
            )
        return make(key)

    return convert


def priority(value: str, option: str) -> int:
    if len(value) == 1 and value in "123456789":
        return int(value)
    raise UsageError(ErrCode.OPTION, "cli.bad_priority", option=option, value=value)


def _number(low: int, high: int, msgid: str) -> Converter:
    """A whole number within low..high (spaces around it allowed)."""

    def convert(value: str, option: str) -> int:
        number = number_in(value.strip(), low, high)
        if number is None:
            raise UsageError(ErrCode.OPTION, msgid, option=option, value=value)
        return number

    return convert


def _seconds(high: float, msgid: str, *, zero: bool = False) -> Converter:
    """A number of seconds below `high` (from 0 to `high`, with `zero`)."""

    def convert(value: str, option: str) -> float:
        found = seconds_in(value, high, zero=zero)
        if found is None:
            raise UsageError(ErrCode.OPTION, msgid, option=option, value=value)
        return found

    return convert


port = _number(1, 65535, "cli.bad_port")
parallel = _number(1, 32, "cli.bad_parallel")
seconds = _seconds(DAY, "cli.bad_timeout")
retry = _seconds(7 * DAY, "cli.bad_retry", zero=True)


def proxy(value: str, option: str) -> object:
    from pysmail.net.proxy import ProxyUrlError, mask_proxy_text, parse_proxy_setting

    try:
        setting = parse_proxy_setting(value)
    except ProxyUrlError as exc:
        raise UsageError(
            ErrCode.OPTION,
            "cli.bad_proxy",
            option=option,
            value=mask_proxy_text(value),
            reason=str(exc),
        ) from None
    if setting != "none" and setting.username is not None:
        raise UsageError(ErrCode.OPTION, "cli.proxy_credentials", option=option)
    return setting


def encoding(value: str, option: str) -> str:
    codec = encoding_name(value.strip().lower())
    if codec is None:
        raise UsageError(ErrCode.OPTION, "cli.bad_encoding", option=option, value=value)
    return codec


def attachments(value: str, option: str) -> list[str]:
    # Empty pieces come from empty batch variables (-a%A%,%B%) and are dropped.
    names = [name for name in value.split(",") if name.strip()]
    if not names:
        raise UsageError(ErrCode.OPTION, "cli.missing_value", option=option, example="-afile.pdf")
    return names


def helo(value: str, option: str) -> str:
    from pysmail.smtp.ehlo_name import is_ehlo_name

    if is_ehlo_name(value):
        return value
    from pysmail.text.escape import clip

    raise UsageError(ErrCode.OPTION, "cli.bad_helo", option=option, value=clip(value))


def header(value: str, option: str) -> tuple[str, str]:
    name, colon, body = value.partition(":")
    name = name.strip()
    # RFC 5322 3.6.8: a field name is printable US-ASCII except ":"; no CR/LF may sneak in.
    ok_name = bool(name) and all(33 <= ord(c) <= 126 for c in name)
    if not (colon and ok_name) or "\r" in body or "\n" in body:
        raise UsageError(ErrCode.OPTION, "cli.bad_header", option=option, value=value)
    return name, body.strip()


# --- the table --------------------------------------------------------------------------------

TLS = [m.value for m in TlsMode]
AUTH = [m.value for m in AuthMode]
CHARSETS = [m.value for m in Charset]
tls, auth = choice(TLS, TlsMode), choice(AUTH, AuthMode)
charset, lang = choice(CHARSETS, Charset), choice(LANGS, str)
SHELLS = ("bash", "zsh", "powershell")  # --completion's (cli.completion writes their scripts)
shell = choice(SHELLS, str)
