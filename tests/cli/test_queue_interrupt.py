"""Ctrl+C during `smail --queue` says what is true: the message stays queued (its name and
Message-ID, and that the next --flush sends it), or it may already be delivered when the
interrupt came after its data went out; never "nothing was sent" for a message that then goes.

The moment comes from a loopback SMTP server of the test's own that holds the connection open
(no real server does that on purpose): before its greeting, or after the final "." without an
answer. The real `smail` child gets SIGINT then; the real stack's relay takes the --flush.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.interrupt import HoldingServer, run_interrupted
from cli.util import (
    ALICE,
    BOB,
    LOOPBACK,
    fetch_one,
    marker,
    run_main,
    write_ini,
)
from pysmail.exitcodes import ErrCode
from pysmail.messages import format_error
from stackutil import Stack

MOMENTS = {"greeting": None, "data": 0}  # HoldingServer(accept): before its greeting; or
# the whole dialogue up to the first message's final ".", then no answer


@pytest.fixture
def holding(request: pytest.FixtureRequest) -> Iterator[HoldingServer]:
    server = HoldingServer(MOMENTS[request.param])
    try:
        yield server
    finally:
        server.close()


def _run_interrupted(folder: Path, holding: HoldingServer, *extra: str) -> tuple[int, str]:
    """The real `smail` child sending to the holding server, interrupted at its moment."""
    argv = [f"-h{LOOPBACK}", "--port", str(holding.port), "--tls", "none", "-f" + ALICE]
    return run_interrupted(folder, holding, [*argv, *extra, "-Tbody", BOB])


@pytest.mark.parametrize(
    ("holding", "expected"),
    [
        ("greeting", "Interrupted before the message went to the server: it was not sent. "),
        ("data", "Interrupted after the whole message went to the server, before its answer: "),
    ],
    indirect=["holding"],
)
@pytest.mark.stack
def test_ctrl_c_during_queue_says_queued_and_flush_sends_it(
    stack: Stack, tmp_path: Path, holding: HoldingServer, expected: str
) -> None:
    spool = tmp_path / "outbox"
    write_ini(tmp_path, f"[smail]\noutbox_dir = {spool}\n")
    mark = marker("queue-interrupt")
    code, text = _run_interrupted(tmp_path, holding, "--queue", "-s" + mark)
    queued = list(spool.glob("*.msg"))
    assert len(queued) == 1, text
    name = queued[0].stem
    assert code == 16, text
    assert "nothing was sent" not in text
    assert expected in text
    assert f"It stays queued as {name} (<" in text
    assert "the next `smail --flush` sends it" in text
    assert f"delete {queued[0]}" in text
    state = queued[0].with_suffix(".state")
    if holding.accept is not None:  # "data": may be delivered, the outbox knows it too
        assert json.loads(state.read_text())["maybe_sent"] is True
    else:
        assert not state.exists()  # never tried: due at once
    # what the message promised: the next --flush (the real relay now) sends it, once
    relay = [f"-h{stack.relay_host}", "--port", str(stack.relay), "--tls", "none", "-f" + ALICE]
    flushed = run_main([*relay, "--flush"], tmp_path)
    assert flushed.code == 0, flushed.out
    assert f"Sent {name}" in flushed.out
    fetch_one(stack, BOB, mark)
    assert not list(spool.glob("*.msg"))


@pytest.mark.parametrize("holding", ["data"], indirect=True)
def test_ctrl_c_after_the_data_of_a_plain_send_says_it_may_be_delivered(
    tmp_path: Path, holding: HoldingServer
) -> None:
    write_ini(tmp_path, "[smail]\n")
    code, text = _run_interrupted(tmp_path, holding, "-splain")
    assert code == 16, text
    assert "nothing was sent" not in text
    assert "before its answer: the server may have accepted it. Check before sending" in text


def test_ctrl_c_during_flush_counts_what_went_and_what_stays(tmp_path: Path) -> None:
    from pysmail.delivery.outbox import Envelope, enqueue, interrupted

    spool = tmp_path / "outbox"
    for number in range(3):
        envelope = Envelope(ALICE, (BOB,), 0.0, message_id=f"<{number}@x.test>")
        enqueue(spool, envelope, [b"Subject: x\r\n\r\nbody\r\n"])
    error = interrupted(spool, None, ["sent-one"], after_data=False)
    shown = format_error(error, "en")
    assert error.code == ErrCode.UNKNOWN
    assert "Interrupted: 1 message(s) were sent in this run; 3 message(s) stay in the " in shown
    assert f"outbox {spool} for the next `smail --flush`." in shown
    assert "may have been accepted" in format_error(
        interrupted(spool, None, [], after_data=True), "en"
    )
