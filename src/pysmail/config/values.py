"""The value checks smail.ini and the command line share: each returns the value, or None when
it does not fit (the caller says so in its own words: config.ini's ERR-0016 naming the key,
cli.option_values' ERR-0017 naming the option)."""

from __future__ import annotations

__all__ = ["DAY", "encoding_name", "number_in", "seconds_in"]

DAY = 86400.0


def number_in(text: str, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits, within low..high."""
    if text.isascii() and text.isdigit() and low <= int(text) <= high:
        return int(text)
    return None


def seconds_in(text: str, high: float, *, zero: bool = False) -> float | None:
    """A number of seconds above 0 (or from 0, with `zero`) and below `high` (up to `high`,
    with `zero`); nan and inf never fit."""
    try:
        seconds = float(text)
    except ValueError:
        return None
    fits = 0 <= seconds <= high if zero else 0 < seconds < high
    return seconds if fits else None


def encoding_name(name: str) -> str | None:
    """ "auto", or the codec a body file's encoding name stands for."""
    from pysmail.mime.bodyfile import text_codec

    if name.lower() == "auto":
        return "auto"
    return text_codec(name)
