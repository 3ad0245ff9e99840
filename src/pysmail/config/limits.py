"""Provider sending limits as data: the presets and smail.ini's overrides (the pacer that
applies them is delivery/pacing.py).

Known limits (shared/docs/oauth-facts.md 4.4; providers change them, so every value can be
overridden, and `none` turns pacing off):

    preset         msgs/min  msgs/day  rcpts/day  rcpts/msg
    microsoft365       30         -     10,000        500   Exchange Online, per mailbox
    gmail               -       500          -        100   consumer; 100 rcpts/msg over SMTP
    workspace           -     2,000     10,000        100   Google Workspace (trial: 500/day)
    none                -         -          -          -
"""

from __future__ import annotations

from collections.abc import Mapping

from pysmail.record import record, record_fields, replace

__all__ = ["OVERRIDABLE", "PRESETS", "Limits", "limits_for"]


@record
class Limits:
    """None = no limit. Counts are per mailbox (one outbox = one sender account)."""

    name: str = "none"
    per_minute: int | None = None
    per_day: int | None = None
    recipients_per_day: int | None = None
    recipients_per_message: int | None = None


PRESETS: dict[str, Limits] = {
    "none": Limits("none"),
    "microsoft365": Limits("microsoft365", 30, None, 10_000, 500),
    "gmail": Limits("gmail", None, 500, None, 100),
    "workspace": Limits("workspace", None, 2_000, 10_000, 100),
}
_ALIASES = {
    "office365": "microsoft365",
    "o365": "microsoft365",
    "outlook": "microsoft365",
    "google": "gmail",
    "googleworkspace": "workspace",
    "off": "none",
    "": "none",
}
OVERRIDABLE = tuple(name for name in record_fields(Limits) if name != "name")


def limits_for(preset: str, overrides: Mapping[str, int | None] | None = None) -> Limits:
    """The preset's limits with `overrides` applied (a value of 0 or None removes a limit).

    Raises: KeyError for an unknown preset or override name (the caller reports it).
    """
    key = preset.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    base = PRESETS[_ALIASES.get(key, key)]
    if not overrides:
        return base
    unknown = set(overrides) - set(OVERRIDABLE)
    if unknown:
        raise KeyError(sorted(unknown)[0])
    changes: dict[str, object] = {k: (v if v else None) for k, v in overrides.items()}
    return replace(base, **changes)
