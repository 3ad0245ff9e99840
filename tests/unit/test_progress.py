"""The progress bar (pysmail.ui.progress) and its wiring in `smail`: large attachments, --flush.

Drawn on stderr only when it is a terminal and without -S; throttled; 100 % at the end, then
wiped; never a byte of it on stdout. End to end: the real `smail` in a pseudo-terminal.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    ScriptedHandler,
    free_port,
    hermetic_env,
    smail_command,
    smtpd,
    write_ini,
)
from pysmail.cli.smail_main import main
from pysmail.mime.parts import Base64Block, base64_lines
from pysmail.ui.progress import (
    INTERVAL,
    Progress,
    base64_size,
    counted,
    format_bytes,
    render,
    terminal,
)

MB = 1024 * 1024


class FakeTty(io.StringIO):
    """A terminal as far as isatty() can tell."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(written: str) -> list[str]:
    """What a terminal shows after `written`: \\r returns to column 0, \\n starts a line."""
    lines: list[list[str]] = [[]]
    col = 0
    for ch in written:
        if ch == "\n":
            lines.append([])
            col = 0
        elif ch == "\r":
            col = 0
        else:
            line = lines[-1]
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
    return ["".join(line).rstrip() for line in lines]


# -- the pure parts ---------------------------------------------------------------------------


def test_format_bytes_uses_units() -> None:
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1536) == "1.5 KB"
    assert format_bytes(5 * MB) == "5.0 MB"
    assert format_bytes(3 * 1024 * MB) == "3.0 GB"
    assert format_bytes(5000 * 1024 * MB) == "5000.0 GB"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 56, 57, 58, 114, 57 * 1000 + 5, MB + 1])
def test_base64_size_is_exactly_what_the_composer_writes(size: int) -> None:
    assert base64_size(size) == len(base64_lines(b"\xa5" * size))


def test_render_with_a_known_total_shows_bar_percent_and_bytes() -> None:
    line = render(MB, 4 * MB)
    assert line.startswith("[#####---------------]")
    assert " 25 %" in line and "1.0 MB / 4.0 MB" in line
    full = render(4 * MB, 4 * MB, rate=2 * MB)
    assert "[" + "#" * 20 + "]" in full and "100 %" in full and "2.0 MB/s" in full
    assert "100 %" in render(5 * MB, 4 * MB)  # past an estimated total: never above 100
    assert " 99 %" in render(4 * MB - 1, 4 * MB)  # 100 % only at the end


def test_render_without_total_and_with_a_message_count() -> None:
    assert render(2048, 0) == "2.0 KB"  # no bar, no percentage
    assert render(3, 10, unit="items").endswith("3/10")
    assert render(MB, 2 * MB, count=1, count_total=3).endswith("1/3")


def test_terminal_only_for_a_tty_and_never_with_silent() -> None:
    tty = FakeTty()
    assert terminal(tty, silent=False) is tty
    assert terminal(tty, silent=True) is None
    assert terminal(io.StringIO(), silent=False) is None
    assert terminal(None, silent=False) is None
    closed = io.StringIO()
    closed.close()  # isatty() raises ValueError
    assert terminal(closed, silent=False) is None


# -- the bar ----------------------------------------------------------------------------------


def test_bar_draws_at_once_then_throttles_then_reaches_100_and_clears() -> None:
    tty, clock = FakeTty(), Clock()
    bar = Progress(tty, 10 * MB, clock=clock)
    bar.update(0)
    assert tty.getvalue().startswith("\r[") and "  0 %" in tty.getvalue()
    drawn = tty.getvalue()
    for step in range(1, 50):  # 49 updates within one interval: none drawn
        clock.now += INTERVAL / 100
        bar.update(step * 1000)
    assert tty.getvalue() == drawn
    clock.now += INTERVAL
    bar.update(5 * MB)
    assert tty.getvalue().count("\r") == 2 and " 50 %" in tty.getvalue()
    bar.finish()
    out = tty.getvalue()
    last_draw = out.split("\r")[-3]  # then "\r<spaces>\r"
    assert "100 %" in last_draw and "10.0 MB / 10.0 MB" in last_draw
    assert out.endswith("\r") and screen(out) == [""]  # wiped: the terminal line is blank


