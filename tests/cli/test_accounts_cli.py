"""Two accounts in one smail.ini against the real stack (docs/settings.md 3a, decisions D34):
alice with a password, bob with OAuth (oidc-provider tokens, Dovecot introspecting them). Each is
used by `smail --account` and delivers as itself, read back over POP3; smail-token works on the
account's own token file; an unknown account is ERR-0027 naming the ones there are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.util import (
    ALICE,
    BOB,
    fetch_one,
    free_port,
    hermetic_env,
    marker,
    printing,
    run_exe,
    run_main,
    run_token,
    write_ini,
)
from stackutil import Stack

pytestmark = pytest.mark.stack

CAROL = "carol@example.test"


def _two_accounts(stack: Stack, folder: Path, default: str = "alice") -> Path:
    """smail.ini: the server in [smail], alice (password) and bob (OAuth) as accounts; bob's
    token in smail_refreshtoken.bob.ini, the file an account without oauth_token_file uses."""
    issued, _tokens = stack.write_token_file(folder, BOB)
    issued.rename(folder / "smail_refreshtoken.bob.ini")  # no smail_refreshtoken.ini is left
    return write_ini(
        folder,
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\ndefault_account = {default}\n\n"
        f"[account alice]\nuser = {ALICE}\npassword_command = {printing('alice-pw')}\n"
        f"from = Alice <{ALICE}>\n\n"
        f"[account bob]\nauth = OAUTH-XOAUTH2\nfrom = Bob <{BOB}>\n",
    )


def test_each_account_sends_as_itself(stack: Stack, tmp_path: Path) -> None:
    _two_accounts(stack, tmp_path)
    to_carol, to_alice = marker("acct-alice"), marker("acct-bob")
    by_alice = run_exe(["--account", "alice", "-s" + to_carol, "-Tx", CAROL, "-d", "-i"], tmp_path)
    assert by_alice.code == 0, by_alice.out + by_alice.err
    assert "#Settings account      : [alice]" in by_alice.out
    assert "Recv: 235" in by_alice.out and "Send: AUTH XOAUTH2" not in by_alice.out
    by_bob = run_exe(["--account=bob", "-s" + to_alice, "-Ty", ALICE, "-d", "-i"], tmp_path)
    assert by_bob.code == 0, by_bob.out + by_bob.err
    assert "#Settings account      : [bob]" in by_bob.out
    assert f"[{tmp_path / 'smail_refreshtoken.bob.ini'}]" in by_bob.out  # -i: bob's token file
    assert "Send: AUTH XOAUTH2" in by_bob.out and "Recv: 235" in by_bob.out
    assert fetch_one(stack, CAROL, to_carol)["From"] == f"Alice <{ALICE}>"
    assert fetch_one(stack, ALICE, to_alice)["From"] == f"Bob <{BOB}>"
    assert not (tmp_path / "smail_refreshtoken.ini").exists()  # nothing shared was made


def test_default_account_without_the_option(stack: Stack, tmp_path: Path) -> None:
    _two_accounts(stack, tmp_path, default="bob")
    mark = marker("acct-default")
    sent = run_main(["-s" + mark, "-Tx", CAROL, "-i"], tmp_path)
    assert sent.code == 0, sent.out
    assert "#Settings account      : [bob]" in sent.out
    assert fetch_one(stack, CAROL, mark)["From"] == f"Bob <{BOB}>"


def test_an_unknown_account_names_the_ones_there_are(stack: Stack, tmp_path: Path) -> None:
    _two_accounts(stack, tmp_path)
    mark = marker("acct-unknown")
    wrong = run_exe(["--account", "carol", "-s" + mark, "-Tx", CAROL], tmp_path)
    assert wrong.code == 27, wrong.out
    assert wrong.out.splitlines()[0].startswith("ERR-0027:")
    assert 'no account "carol"' in wrong.out and "Its accounts: alice, bob." in wrong.out
    ja = run_exe(["--lang", "ja", "--account", "carol", "-sx", "-Tx", CAROL], tmp_path)
    assert ja.code == 27 and "アカウント「carol」" in ja.out and "alice, bob" in ja.out
    tokens = run_token(["status", "--account", "carol"], tmp_path)
    assert tokens.code == 27 and "Its accounts: alice, bob." in tokens.err
    assert "Traceback" not in wrong.out + ja.out + tokens.out + tokens.err
    assert stack.fetch(CAROL, expect=0) == []  # nothing was sent


def test_an_account_without_a_settings_file(tmp_path: Path) -> None:
    ran = run_main(["--account", "work", "-hlocalhost", "-sx", "-Tx", CAROL], tmp_path)
    assert ran.code == 27 and 'The account "work" was asked for' in ran.out


def test_smail_token_works_on_the_accounts_token_file(stack: Stack, tmp_path: Path) -> None:
    _two_accounts(stack, tmp_path)
    status = run_token(["status", "--account", "bob", "--offline"], tmp_path)
    assert status.code == 0, status.err
    assert str(tmp_path / "smail_refreshtoken.bob.ini") in status.out
    assert f"user:          {BOB}" in status.out
    check = run_token(["check", "--account", "bob"], tmp_path)
    assert check.code == 0, check.out + check.err
    assert f"the token file names {BOB}" in check.out and "accepted AUTH" in check.out
    fresh = run_token(["access-token", "--account", "bob"], tmp_path)
    assert fresh.code == 0 and stack.introspect(fresh.out.strip())["active"] is True
    # alice has no token file of her own: named, never bob's (nor a shared one) in its place
    none = run_token(["status", "--account", "alice"], tmp_path)
    assert none.code == 28, none.out + none.err
    assert "smail_refreshtoken.alice.ini" in none.err and "bob" not in none.err
    default = run_token(["status"], tmp_path)  # default_account = alice: the same file
    assert default.code == 28 and "smail_refreshtoken.alice.ini" in default.err
    gone = run_token(["logout", "--account", "bob"], tmp_path)
    assert gone.code == 0, gone.err
    assert not (tmp_path / "smail_refreshtoken.bob.ini").exists()


def test_login_with_an_account_writes_that_accounts_file(stack: Stack, tmp_path: Path) -> None:
    _two_accounts(stack, tmp_path)
    login = run_token(
        ["login", "--account", "alice", "--app-only", "--provider", "generic",
         "--issuer", stack.oidc_issuer, "--user", ALICE, "--client-id", "mailcli"],
        tmp_path, stack.oidc_clients["mailcli"],
    )  # fmt: skip
    assert login.code == 0, login.err
    assert "Grant=client_credentials" in (tmp_path / "smail_refreshtoken.alice.ini").read_text()
    assert f"UserID={BOB}" in (tmp_path / "smail_refreshtoken.bob.ini").read_text()  # untouched


def test_queued_mail_stays_with_its_account(stack: Stack, tmp_path: Path) -> None:
    """The outbox of an account is its own: bob's queued message is not flushed by alice."""
    _two_accounts(stack, tmp_path)
    env = hermetic_env(tmp_path)
    mark = marker("acct-queue")
    down = ["--port", str(free_port())]  # nothing listens there: the message stays queued
    queued = run_main(["--account", "bob", "--queue", *down, "-s" + mark, "-Tx", CAROL], tmp_path)
    assert queued.code == 0, queued.out
    outbox = tmp_path / ".local" / "share" / "pysmail" / "outbox-bob"
    (entry,) = outbox.glob("*.msg")
    assert entry.stem in run_main(["--account", "bob", "--queue-list"], tmp_path, env).out
    alice = run_main(["--account", "alice", "--queue-list"], tmp_path, env).out
    assert "outbox-alice: 0 message(s)" in alice and entry.stem not in alice
    for state in outbox.glob("*.state"):
        state.unlink()  # due now instead of after the backoff
    assert run_main(["--account", "alice", "--flush"], tmp_path, env).code == 0
    assert len(list(outbox.glob("*.msg"))) == 1  # alice's flush left bob's message alone
    flushed = run_main(["--account", "bob", "--flush"], tmp_path, env)
    assert flushed.code == 0, flushed.out
    assert fetch_one(stack, CAROL, mark)["From"] == f"Bob <{BOB}>"
    assert not list(outbox.glob("*.msg"))
