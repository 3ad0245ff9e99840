"""Where the microseconds of a bulk send go: bench/run's last section.

cProfile of one run of a command (`smail --batch`, `smail --flush`), its own time grouped by
layer of pysmail (C functions charged to the layer that called them, socket and file calls
apart), scaled to the CPU time (user + sys) of the same command run unprofiled, and divided by
the number of messages. cProfile's clock is the wall clock: its `recv` line includes the wait
for the server, so the scaled figures are shares, not exact costs.

    python budget.py PYTHON MESSAGES -- COMMAND...      # prints the Markdown table
"""

from __future__ import annotations

import pstats
import resource
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

# (substring of the file name, layer), first match wins
LAYERS = (
    ("importlib", "start-up (imports)"),
    ("batch/rows", "planning: the CSV rows"),
    ("batch/plan", "planning: rows to messages"),
    ("mime/", "composing (MessageTemplate, header fields, parts)"),
    ("delivery/scheduler", "scheduler (deliver loop, idle hook, results)"),
    ("batch/run", "scheduler (deliver loop, idle hook, results)"),
    ("batch/report", "report and progress"),
    ("ui/", "report and progress"),
    ("smtp/protocol", "SMTP transactions (protocol.py)"),
    ("smtp/connection", "SMTP pump (connection.py)"),
    ("smtp/replies", "reply framing (replies.py, wire.py)"),
    ("smtp/wire", "reply framing (replies.py, wire.py)"),
    ("net/", "transport buffers, deadlines"),
    ("outbox/", "outbox files (listing, headers, state)"),
    ("app/flush", "outbox files (listing, headers, state)"),
    ("fs/", "outbox files (listing, headers, state)"),
    ("pathlib", "outbox files (listing, headers, state)"),
    ("json", "outbox files (listing, headers, state)"),
)
# C functions counted apart (name substring -> line)
CALLS = (
    ("sendall", "system: send"),
    ("recv", "system: receive (and the wait for the server)"),
    ("settimeout", "system: settimeout"),
    ("urandom", "system: getrandom"),
    ("unlink", "system: unlink"),
    ("io.open", "system: open"),
)


def _layer(key: tuple[str, int, str]) -> str:
    return next((name for part, name in LAYERS if part in key[0]), "other")


def grouped(prof: Path) -> tuple[Counter[str], Counter[str]]:
    """Own time and calls per layer."""
    stats = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    times: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    for key, (_cc, ncalls, own, _cum, callers) in stats.items():
        name = next((line for part, line in CALLS if key[0] == "~" and part in key[2]), None)
        if name is not None:
            times[name] += own
            calls[name] += ncalls
        elif key[0] == "~":  # a C function: to its callers' layers, by their calls
            for caller, counts in callers.items():
                times[_layer(caller)] += own * counts[1] / max(ncalls, 1)
        else:
            times[_layer(key)] += own
            calls[_layer(key)] += ncalls
    return times, calls


def cpu_of(argv: list[str], cwd: Path, before: Callable[[], None] | None = None) -> float:
    """User + sys seconds of one run of argv."""
    if before is not None:
        before()
    start = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)


def budget(
    py: str,
    argv: list[str],
    n: int,
    cwd: Path,
    before: Callable[[], None] | None = None,
    runs: int = 3,
) -> list[str]:
    """The Markdown table: layer, us per message, calls per message."""
    cpus = sorted(cpu_of(argv, cwd, before) for _ in range(runs))
    cpu = cpus[len(cpus) // 2]
    with tempfile.TemporaryDirectory() as tmp:
        prof = Path(tmp) / "run.prof"
        if before is not None:
            before()
        subprocess.run(
            [py, "-m", "cProfile", "-o", str(prof), *argv],
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times, calls = grouped(prof)
    scale = cpu / sum(times.values())
    out = [
        f"CPU (user + sys, median of {runs} unprofiled runs): {cpu * 1e6 / n:.1f} us per message"
        f" ({cpu:.2f} s for {n:,}, process start included).",
        "",
        "| where | us per message | calls per message |",
        "|---|---|---|",
    ]
    for name, own in times.most_common():
        if own * scale * 1e6 / n >= 0.05:
            out.append(f"| {name} | {own * scale * 1e6 / n:.1f} | {calls[name] / n:.1f} |")
    return out


if __name__ == "__main__":
    cut = sys.argv.index("--")
    print("\n".join(budget(sys.argv[1], sys.argv[cut + 1 :], int(sys.argv[2]), Path.cwd())))
