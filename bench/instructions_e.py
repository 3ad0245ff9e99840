#!/usr/bin/env python3
"""Row (e) in instructions: one real send to Dovecot counted by valgrind, for one or more
pysmail installations (before/after), and the Python floor (bench/floor_e.py).

    bench/instructions_e.py --smail A/bin/smail [--smail B/bin/smail ...] [--rounds 2]

The machine is shared: wall time is noise there, instruction counts are not (valgrind's
cachegrind with `--cache-sim=no`, repeatable to about 0.1 %). Starts its own copy of the real
loopback stack (as bench/oauth_row.py does; stopped at the end, also on failure) and counts,
per installation, in turns (round after round, so every installation meets the same stack):

- the password send: STARTTLS verified with `cafile`, AUTH PLAIN, the 1 KB body file;
- the OAuth send from a cached access token (XOAUTH2; a first, uncounted send refreshes);
- the modules that password send loads (`sys.modules` at the end of `main`);

and the floor's send of the same finished message and `python -c pass` once a round. Prints a
Markdown table of the medians (millions of instructions). No password is printed or in argv.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from oauth_row import ALICE, BOB, _private, own_stack  # noqa: E402

REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    """The instructions one process executes (valgrind cachegrind, no cache simulation)."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    r = subprocess.run([*cmd, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    found = REFS.search(r.stderr)
    if r.returncode or not found:
        raise RuntimeError(f"{Path(argv[0]).name}: exit {r.returncode}: {r.stderr[-300:]!r}")
    return int(found[1].replace(",", ""))


def modules(python: str, args: list[str], cwd: Path, env: dict[str, str]) -> int:
    probe = (
        "import sys\nfrom pysmail.cli.smail_main import main\n"
        f"assert main({args!r}) == 0\nprint(len(sys.modules))"
    )
    r = subprocess.run([python, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"module probe: {r.stderr[-300:]!r}")
    return int(r.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smail", action="append", required=True, help="a smail console script")
    ap.add_argument("--rounds", type=int, default=2)
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pysmail-instructions-"))
    try:
        with own_stack(work, "e") as (stack, folder, env):
            measure(stack, folder, env, [str(Path(s).absolute()) for s in opts.smail], opts.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # its smail.ini holds the stack's test password


def measure(stack: Any, folder: Path, env: dict[str, str], smails: list[str], rounds: int) -> None:
    pw = stack.users[ALICE]
    _private(folder / "pw", pw + "\n")
    server = (
        f"server = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nfrom = {ALICE}\n"
    )
    (folder / "p").mkdir()
    (folder / "o").mkdir()
    pw_ini = _private(
        folder / "p" / "smail.ini",
        f"[smail]\n{server}auth = plain\nuser = {ALICE}\npassword = {pw}\n",
    )
    oauth_ini = _private(folder / "o" / "smail.ini", f"[smail]\n{server}auth = oauth-xoauth2\n")
    stack.write_token_file(folder / "o", ALICE)
    body = folder / "body.txt"
    body.write_text(("The quick brown fox jumps over the lazy dog. " * 22)[:1000] + "\n")
    eml = folder / "msg.eml"
    password_args = ["--config", str(pw_ini), "-sS", f"-F{body}", BOB]
    oauth_args = ["--config", str(oauth_ini), "-sS", f"-F{body}", BOB]
    with open(eml, "wb") as out:
        subprocess.run(
            [smails[0], *password_args, "--dry-run"], cwd=folder, env=env, stdout=out, check=True
        )
    python = str(Path(smails[0]).with_name("python"))
    floor = [python, str(BENCH / "floor_e.py"), stack.host, str(stack.submission), stack.cafile,
             ALICE, str(folder / "pw"), ALICE, BOB, str(eml)]  # fmt: skip
    for smail in smails:  # the refresh grant, once: the counted OAuth sends use the cache
        subprocess.run([smail, *oauth_args], cwd=folder, env=env, check=True, capture_output=True)
    counts: dict[str, dict[str, list[int]]] = {s: {"password": [], "oauth": []} for s in smails}
    base: dict[str, list[int]] = {"floor": [], "pass": []}
    for _ in range(rounds):
        for smail in smails:
            counts[smail]["password"].append(instructions([smail, *password_args], folder, env))
            counts[smail]["oauth"].append(instructions([smail, *oauth_args], folder, env))
        base["floor"].append(instructions(floor, folder, env))
        base["pass"].append(instructions([python, "-c", "pass"], folder, env))
    mods = {
        s: modules(str(Path(s).with_name("python")), password_args, folder, env) for s in smails
    }

    def m(values: list[int]) -> str:
        return f"{statistics.median(values) / 1e6:.1f} M"

    floor_m = statistics.median(base["floor"])
    print("| one send, one process | " + " | ".join(smails) + " |")
    print("|---" * (len(smails) + 1) + "|")
    print(
        "| password (AUTH PLAIN) | " + " | ".join(m(counts[s]["password"]) for s in smails) + " |"
    )
    print(
        "| OAuth, cached token (XOAUTH2) | "
        + " | ".join(m(counts[s]["oauth"]) for s in smails)
        + " |"
    )
    print("| modules loaded (password send) | " + " | ".join(str(mods[s]) for s in smails) + " |")
    ratios = [statistics.median(counts[s]["password"]) / floor_m for s in smails]
    print("| password send / floor | " + " | ".join(f"{r:.2f}x" for r in ratios) + " |")
    print(f"\nPython floor (floor_e.py): {m(base['floor'])}; `python -c pass`: {m(base['pass'])}")
    print("all counts:", {s: counts[s] for s in smails}, base)


if __name__ == "__main__":
    main()
