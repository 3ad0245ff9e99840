"""smail-sendmail driven as sendmail is: by real callers (s-nail as mailx, git send-email), and by
hand with -t, -i, -f/-F, -odq, -bp and -q; every exit code checked (sysexits.h), the mail read
back over POP3 from the stack's Dovecot. The settings are a smail.ini in the user's settings
folder, as an installed /usr/sbin/sendmail would find them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    Result,
    assert_not_delivered,
    fetch_marked,
    fetch_one,
    forbidden,
    free_port,
    hermetic_env,
    marker,
    printing,
    raw_header,
    text_of,
    write_ini,
)
from stackutil import Stack

pytestmark = pytest.mark.stack

CAROL = "carol@example.test"
REJECTED = "rejected@example.test"  # the stack's Postfix refuses it at RCPT (550 5.1.1)
EX_USAGE, EX_NOUSER, EX_CONFIG = 64, 67, 78


def sendmail_exe() -> str:
    folder = Path(sys.executable).parent
    for name in ("smail-sendmail", "smail-sendmail.exe"):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which("smail-sendmail")
    assert found, "the `smail-sendmail` command is not installed (pip install -e .)"
    return found


def user_ini(folder: Path, keys: str, sections: str = "") -> Path:
    """smail.ini in the user's settings folder (as an installed /usr/sbin/sendmail finds it),
    with the outbox in `folder`; returns the outbox folder."""
    spool = folder / "outbox"
    settings = folder / "xdg" / "pysmail"
    settings.mkdir(parents=True, exist_ok=True)
    write_ini(settings, f"[smail]\n{keys}outbox_dir = {spool}\n{sections}")
    return spool


def relay_ini(stack: Stack, folder: Path, *, port: int | None = None, sections: str = "") -> Path:
    """The stack's Postfix relay (no AUTH), alice as the sender."""
    port = port or stack.relay
    keys = f"server = {stack.relay_host}\nport = {port}\ntls = none\nfrom = {ALICE}\n"
    return user_ini(folder, keys + f"cafile = {stack.cafile}\n", sections)


def submission_ini(stack: Stack, folder: Path) -> Path:
    """Dovecot's submission port: STARTTLS, AUTH with alice's password from a command."""
    keys = (
        f"server = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {ALICE}\n"
        f"password_command = {printing(stack.users[ALICE])}\n"
    )
    return user_ini(folder, keys)


def sendmail(argv: list[str], message: bytes, folder: Path) -> Result:
    done = subprocess.run(
        [sendmail_exe(), *argv],
        input=message,
        cwd=folder,
        env=hermetic_env(folder),
        capture_output=True,
        timeout=60,
        check=False,
    )
    err = done.stderr.decode("utf-8", "backslashreplace")
    assert "Traceback" not in err, err
    return Result(done.returncode, done.stdout.decode("utf-8", "backslashreplace"), err)


def queued(spool: Path, sub: str = "") -> list[Path]:
    return sorted((spool / sub).glob("*.msg")) if (spool / sub).is_dir() else []


# -- real callers -------------------------------------------------------------------------------