def test_a_shorter_line_wipes_the_rest_of_the_longer_one() -> None:
    tty, clock = FakeTty(), Clock()
    bar = Progress(tty, 0, clock=clock)
    bar.update(5 * 1024 * MB)  # "5.0 GB"
    clock.now += 1
    bar.update(5)  # "5 B"
    assert screen(tty.getvalue()) == ["5 B  5 B/s"]  # rate: 5 bytes in 1 s; no "GB" left over


def test_nothing_is_drawn_without_a_stream_or_when_never_started() -> None:
    bar = Progress(None, MB)
    bar.update(10)
    bar.clear()
    bar.finish()
    tty = FakeTty()
    Progress(tty, MB).finish()  # never drawn: nothing to end
    assert tty.getvalue() == ""


def test_a_terminal_that_fails_stops_the_bar_without_an_error() -> None:
    class Broken(FakeTty):
        def write(self, s: str) -> int:
            raise OSError(5, "Input/output error")

    bar = Progress(Broken(), MB)
    bar.update(1)
    bar.update(2)
    bar.finish()
    assert bar.stream is None


def test_counted_passes_the_same_chunks_and_counts_them() -> None:
    tty, clock = FakeTty(), Clock()
    bar = Progress(tty, 300, clock=clock)
    block = Base64Block(b"QUJD\r\n" * 10)
    chunks = [b"a" * 100, block, b"b" * 140]
    got = []
    for chunk in counted(chunks, bar):
        got.append(chunk)
        clock.now += 1
    assert got == chunks and got[1] is block  # the pass-through type survives
    assert bar.done == 300
    out = tty.getvalue()
    assert "100 %" in out and screen(out) == [""]


def test_counted_clears_when_the_send_stops_early() -> None:
    tty = FakeTty()
    bar = Progress(tty, 1000)
    stream = counted([b"x" * 100, b"y" * 100], bar)
    next(stream)
    stream.close()  # what a failed send leaves behind
    assert screen(tty.getvalue()) == [""]
    assert "100 %" not in tty.getvalue()


# -- smail, in-process (stderr replaced by a fake terminal) ------------------------------------


@pytest.fixture
def server() -> Iterator[tuple[ScriptedHandler, int]]:
    handler = ScriptedHandler()
    with smtpd(handler) as port:
        yield handler, port


def _send(folder: Path, port: int, *extra: str) -> list[str]:
    return ["-h127.0.0.1", "--port", str(port), "--tls", "none", "-f" + ALICE, *extra, BOB]


def _attachment(folder: Path, size: int, name: str = "big.bin") -> str:
    (folder / name).write_bytes(os.urandom(size))
    return name


