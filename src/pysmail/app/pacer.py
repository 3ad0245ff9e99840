"""The provider's pacing with smail.ini's overrides, for --flush and --batch."""

from __future__ import annotations

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.config.model import Settings
    from pysmail.delivery.pacing import Pacer

__all__ = ["pacer"]


def pacer(settings: Settings) -> Pacer | None:
    """The provider's pacing with smail.ini's overrides, or None when nothing is limited
    (pysmail.delivery.pacing is imported only when a preset or an override is set)."""
    rel = settings.reliability
    if rel.pacing == "none" and not any(value for _name, value in rel.pacing_overrides):
        return None
    import time
    from dataclasses import replace

    from pysmail.config.limits import Limits, limits_for
    from pysmail.delivery.pacing import Pacer

    limits = limits_for(rel.pacing, dict(rel.pacing_overrides))
    if limits == Limits(limits.name):
        return None  # every limit overridden with 0
    if limits.name == "none":  # limits of the user's own: named after where they are set
        limits = replace(limits, name="smail.ini")
    return Pacer(limits, clock=time.time)
