#!/usr/bin/env python3
"""Row (e) taken apart: where one STARTTLS + AUTH PLAIN send to the real Dovecot spends its time,
for pysmail, msmtp and the Python floor (bench/floor_e.py), on the same stack and message.

    sudo bench/breakdown_e.py [--runs 20] [--smail bench/.venv/bin/smail]

Starts its own copy of the real loopback stack (as bench/oauth_row.py does; stopped at the end,
also on failure). Each client sends the same finished 1 KB message with AUTH PLAIN over
STARTTLS, one process per send, the clients in turns (so load hits all alike), each send under
`strace -f -ttt -T` limited to the socket and exit calls. The timeline of the socket is cut into:

- start: exec to connect() (interpreter, imports, settings; a native client's start-up),
  taken from an untraced run (its wall time minus the traced rest);
- greeting: connect() to the server's 220 read;
- EHLO, STARTTLS: the two clear-text round trips;
- TLS: the handshake's round trip, own (from the STARTTLS reply to the ClientHello: the TLS
  context when a client makes it there) and wait (the server's flight);
- then every round trip of the encrypted dialogue (round trip 4 starts with the client's
  Finished and EHLO; then AUTH, the transaction, QUIT, as each client groups them), each split
  into the client's own time before it writes and the wait for the server's answer;
- exit: the last socket call to exit_group.

And, in fresh processes: `python -c pass`, the modules pysmail's send loads imported alone,
the TLS context with the system CA store
(`ssl.create_default_context()`), with a cafile, and pysmail's (net/tls.py: the hashed system
folder looked up lazily). strace slows every traced call a little, for every client alike.
Prints a Markdown table of medians (ms). No password is printed or passed in argv.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from oauth_row import ALICE, BOB, _private, own_stack  # noqa: E402

LINE = re.compile(r"^(\d+)\s+(\d+\.\d+) (\w+)\((\d+)?(.*?)(?: <(\d+\.\d+)>)?$")
OUT = ("write", "writev", "send", "sendto", "sendmsg")
IN = ("read", "readv", "recv", "recvfrom", "recvmsg")
CALLS = ",".join(("execve", "connect", "exit_group", *OUT, *IN))


def timeline(trace: Path) -> dict[str, object]:
    """The phases of one send from its strace file (see the module docstring)."""
    events: list[tuple[float, str, str]] = []  # (time, call, rest) on the socket
    start = end = sock = None
    for raw in trace.read_text(errors="replace").splitlines():
        m = LINE.match(raw)
        if not m:
            continue
        pid, t, call, fd, rest = m[1], float(m[2]), m[3], m[4], m[5]
        if call in IN:  # a read counts when it returns (strace stamps the call's start)
            t += float(m[6] or 0)
        if call == "execve" and start is None:
            start = t
        elif call == "exit_group" and sock is not None and pid == sock[0]:
            end = t  # the sending process's own exit (msmtp's passwordeval is a child)
        elif call == "connect" and "htons(" in rest and sock is None:
            sock = (pid, fd)
            events.append((t, "connect", rest))
        elif (pid, fd) == sock and (call in OUT or call in IN):
            events.append((t, "out" if call in OUT else "in", rest))
    assert start is not None and end is not None and events, trace
    # round trips: a run of writes, then a run of reads
    trips: list[tuple[float, float, float]] = []  # (first write, last write, last read)
    for t, kind, _rest in events[1:]:
        if kind == "out":
            if not trips or trips[-1][2] > 0:
                trips.append((t, t, 0.0))
            else:
                trips[-1] = (trips[-1][0], t, 0.0)
        elif trips:
            trips[-1] = (trips[-1][0], trips[-1][1], t)
    greeting = next(t for t, kind, _ in events if kind == "in")
    connect = events[0][0]
    phases = {"start": connect - start, "greeting": greeting - connect}
    prev = greeting
    # trips[0] EHLO, [1] STARTTLS, [2] ClientHello -> server flight, [3] Finished (+ EHLO) ...
    names = ["EHLO", "STARTTLS"]
    for i, (first, _last, done) in enumerate(trips):
        name = names[i] if i < len(names) else ("TLS" if i == 2 else f"round trip {i + 1}")
        phases[f"{name} own"] = first - prev
        phases[f"{name} wait"] = (done or first) - first
        prev = done or first
    phases["exit"] = end - events[-1][0]
    phases["own, connect to exit"] = sum(v for k, v in phases.items() if k.endswith(" own"))
    waits = [v for k, v in phases.items() if k.endswith(" wait")]
    phases["waiting for the server"] = phases["greeting"] + sum(waits)
    phases["total"] = end - start
    phases["trips"] = len(trips)
    return phases


def run_traced(
    argv: list[str], trace: Path, cwd: Path, env: dict[str, str], stdin: Path | None
) -> dict[str, object]:
    """The send's timeline from a traced run, and the wall time of an untraced one (strace
    stops the process at every traced call, file reads included, so the start-up is taken as
    the untraced wall time minus the traced rest)."""
    cmd = ["strace", "-f", "-ttt", "-T", "-qq", "-o", str(trace), "-e", f"trace={CALLS}", *argv]
    with open(stdin or os.devnull, "rb") as inp:
        t0 = time.perf_counter()
        r = subprocess.run(argv, cwd=cwd, env=env, stdin=inp, capture_output=True, timeout=120)
        wall = time.perf_counter() - t0
    with open(stdin or os.devnull, "rb") as inp:
        t = subprocess.run(cmd, cwd=cwd, env=env, stdin=inp, capture_output=True, timeout=120)
    for done in (r, t):
        if done.returncode:
            err = done.stderr[-300:]
            raise RuntimeError(f"{Path(argv[0]).name}: exit {done.returncode}: {err!r}")
    phases = timeline(trace)
    rest = float(phases["total"]) - float(phases["start"])  # type: ignore[arg-type]
    phases["start"] = wall - rest
    phases["total"] = wall
    return phases


def fresh(python: str, code: str | None, runs: int, env: dict[str, str]) -> float:
    """Median ms in `runs` fresh processes: of `code`'s own timing (it prints seconds), or of
    the whole process for None (`python -c pass`)."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run([python, "-c", code or "pass"], capture_output=True, text=True, env=env)
        whole = time.perf_counter() - t0
        out.append((float(r.stdout) if code else whole) * 1000)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--smail", default=str(BENCH / ".venv" / "bin" / "smail"))
    opts = ap.parse_args()
    smail = str(Path(opts.smail).absolute())
    python = str(Path(smail).with_name("python"))
    work = Path(tempfile.mkdtemp(prefix="pysmail-breakdown-"))
    try:
        with own_stack(work, "e") as (stack, folder, env):
            measure(stack, folder, env, smail, python, opts.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # its smail.ini holds the stack's test password


def measure(
    stack: Any, folder: Path, env: dict[str, str], smail: str, python: str, runs: int
) -> None:
    """Time the three clients and the fresh processes; print the two tables."""
    pw = stack.users[ALICE]
    _private(folder / "pw", pw + "\n")
    ini = _private(
        folder / "smail.ini",
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = plain\nuser = {ALICE}\npassword = {pw}\n"
        f"from = {ALICE}\n",
    )
    body = folder / "body.txt"
    body.write_text(("The quick brown fox jumps over the lazy dog. " * 22)[:1000] + "\n")
    eml = folder / "msg.eml"
    with open(eml, "wb") as out:
        argv = [smail, "--config", str(ini), "-sS", f"-F{body}", BOB, "--dry-run"]
        subprocess.run(argv, cwd=folder, env=env, stdout=out, check=True)
    host, port, ca = stack.host, str(stack.submission), str(stack.cafile)
    clients = {
        "pysmail": [smail, "--config", str(ini), "-sS", f"-F{body}", BOB],
        "msmtp": ["msmtp", "-C", "/dev/null", f"--host={host}", f"--port={port}",
                  "--tls=on", "--tls-starttls=on", f"--tls-trust-file={ca}",
                  f"--user={ALICE}", f"--from={ALICE}", "--auth=plain",
                  f"--passwordeval=cat {folder / 'pw'}", BOB],
        "Python floor": [python, str(BENCH / "floor_e.py"), host, port, ca, ALICE,
                         str(folder / "pw"), ALICE, BOB, str(eml)],
    }  # fmt: skip
    results: dict[str, list[dict[str, object]]] = {name: [] for name in clients}
    for i in range(runs + 1):
        for name, argv in clients.items():
            trace = folder / f"{name.replace(' ', '_')}.trace"
            stdin = eml if name == "msmtp" else None  # msmtp reads the finished message
            phases = run_traced(argv, trace, folder, env, stdin)
            if i:  # the first round warms the caches
                results[name].append(phases)
    report(results)
    print()
    timed = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
    ctx = timed.format("import ssl; ssl.create_default_context({})")
    lazy = timed.format("from pysmail.net.tls import make_tls_context as m; m({}, True)")
    n = max(runs, 10)
    # the modules one pysmail send loads, imported alone (what start-up spends on imports)
    probe = (
        "import sys\nfrom pysmail.cli.smail_main import main\n"
        f"main({clients['pysmail'][1:]!r})\nprint(' '.join(sorted(sys.modules)))"
    )
    loaded = subprocess.run(
        [python, "-c", probe], cwd=folder, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    bare = [python, "-c", "import sys; print(*sys.modules)"]
    here = set(subprocess.run(bare, env=env, capture_output=True, text=True).stdout.split())
    mods = ", ".join(m for m in loaded if m not in here and not m.startswith("__"))
    rows = {
        "`python -c pass` (whole process, ms)": None,
        f"pysmail's imports of this send ({len(loaded)} modules)": timed.format(f"import {mods}"),
        "`import ssl` + `create_default_context()` (system CA store)": ctx.format(""),
        "`import ssl` + `create_default_context(cafile=...)`": ctx.format(f"cafile={ca!r}"),
        "pysmail's TLS context, system store (net/tls.py: looked up lazily)": lazy.format("None"),
        "pysmail's TLS context with the cafile": lazy.format(repr(ca)),
    }
    print("| in a fresh process | median ms |\n|---|---|")
    for label, code in rows.items():
        print(f"| {label} | {fresh(python, code, n, env):.1f} |")


def report(results: dict[str, list[dict[str, object]]]) -> None:
    names = list(results)
    longest = max((runs[0] for runs in results.values()), key=lambda p: int(p["trips"]))  # type: ignore[call-overload]
    last = ["exit", "own, connect to exit", "waiting for the server", "total"]
    keys = [k for k in longest if k not in (*last, "trips")] + last
    print("| phase (median ms) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for k in keys:
        cells = []
        for name in names:
            vals = [float(r[k]) * 1000 for r in results[name] if k in r]  # type: ignore[arg-type]
            cells.append(f"{statistics.median(vals):.1f}" if vals else "")
        print(f"| {k} | " + " | ".join(cells) + " |")
    trips = [str(statistics.median(int(r["trips"]) for r in results[n])) for n in names]  # type: ignore[call-overload]
    print("| round trips on the socket | " + " | ".join(trips) + " |")


if __name__ == "__main__":
    main()