def test_a_large_attachment_draws_a_bar_on_stderr_only(
    tmp_path: Path, server: tuple[ScriptedHandler, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = server
    name = _attachment(tmp_path, 2 * MB)
    tty, stdout = FakeTty(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", tty)
    argv = _send(tmp_path, port, "-sbig", "-Thello", "-a" + name)
    code = main(argv, stdout=stdout, environ=hermetic_env(tmp_path), cwd=tmp_path)
    assert code == 0, stdout.getvalue()
    assert len(handler.delivered) == 1
    drawn = tty.getvalue()
    assert drawn.startswith("\r[") and "100 %" in drawn and " MB / " in drawn
    assert screen(drawn) == [""]  # cleared at the end
    assert "\r" not in stdout.getvalue() and "%" not in stdout.getvalue()


def test_no_bar_with_silent_small_attachments_or_no_terminal(
    tmp_path: Path, server: tuple[ScriptedHandler, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = server
    big, small = _attachment(tmp_path, 2 * MB), _attachment(tmp_path, 100_000, "small.bin")
    runs = [
        (FakeTty(), ["-S", "-a" + big]),  # -S: silent
        (FakeTty(), ["-a" + small]),  # small: not worth a bar
        (io.StringIO(), ["-a" + big]),  # not a terminal
    ]
    for stream, extra in runs:
        monkeypatch.setattr(sys, "stderr", stream)
        stdout = io.StringIO()
        argv = _send(tmp_path, port, "-sx", "-Tx", *extra)
        code = main(argv, stdout=stdout, environ=hermetic_env(tmp_path), cwd=tmp_path)
        assert code == 0, stdout.getvalue()
        assert stream.getvalue() == "", extra
    assert len(handler.delivered) == 3


def test_a_failed_large_send_leaves_a_clean_line_for_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _attachment(tmp_path, 2 * MB)
    tty = FakeTty()  # stdout and stderr: the same terminal
    monkeypatch.setattr(sys, "stderr", tty)
    handler = ScriptedHandler()

    async def refuse(*_args: object) -> str:
        return "554 5.6.0 no thanks"

    handler.handle_DATA = refuse  # type: ignore[method-assign]
    with smtpd(handler) as port:
        argv = _send(tmp_path, port, "-sx", "-Tx", "-a" + name)
        code = main(argv, stdout=tty, environ=hermetic_env(tmp_path), cwd=tmp_path)
    assert code != 0
    assert "100 %" in tty.getvalue()  # the whole message went out before the refusal
    shown = [line for line in screen(tty.getvalue()) if line]
    assert shown and all(line.startswith("ERR-") or "%" not in line for line in shown)
    assert shown[0].startswith("ERR-")  # the error line starts at column 0, no bar before it


def _queue(folder: Path, count: int, size: int) -> Path:
    """`count` messages in the outbox of `folder` (sent to a closed port: they stay)."""
    spool = folder / "outbox"
    write_ini(folder, f"[smail]\noutbox_dir = {spool}\n")
    down = free_port()
    for i in range(count):
        name = _attachment(folder, size, f"part{i}.bin")
        argv = _send(folder, down, "--queue", f"-sq{i}", "-Tx", "-a" + name)
        out = io.StringIO()
        assert main(argv, stdout=out, environ=hermetic_env(folder), cwd=folder) == 0, out
    for state in spool.glob("*.state"):
        state.unlink()  # due now, not after the backoff
    assert len(list(spool.glob("*.msg"))) == count
    return spool


def test_flush_shows_messages_n_of_m_and_keeps_report_lines_clean(
    tmp_path: Path, server: tuple[ScriptedHandler, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = server
    spool = _queue(tmp_path, 3, 400_000)
    tty = FakeTty()  # stdout and stderr: the same terminal, as in a console window
    monkeypatch.setattr(sys, "stderr", tty)
    argv = ["-h127.0.0.1", "--port", str(port), "--tls", "none", "--flush"]
    code = main(argv, stdout=tty, environ=hermetic_env(tmp_path), cwd=tmp_path)
    assert code == 0, tty.getvalue()
    assert len(handler.delivered) == 3 and not list(spool.glob("*.msg"))
    written = tty.getvalue()
    assert "0/3" in written and "3/3" in written and "100 %" in written
    shown = [line for line in screen(written) if line]
    assert len(shown) == 3  # the three report lines, and no leftover of the bar
    assert not any("%" in line or line.startswith("[") for line in shown)


def test_flush_without_a_terminal_or_with_silent_draws_nothing(
    tmp_path: Path, server: tuple[ScriptedHandler, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = server
    _queue(tmp_path, 2, 1000)
    argv = ["-h127.0.0.1", "--port", str(port), "--tls", "none", "--flush"]
    quiet_tty = FakeTty()
    monkeypatch.setattr(sys, "stderr", quiet_tty)
    out = io.StringIO()
    assert main([*argv, "-S"], stdout=out, environ=hermetic_env(tmp_path), cwd=tmp_path) == 0
    assert quiet_tty.getvalue() == ""
    assert len(handler.delivered) == 2
    _queue(tmp_path, 1, 1000)
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    assert main(argv, stdout=out, environ=hermetic_env(tmp_path), cwd=tmp_path) == 0
    assert plain.getvalue() == "" and "\r" not in out.getvalue()
    assert len(handler.delivered) == 3


def test_queue_of_a_large_message_draws_a_bar(
    tmp_path: Path, server: tuple[ScriptedHandler, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = server
    write_ini(tmp_path, f"[smail]\noutbox_dir = {tmp_path / 'outbox'}\n")
    name = _attachment(tmp_path, 2 * MB)
    tty = FakeTty()
    monkeypatch.setattr(sys, "stderr", tty)
    out = io.StringIO()
    argv = _send(tmp_path, port, "--queue", "-sq", "-Tx", "-a" + name)
    assert main(argv, stdout=out, environ=hermetic_env(tmp_path), cwd=tmp_path) == 0, out
    assert len(handler.delivered) == 1
    assert "100 %" in tty.getvalue() and screen(tty.getvalue()) == [""]


# -- the real command: a pseudo-terminal, and a pipe -------------------------------------------


def _read_all(fd: int, proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """Everything written to the pseudo-terminal whose master is `fd` until `proc` ends."""
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            data += chunk
        elif proc.poll() is not None:
            break
    return data


if sys.platform != "win32":  # pseudo-terminals (the pty module) are POSIX-only

    def test_smail_in_a_terminal_draws_the_bar_there_and_not_on_stdout(
        tmp_path: Path, server: tuple[ScriptedHandler, int]
    ) -> None:
        import pty

        handler, port = server
        name = _attachment(tmp_path, 5 * MB)
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen(
                [*smail_command(), *_send(tmp_path, port, "-sbig", "-Thello", "-a" + name)],
                cwd=tmp_path,
                env=hermetic_env(tmp_path),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=slave,
            )
            os.close(slave)
            slave = -1
            terminal_bytes = _read_all(master, proc, timeout=60)
            stdout, _ = proc.communicate(timeout=60)
        finally:
            os.close(master)
            if slave != -1:
                os.close(slave)
        assert proc.returncode == 0, (stdout, terminal_bytes)
        assert len(handler.delivered) == 1
        assert len(handler.delivered[0].content) > 5 * MB  # the whole attachment, in base64
        on_terminal = terminal_bytes.decode("ascii")
        assert "\r[" in on_terminal and "100 %" in on_terminal and " MB / " in on_terminal
        assert screen(on_terminal) == [""]  # cleared at the end
        assert b"\r" not in stdout and b"%" not in stdout and b"[#" not in stdout


def test_smail_without_a_terminal_draws_no_bar(
    tmp_path: Path, server: tuple[ScriptedHandler, int]
) -> None:
    handler, port = server
    name = _attachment(tmp_path, 5 * MB)
    done = subprocess.run(
        [*smail_command(), *_send(tmp_path, port, "-sbig", "-Thello", "-a" + name)],
        cwd=tmp_path,
        env=hermetic_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done
    assert len(handler.delivered) == 1
    assert done.stderr == b"" and b"\r" not in done.stdout and b"%" not in done.stdout


def test_a_small_send_never_imports_the_progress_module(
    tmp_path: Path, server: tuple[ScriptedHandler, int]
) -> None:
    handler, port = server
    name = _attachment(tmp_path, 100_000)
    argv = _send(tmp_path, port, "-sx", "-Tx", "-a" + name)
    code = (
        "import io, sys\n"
        "class Tty(io.StringIO):\n"
        "    def isatty(self): return True\n"
        "sys.stderr = Tty()\n"
        "from pysmail.cli.smail_main import main\n"
        f"rc = main({argv!r}, stdout=io.StringIO(), environ={{'HOME': {str(tmp_path)!r}}},\n"
        f"          cwd=__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "print(rc, 'pysmail.ui.progress' in sys.modules, repr(sys.stderr.getvalue()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.split() == ["0", "False", "''"], done
    assert len(handler.delivered) == 1
