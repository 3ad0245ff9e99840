"""The flush report (app/flush.py _Report): to a file or a pipe, "Sent" lines go out together,
at most HOLD apart (one write instead of one a message, D46); any other line, and the run's end,
sends what is held first, so the order is the order of events; on a terminal and with -d each
line goes out as it comes."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from pysmail.app.flush import HOLD, _Report
from pysmail.delivery.outbox import Envelope, Event
from pysmail.ui.output import Output


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty
        self.writes: list[str] = []

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def _report(stream: _Stream, now: list[float], debug: bool = False) -> _Report:
    ctx: Any = SimpleNamespace(out=Output(stream), lang="en")
    settings: Any = SimpleNamespace(debug=debug)
    return _Report(settings, ctx, None, None, None, {}, clock=lambda: now[0])


ENV = Envelope("a@x", ("b@y",), 1e9, "<m@x>")


def _sent(n: int) -> Event:
    return Event("sent", f"m{n}", ENV, 1)


def test_sent_lines_to_a_pipe_go_out_together_in_order() -> None:
    stream, now = _Stream(tty=False), [100.0]
    report = _report(stream, now)
    report(_sent(0))  # the first line at once
    now[0] += HOLD / 10
    report(_sent(1))
    report(_sent(2))
    assert len(stream.writes) == 1
    now[0] += HOLD
    report(_sent(3))  # HOLD passed: 1, 2 and 3 in one write
    assert len(stream.writes) == 2 and stream.writes[1].count("Sent ") == 3
    report(_sent(4))
    report(Event("failed", "m5", ENV, 1))  # not held: 4, then the failure, in one write
    assert len(stream.writes) == 3
    report(_sent(6))
    report.release()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 7 and len(stream.writes) == 4
    assert [next(n for n in range(7) if f" m{n} " in ln) for ln in lines] == list(range(7))
    assert not lines[5].startswith("Sent ") and all(
        ln.startswith("Sent ") for ln in lines[:5] + lines[6:]
    )


def test_on_a_terminal_and_with_debug_each_line_goes_out_as_it_comes() -> None:
    for stream, debug in ((_Stream(tty=True), False), (_Stream(tty=False), True)):
        now = [100.0]
        report = _report(stream, now, debug=debug)
        for n in range(3):
            report(_sent(n))
        assert len(stream.writes) == 3
