"""Row (e) of bench/run: 100 OAuth sends in a row cost ONE token request, and no time per message.

bench/run imports this module (it is not run on its own). It starts its OWN copy of the real
loopback stack (scripts/stack.py start --dir WORK/stack: Dovecot submission with STARTTLS and
XOAUTH2 checked by introspection at oidc-provider, Postfix, Dovecot LMTP; see
/work/shared/docs/test-stack.md), never the tests' /tmp/pysmail-stack-0, and stops it at the end,
also on failure. Then, in rounds, one process per send:

- pysmail with auth = oauth-xoauth2 and SMAIL's smail_refreshtoken.ini (a fresh refresh token
  from the stack); the first send spends it once, the next ones reuse the cached access token;
- pysmail with AUTH PLAIN (password in a private smail.ini) over the same STARTTLS;
- msmtp with `auth xoauth2` and a `passwordeval` printing an access token (what msmtp users do:
  a helper caches the token), and with `auth plain` and a `passwordeval` printing the password.

Each round runs every client once, so a change of machine load hits every column alike. Every
send is timed on its own (wall time from fork to exit, no shell). The token endpoint's own
counter (tests/stackutil.py Stack.token_request_count) tells how many token requests the 100
pysmail sends made, and the mail is read back over POP3 to prove every send was delivered.
No token, password or secret is ever printed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
STACK_SCRIPT = REPO / "scripts" / "stack.py"
ALICE = "alice@example.test"
BOB = "bob@example.test"


@dataclass
class OAuthRow:
    n: int
    token_requests: int | None = None
    medians: dict[str, float] = field(default_factory=dict)  # client -> median seconds
    first_oauth_send: float | None = None  # pysmail's first OAuth send, with the refresh grant
    delivered: dict[str, int] = field(default_factory=dict)  # mailbox -> messages found
    expected: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def _private(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def _env(home: Path) -> dict[str, str]:
    """A clean environment: no proxy variables, no developer's smail.ini, English messages."""
    return {
        "LANG": "C",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "xdg"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }


def _timed(argv: list[str], cwd: Path, env: dict[str, str], stdin: Path | None) -> float:
    """Wall seconds of one process; raises RuntimeError (with its output) when it fails."""
    with open(stdin or os.devnull, "rb") as inp:
        t0 = time.perf_counter()
        r = subprocess.run(argv, cwd=cwd, env=env, stdin=inp, capture_output=True, timeout=120)
        dt = time.perf_counter() - t0
    if r.returncode:
        out = (r.stdout + r.stderr).decode(errors="replace").strip()[:300]
        raise RuntimeError(f"{Path(argv[0]).name}: exit {r.returncode}: {out}")
    return dt


def start_stack(run: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(STACK_SCRIPT), "start", "--dir", str(run)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if r.returncode:
        raise RuntimeError(f"scripts/stack.py start: {(r.stdout + r.stderr).strip()[-500:]}")


def stop_stack(run: Path) -> None:
    subprocess.run(
        [sys.executable, str(STACK_SCRIPT), "stop", "--dir", str(run)],
        capture_output=True,
        timeout=60,
    )


@contextlib.contextmanager
def own_stack(work: Path, name: str) -> Iterator[tuple[Any, Path, dict[str, str]]]:
    """Its own copy of the real stack in WORK/stack, stopped at the end (also on failure); with
    the tests' client view of it (tests/stackutil.py Stack), a private folder WORK/NAME for the
    clients' files and a clean environment for them."""
    sys.path.insert(0, str(REPO / "tests"))
    from stackutil import Stack  # stdlib only

    os.chmod(work, 0o755)  # Dovecot and Postfix drop privileges and must enter WORK/stack
    run = work / "stack"
    folder = work / name
    folder.mkdir(mode=0o700)
    try:
        start_stack(run)
        yield Stack.load(run), folder, _env(folder)
    finally:
        stop_stack(run)


def measure(work: Path, smail: str, body: Path, n: int = 100, peer: bool = True) -> OAuthRow:
    """Start the stack in WORK/stack, time n rounds of sends, stop the stack (always)."""
    row = OAuthRow(n=n)
    try:
        with own_stack(work, "oauth") as (stack, folder, env):
            server = f"server = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
            server += f"cafile = {stack.cafile}\n"
            (folder / "o").mkdir()
            (folder / "p").mkdir()
            oauth_ini = _private(
                folder / "o" / "smail.ini",
                f"[smail]\n{server}auth = oauth-xoauth2\nfrom = {ALICE}\n",
            )
            pw_ini = _private(
                folder / "p" / "smail.ini",
                f"[smail]\n{server}auth = plain\nuser = {ALICE}\n"
                f"password = {stack.users[ALICE]}\nfrom = {ALICE}\n",
            )
            msg = ["-sS", f"-F{body}"]
            clients: dict[str, tuple[list[str], Path | None]] = {  # name -> (argv, stdin)
                "pysmail OAuth": ([smail, "--config", str(oauth_ini), *msg, ALICE], None),
                "pysmail password": ([smail, "--config", str(pw_ini), *msg, BOB], None),
            }
            if peer and shutil.which("msmtp"):
                # msmtp's token: issued before the pysmail token file, whose writing resets the
                # token counter, so the count below is pysmail's alone.
                token = stack.issue_tokens(ALICE)["access_token"]
                eml = folder / "msg.eml"
                # pysmail's finished message (msmtp has no MIME writer)
                with open(eml, "wb") as out:
                    subprocess.run(
                        [*clients["pysmail password"][0], "--dry-run"],
                        cwd=folder,
                        env=env,
                        stdout=out,
                        check=True,
                    )
                _private(folder / "m-token", token + "\n")
                _private(folder / "m-pw", stack.users[ALICE] + "\n")
                msmtp = [
                    "msmtp", "-C", "/dev/null",
                    f"--host={stack.host}", f"--port={stack.submission}",
                    "--tls=on", "--tls-starttls=on", f"--tls-trust-file={stack.cafile}",
                    f"--user={ALICE}", f"--from={ALICE}",
                ]  # fmt: skip
                clients["msmtp OAuth"] = (
                    [*msmtp, "--auth=xoauth2", f"--passwordeval=cat {folder / 'm-token'}", BOB],
                    eml,
                )
                clients["msmtp password"] = (
                    [*msmtp, "--auth=plain", f"--passwordeval=cat {folder / 'm-pw'}", BOB],
                    eml,
                )
            stack.write_token_file(folder / "o", ALICE)  # a fresh refresh token; counter reset
            times: dict[str, list[float]] = {name: [] for name in clients}
            for _ in range(n):
                for name, (argv, stdin) in clients.items():
                    times[name].append(_timed(argv, folder, env, stdin))
            row.token_requests = stack.token_request_count()
            row.medians = {name: statistics.median(t) for name, t in times.items()}
            row.first_oauth_send = times["pysmail OAuth"][0]
            row.expected = {ALICE: n, BOB: n * (len(clients) - 1)}
            for user, count in row.expected.items():
                row.delivered[user] = len(stack.fetch(user, expect=count, timeout=60))
    except (RuntimeError, OSError, AssertionError, subprocess.SubprocessError) as exc:
        row.error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return row
