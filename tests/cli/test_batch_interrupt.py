"""Ctrl+C during `smail --batch` says what is true: how many messages the server accepted,
which row was in flight and whether its whole message had gone (it may have been delivered),
how many were not sent, and where the --report file is, whose rows say the same. Before any
message went: still "nothing was sent".

The moments come from a loopback SMTP server of the test's own that accepts the first
messages, then holds the connection after the next one's final "." without an answer (or holds
it before its greeting): no real server does that on purpose. The real `smail` child gets
SIGINT then (a console Ctrl+C on Windows, untested there).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli.interrupt import HoldingServer, run_interrupted
from cli.util import ALICE, BOB, LOOPBACK, write_ini
from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang

ROWS = 5


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[HoldingServer]:
    held = HoldingServer(request.param)
    try:
        yield held
    finally:
        held.close()


def _interrupted_batch(folder: Path, server: HoldingServer, source: str = "csv") -> tuple[int, str]:
    """The real `smail --batch` child of ROWS rows (a CSV file, or a folder of .eml files) to
    `server`, interrupted when it holds."""
    write_ini(folder, "[smail]\n")
    argv = [f"-h{LOOPBACK}", "--port", str(server.port), "--tls", "none", "-f" + ALICE]
    if source == "csv":
        rows = "".join(f"{BOB},{n}\n" for n in range(1, ROWS + 1))
        (folder / "rows.csv").write_text("to,n\n" + rows, encoding="utf-8")
        argv += ["--batch", "rows.csv", "-sRow {n}", "-Tbody"]
    else:
        (folder / "mails").mkdir()
        for n in range(1, ROWS + 1):
            message = f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: Row {n}\r\n\r\nbody\r\n"
            (folder / "mails" / f"{n}.eml").write_bytes(message.encode())
        argv += ["--batch", "mails"]
    return run_interrupted(folder, server, [*argv, "--report", "report.csv"])


def _statuses(folder: Path) -> dict[str, str]:
    with open(folder / "report.csv", encoding="utf-8-sig", newline="") as stream:
        return {line["row"]: line["status"] for line in csv.DictReader(stream)}


@pytest.mark.parametrize("source", ["csv", "eml folder"])
@pytest.mark.parametrize("server", [2], indirect=True)
def test_ctrl_c_after_some_rows_counts_them_and_names_the_row_in_flight(
    tmp_path: Path, server: HoldingServer, source: str
) -> None:
    code, text = _interrupted_batch(tmp_path, server, source)
    assert code == 16, text
    assert "nothing was sent" not in text
    assert "Interrupted: 2 of 5 message(s) were accepted by the server, 0 failed, 2 not sent." in (
        text
    )
    assert "Row(s) 3 went to the server whole, but its answer had not come: the server may " in text
    assert "Row(s) 4 was being sent but had not gone to the server whole: not sent." in text
    assert f"The report {tmp_path / 'report.csv'} marks every row" in text
    assert _statuses(tmp_path) == {
        "1": "sent",
        "2": "sent",
        "3": "maybe_sent",
        "4": "not_sent",
        "5": "not_sent",
    }


@pytest.mark.parametrize("server", [None], indirect=True)
def test_ctrl_c_before_any_message_went_says_nothing_was_sent(
    tmp_path: Path, server: HoldingServer
) -> None:
    code, text = _interrupted_batch(tmp_path, server)
    assert code == 16, text
    assert "Interrupted before any message went to the server; nothing was sent." in text
    assert "accepted by the server" not in text
    assert set(_statuses(tmp_path).values()) == {"not_sent"}
    assert len(_statuses(tmp_path)) == ROWS


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "1 of 3 message(s) were accepted by the server, 0 failed, 1 not sent. Row(s) 2 were "
            "being sent: the server may have accepted them.",
        ),
        (
            "ja",
            "3 通中 1 通はサーバーが受け付け、0 通は失敗、1 通は未送信です。 "
            "2 件目は送信中でした。",
        ),
    ],
)
def test_ctrl_c_with_several_connections_says_the_rows_in_flight_may_be_delivered(
    tmp_path: Path, lang: Lang, expected: str
) -> None:
    """--parallel: what the workers' connections had sent is not known in the main thread,
    so a row in flight may have been delivered, and is reported so (never "not sent")."""
    from pysmail.delivery.batch.run import BatchInterrupted, _report_run
    from pysmail.delivery.scheduler import Job, Result
    from pysmail.messages import format_error
    from pysmail.smtp.replies import Reply

    planned = [(n, (BOB,), f"<{n}@x.test>") for n in (1, 2, 3)]
    report = tmp_path / "report.csv"

    def results(on_result: Callable[[Result], None]) -> None:
        job = Job(1, ALICE, (BOB,), lambda: [b"x\r\n"])
        on_result(Result(job, Reply(250, ("2.0.0 Ok",)), None, 1))
        raise BatchInterrupted(frozenset({1, 2}), None)

    with pytest.raises(SmailError) as info:
        _report_run(
            planned,
            results,
            report_path=report,
            out=lambda _line: None,
            lang=lang,
            silent=False,
            stream=None,
        )
    shown = format_error(info.value, lang)
    assert info.value.code == ErrCode.UNKNOWN
    assert expected in shown
    assert "nothing was sent" not in shown
    with open(report, encoding="utf-8-sig", newline="") as stream:
        statuses = {line["row"]: line["status"] for line in csv.DictReader(stream)}
    assert statuses == {"1": "sent", "2": "maybe_sent", "3": "not_sent"}


@pytest.mark.parametrize(
    ("server", "expected"), [(0, "after"), (None, "nothing")], indirect=["server"]
)
def test_ctrl_c_during_a_single_eml_says_whether_it_may_be_delivered(
    tmp_path: Path, server: HoldingServer, expected: str
) -> None:
    write_ini(tmp_path, "[smail]\n")
    message = f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: one\r\n\r\nbody\r\n"
    (tmp_path / "one.eml").write_bytes(message.encode())
    argv = [f"-h{LOOPBACK}", "--port", str(server.port), "--tls", "none", "--eml", "one.eml"]
    code, text = run_interrupted(tmp_path, server, argv)
    assert code == 16, text
    if expected == "after":
        assert "nothing was sent" not in text
        assert "before its answer: the server may have accepted it. Check before sending" in text
    else:
        assert "Interrupted; nothing was sent." in text