def test_s_nail_sends_through_it_with_cc_and_bcc(stack: Stack, tmp_path: Path) -> None:
    """mailx as most systems have it: s-nail with `mta` pointing at smail-sendmail (s-nail
    14.9 calls the variable `mta`; `sendmail` is its old name). It passes `-i -- rcpts`."""
    snail = shutil.which("s-nail")
    assert snail, "s-nail is a test dependency (scripts/install-test-deps.sh)"
    spool = submission_ini(stack, tmp_path)
    mark = marker("snail")
    env = {**hermetic_env(tmp_path), "LC_ALL": "C.UTF-8"}
    argv = [snail, "-:/", "-S", f"mta={sendmail_exe()}", "-S", f"from=Alice <{ALICE}>",
            "-S", "ttycharset=utf-8", "-s", f"{mark} 日本語",
            "-c", CAROL, "-b", ALICE, BOB]  # fmt: skip
    done = subprocess.run(argv, input="本文です\n.\nafter a lone dot\n".encode(), env=env,
                          cwd=tmp_path, capture_output=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    for user in (BOB, CAROL, ALICE):
        msg = fetch_one(stack, user, mark)
        assert str(msg["Subject"]) == f"{mark} 日本語"
        assert text_of(msg) == "本文です\n.\nafter a lone dot\n"  # s-nail passes -i
        assert "Bcc" not in msg and msg["Cc"] == CAROL
        assert raw_header(msg, "Return-Path") == f"<{ALICE}>"
    assert not queued(spool)


def test_s_nail_learns_of_a_refused_recipient(stack: Stack, tmp_path: Path) -> None:
    snail = shutil.which("s-nail")
    assert snail, "s-nail is a test dependency (scripts/install-test-deps.sh)"
    spool = relay_ini(stack, tmp_path)
    env = hermetic_env(tmp_path)
    argv = [snail, "-:/", "-S", f"mta={sendmail_exe()}", "-S", "nosave", "-s", "refused", REJECTED]
    done = subprocess.run(argv, input=b"x\n", env=env, cwd=tmp_path, capture_output=True,
                          timeout=60, check=False)  # fmt: skip
    err = done.stderr.decode()
    assert done.returncode != 0, err
    assert "smail-sendmail: ERR-0011:" in err and "550 5.1.1" in err, err
    assert len(queued(spool, "failed")) == 1


def test_git_send_email_sends_a_real_patch(stack: Stack, tmp_path: Path) -> None:
    """Debian's git-email with --sendmail-cmd: a patch made in a throwaway repository arrives
    byte for byte (its diff lines, a line holding "." included: git passes -i)."""
    git = shutil.which("git")
    assert git, "git is a test dependency"
    spool = relay_ini(stack, tmp_path)
    env = {**hermetic_env(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    repo = tmp_path / "repo"
    repo.mkdir()

    def run_git(*args: str) -> str:
        done = subprocess.run([git, *args], cwd=repo, env=env, capture_output=True, timeout=60,
                              check=False)  # fmt: skip
        assert done.returncode == 0, (args, done.stdout.decode(), done.stderr.decode())
        return done.stdout.decode()

    mark = marker("patch")
    run_git("init", "-q")
    run_git("config", "user.name", "Alice Example")
    run_git("config", "user.email", ALICE)
    (repo / "notes.txt").write_text("first\n", encoding="utf-8")
    run_git("add", "notes.txt")
    run_git("commit", "-qm", "start")
    (repo / "notes.txt").write_text("first\n.\nsecond line\n", encoding="utf-8")
    run_git("commit", "-qam", f"notes: {mark}")
    patch = run_git("format-patch", "-1", "-o", str(tmp_path / "patches")).strip()
    sent = run_git("send-email", f"--sendmail-cmd={sendmail_exe()}", f"--to={BOB}",
                   f"--cc={CAROL}", "--confirm=never", "--suppress-cc=all", patch)  # fmt: skip
    assert "Result: OK" in sent, sent
    for user in (BOB, CAROL):
        msg = fetch_one(stack, user, mark)
        assert str(msg["Subject"]) == f"[PATCH] notes: {mark}"
        assert str(msg["From"]) == f"Alice Example <{ALICE}>"
        body = text_of(msg)
        assert "-first\n" not in body and "+.\n+second line\n" in body, body
    assert not queued(spool)


# -- -t, -i, -f, -F ------------------------------------------------------------------------------


def test_t_sends_to_to_cc_and_bcc_and_removes_bcc(stack: Stack, tmp_path: Path) -> None:
    relay_ini(stack, tmp_path)
    mark = marker("dash-t")
    message = (
        f"To: Bob <{BOB}>\nCc: {CAROL}\nBcc: Alice <{ALICE}>\nSubject: {mark}\n\nhello\n"
    ).encode()
    result = sendmail(["-t", "-i"], message, tmp_path)
    assert (result.code, result.out, result.err) == (0, "", "")
    for user in (BOB, CAROL, ALICE):
        msg = fetch_one(stack, user, mark)
        assert "Bcc" not in msg and ALICE not in str(msg.get("To", "")) + str(msg["Cc"])
        assert msg["Date"] and msg["Message-ID"] and str(msg["From"]) == ALICE  # added


def test_t_adds_the_command_line_and_f_and_big_f_make_the_from(
    stack: Stack, tmp_path: Path
) -> None:
    relay_ini(stack, tmp_path)
    mark = marker("t-plus")
    message = f"To: {BOB}\nSubject: {mark}\n\nhello\n".encode()
    result = sendmail(["-t", "-F", "Carol Sender", "-f", CAROL, CAROL], message, tmp_path)
    assert result.code == 0, result.err
    for user in (BOB, CAROL):
        msg = fetch_one(stack, user, mark)
        assert str(msg["From"]) == f"Carol Sender <{CAROL}>"
        assert raw_header(msg, "Return-Path") == f"<{CAROL}>"
        assert str(msg["Message-ID"]).endswith("@example.test>")


def test_a_lone_dot_ends_the_message_unless_i(stack: Stack, tmp_path: Path) -> None:
    relay_ini(stack, tmp_path)
    marks = marker("dot"), marker("dot-i")
    for mark, argv in zip(marks, (["bob@example.test"], ["-oi", BOB]), strict=True):
        message = f"Subject: {mark}\n\nbefore\n.\nafter\n".encode()
        assert sendmail(argv, message, tmp_path).code == 0
    assert text_of(fetch_one(stack, BOB, marks[0])) == "before\n"
    assert text_of(fetch_one(stack, BOB, marks[1])) == "before\n.\nafter\n"


def test_a_body_without_header_is_sent_as_body(stack: Stack, tmp_path: Path) -> None:
    """... and the From added bears the name smail.ini's `from` gives."""
    mark = marker("bare")
    user_ini(tmp_path, f"server = {stack.relay_host}\nport = {stack.relay}\ntls = none\n"
             f"from = Alice Example <{ALICE}>\n")  # fmt: skip
    assert sendmail([BOB], f"{mark} is the first line\nsecond\n".encode(), tmp_path).code == 0
    raw = b"".join(m for m in stack.fetch(BOB, expect=1, timeout=20) if mark.encode() in m)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert body == f"{mark} is the first line\r\nsecond\r\n".encode()
    assert b"\r\nFrom: Alice Example <alice@example.test>\r\n" in head and b"\r\nDate: " in head


# -- exit codes ----------------------------------------------------------------------------------


def test_usage_errors_are_ex_usage_and_send_nothing(stack: Stack, tmp_path: Path) -> None:
    spool = relay_ini(stack, tmp_path)
    for argv, start in (
        (["-k", BOB], 'smail-sendmail: ERR-0017:Option specification error. / Unknown option "-k"'),
        (["-bd"], "smail-sendmail: ERR-0017:"),
        (["-bs"], "smail-sendmail: ERR-0017:"),
        (["-q30m"], "smail-sendmail: ERR-0017:"),
        ([], "smail-sendmail: ERR-0001:"),  # no recipient
        (["-t"], "smail-sendmail: ERR-0001:"),  # none in the headers either
        (["root"], "smail-sendmail: ERR-0001:"),  # no domain: cron's MAILTO must be an address
    ):
        result = sendmail(argv, b"Subject: nothing\n\nx\n", tmp_path)
        assert result.code == EX_USAGE, (argv, result)
        assert result.err.startswith(start) and result.err.count("\n") == 1, (argv, result.err)
        assert result.out == ""
    assert not queued(spool)


def test_no_server_is_ex_config(tmp_path: Path) -> None:
    user_ini(tmp_path, f"from = {ALICE}\n")
    result = sendmail([BOB], b"Subject: x\n\nx\n", tmp_path)
    assert result.code == EX_CONFIG and result.err.startswith("smail-sendmail: ERR-0012:")


def test_unreachable_server_queues_and_q_sends_later(stack: Stack, tmp_path: Path) -> None:
    """A temporary failure loses nothing: the message stays in the outbox, the exit code is 0
    (as sendmail's once a message is queued), -bp lists it and -q sends it."""
    spool = relay_ini(stack, tmp_path, port=free_port())  # nothing listens there
    mark = marker("later")
    result = sendmail(["-i", BOB], f"Subject: {mark}\n\nlater\n".encode(), tmp_path)
    assert result.code == 0, result.err
    [kept] = queued(spool)
    assert result.err.startswith("smail-sendmail: Not sent yet") and str(kept.stem) in result.err
    assert "smail-sendmail -q" in result.err and result.err.count("\n") == 1
    listing = sendmail(["-bp"], b"", tmp_path)
    assert listing.code == 0 and kept.stem in listing.out and BOB in listing.out
    still_down = sendmail(["-q"], b"", tmp_path)  # not due yet: nothing tried, nothing lost
    assert still_down.code in (0, 75) and queued(spool) == [kept]
    relay_ini(stack, tmp_path)  # the server is back
    for state in spool.glob("*.state"):
        state.unlink()  # due now instead of after the backoff
    flushed = sendmail(["-q"], b"", tmp_path)
    assert flushed.code == 0, flushed
    assert text_of(fetch_one(stack, BOB, mark)) == "later\n"
    assert not queued(spool)


def test_odq_queues_without_trying(stack: Stack, tmp_path: Path) -> None:
    spool = relay_ini(stack, tmp_path)
    mark = marker("odq")
    result = sendmail(["-odq", BOB], f"Subject: {mark}\n\nqueued\n".encode(), tmp_path)
    assert (result.code, result.err) == (0, "")
    assert len(queued(spool)) == 1
    assert_not_delivered(stack, [BOB], [mark])
    assert sendmail(["-q"], b"", tmp_path).code == 0
    fetch_one(stack, BOB, mark)


def test_a_refused_recipient_is_ex_nouser_and_the_message_kept(
    stack: Stack, tmp_path: Path
) -> None:
    spool = relay_ini(stack, tmp_path)
    mark = marker("refused")
    result = sendmail(["-i", BOB, REJECTED], f"Subject: {mark}\n\nx\n".encode(), tmp_path)
    assert result.code == EX_NOUSER, result
    assert result.err.startswith("smail-sendmail: ERR-0011:") and result.err.count("\n") == 1
    assert "550 5.1.1" in result.err and REJECTED in result.err
    [failed] = queued(spool, "failed")
    assert str(failed) in result.err and not queued(spool)
    assert_not_delivered(stack, [BOB], [mark])  # all or nothing: Bob got nothing either


def test_japanese_messages(stack: Stack, tmp_path: Path) -> None:
    relay_ini(stack, tmp_path)
    result = sendmail(["--lang", "ja", "-k"], b"", tmp_path)
    assert result.code == EX_USAGE and "不明なオプション" in result.err


def test_help_and_version(tmp_path: Path) -> None:
    helped = sendmail(["--help"], b"", tmp_path)
    assert helped.code == 0 and "-t" in helped.out and helped.err == ""
    version = sendmail(["--version"], b"", tmp_path)
    assert version.code == 0 and version.out.startswith("smail-sendmail (pysmail) ")
    assert sendmail(["-bi"], b"", tmp_path).code == 0


def test_debug_shows_the_dialogue_and_8bit_text_is_declared(stack: Stack, tmp_path: Path) -> None:
    relay_ini(stack, tmp_path)
    mark = marker("8bit")
    message = f"Subject: {mark}\nContent-Type: text/plain; charset=utf-8\n"
    message += "Content-Transfer-Encoding: 8bit\n\nこんにちは\n"
    result = sendmail(["--debug", "-i", BOB], message.encode(), tmp_path)
    assert result.code == 0, result.err
    assert f"MAIL FROM:<{ALICE}> BODY=8BITMIME" in result.err and result.out == ""
    assert text_of(fetch_one(stack, BOB, mark)) == "こんにちは\n"


def test_callers_at_once_each_get_their_message_sent(stack: Stack, tmp_path: Path) -> None:
    """A burst (cron jobs, a web site): the processes share one outbox and its flush lock; each
    waits its turn, so no message is left behind for a later -q."""
    spool = relay_ini(stack, tmp_path)
    mark = marker("burst")
    procs = [
        subprocess.Popen(
            [sendmail_exe(), "-i", BOB],
            stdin=subprocess.PIPE,
            cwd=tmp_path,
            env=hermetic_env(tmp_path),
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _ in range(6)
    ]
    for n, proc in enumerate(procs):  # every message handed over before any is waited for
        assert proc.stdin is not None
        proc.stdin.write(f"Subject: {mark}-{n}\n\nx\n".encode())
        proc.stdin.close()
    for proc in procs:
        assert proc.stderr is not None
        with proc.stderr:
            err = proc.stderr.read()
        assert proc.wait(timeout=120) == 0 and err == b"", err
    assert not queued(spool)
    got = sorted(str(m["Subject"]) for m in fetch_marked(stack, BOB, mark, 6))
    assert got == [f"{mark}-{n}" for n in range(6)]


def test_oauth_from_the_token_file_with_no_secret_shown(stack: Stack, tmp_path: Path) -> None:
    """smail's OAuth as is: OAUTH-XOAUTH2, smail_refreshtoken.ini beside smail.ini in the user's
    settings folder, the token from the real oidc-provider, checked by Dovecot; the --debug
    transcript shows no secret."""
    keys = (
        f"server = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nauth = OAUTH-XOAUTH2\nfrom = {ALICE}\n"
    )
    spool = user_ini(tmp_path, keys)
    _, tokens = stack.write_token_file(tmp_path / "xdg" / "pysmail", ALICE, "mailcli")
    mark = marker("oauth")
    result = sendmail(["--debug", "-t"], f"To: {BOB}\nSubject: {mark}\n\nx\n".encode(), tmp_path)
    assert result.code == 0, result.err
    assert "AUTH XOAUTH2" in result.err
    secrets = [tokens["refresh_token"], tokens["access_token"], stack.oidc_clients["mailcli"] or ""]
    for secret in filter(None, secrets):
        assert not [f for f in forbidden(secret, ALICE) if f in result.err + result.out]
    fetch_one(stack, BOB, mark)
    assert not queued(spool)


@pytest.mark.parametrize("failure", ["down", "wrong-password"])
def test_a_failure_before_the_send_keeps_or_fails_the_queued_message(
    stack: Stack, tmp_path: Path, failure: str
) -> None:
    """POP before SMTP runs after the message is queued: its server down is temporary (kept,
    exit 0), a wrong password permanent (failed/, EX_NOPERM)."""
    port = free_port() if failure == "down" else stack.pop3
    password = "wrong-pw" if failure == "wrong-password" else stack.users[ALICE]
    pop = (
        f"[pop_before_smtp]\nenabled = yes\nserver = {stack.host}\nport = {port}\n"
        f"tls = stls\nuser = {ALICE}\npassword_command = {printing(password)}\n"
    )
    spool = relay_ini(stack, tmp_path, sections=pop)
    mark = marker("pop-" + failure)
    result = sendmail(["-i", BOB], f"Subject: {mark}\n\nx\n".encode(), tmp_path)
    if failure == "down":
        assert result.code == 0 and "ERR-0020" in result.err, result
        assert len(queued(spool)) == 1 and str(queued(spool)[0]) in result.err
    else:
        assert result.code == 77 and result.err.startswith("smail-sendmail: ERR-0022:"), result
        [failed] = queued(spool, "failed")
        assert str(failed) in result.err and not queued(spool)
    assert result.err.count("\n") == 1
    assert_not_delivered(stack, [BOB], [mark])


def test_account_picks_an_account_section(stack: Stack, tmp_path: Path) -> None:
    """--account NAME: an [account NAME] of smail.ini over [smail] (here: another sender); an
    unknown one is EX_CONFIG naming the ones that exist, before anything is queued."""
    spool = relay_ini(stack, tmp_path, sections=f"[account work]\nfrom = Carol <{CAROL}>\n")
    marks = marker("acct-default"), marker("acct-work")
    for mark, argv in zip(marks, ([BOB], ["--account", "work", BOB]), strict=True):
        result = sendmail(["-i", *argv], f"Subject: {mark}\n\nx\n".encode(), tmp_path)
        assert result.code == 0, result.err
    assert raw_header(fetch_one(stack, BOB, marks[0]), "Return-Path") == f"<{ALICE}>"
    work = fetch_one(stack, BOB, marks[1])
    assert (
        raw_header(work, "Return-Path") == f"<{CAROL}>" and str(work["From"]) == f"Carol <{CAROL}>"
    )
    unknown = sendmail(["--account=home", BOB], b"Subject: x\n\nx\n", tmp_path)
    assert unknown.code == EX_CONFIG and unknown.err.startswith("smail-sendmail: ERR-0027:")
    assert "work" in unknown.err and unknown.err.count("\n") == 1
    assert sendmail(["--account", "work", "-bp"], b"", tmp_path).code == 0
    assert not queued(spool)
