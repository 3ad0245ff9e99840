"""The setup page's test mail: one message sent with the page's settings, as `smail -d` sends it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

from pysmail.errors import OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, text
from pysmail.record import replace
from pysmail.setup.actions import TOKEN_FILE_NAME
from pysmail.setup.flows import Notice, Session
from pysmail.setup.save import ini_bytes, write_private, write_token_file

__all__ = ["send_test"]


def send_test(session: Session, lang: Lang) -> Notice:
    """Send one test mail with the page's settings as `smail -d` would (pysmail.app.send: token
    refresh, TLS, AUTH), from a private scratch folder holding the two files. A rotated refresh
    token and the new access token are taken back into the Session."""
    import io
    import shutil
    import tempfile

    draft = session.draft
    if draft.uses_oauth and not session.has_token():
        raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "setup.needs_token")
    scratch = Path(tempfile.mkdtemp(prefix="smail-setup-"))  # mode 0700
    try:
        token_ref = TOKEN_FILE_NAME
        if draft.uses_oauth and session.login is not None:
            write_token_file(session, scratch / TOKEN_FILE_NAME)
        elif draft.uses_oauth and session.stored_token is not None:
            token_ref = str(session.stored_token)
        ini = scratch / "smail.ini"
        write_private(ini, ini_bytes(session, ini, token_ref))
        out = io.StringIO()
        env = {**session.env, "SMAIL_CONFIG": str(ini)}
        code = _test_send(draft.test_to, lang, out, env, scratch)
        if draft.uses_oauth and session.login is not None:
            _take_back(session, scratch / TOKEN_FILE_NAME)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    transcript = session.scrubber.scrub(out.getvalue())
    if code == 0:
        shown = text("setup.test_ok", lang, to=draft.test_to, server=draft.server)
        return Notice(True, shown, transcript)
    return Notice(False, text("setup.test_failed", lang, code=f"{code:04d}"), transcript)


def _test_send(to: str, lang: Lang, stream: TextIO, env: dict[str, str], cwd: Path) -> int:
    """`smail -s<subject> -T<body> -d --lang <lang> <to>` in `cwd`: the exit code, with the -d
    transcript and any ERR block written to `stream`."""
    from pysmail.app.context import Context
    from pysmail.app.guard import guarded
    from pysmail.app.send import execute, prepare
    from pysmail.app.settings import load_settings
    from pysmail.config.model import MessageSettings
    from pysmail.config.overrides import Overrides
    from pysmail.redact import Scrubber
    from pysmail.ui.output import Output

    message = MessageSettings(
        subject=text("setup.test_subject", lang),
        body_text=text("setup.test_body", lang),
        recipients=(to,),
    )
    given = Overrides(debug=True, lang=lang, message=message)
    out = Output(stream, Scrubber())
    ctx = Context(out, env, cwd, lang)

    def run() -> int:
        settings = load_settings(given, None, env, cwd)
        return execute(prepare(settings, given.mode, ctx), ctx)

    return guarded(run, say=out.line, lang=lang, env=env)


def _take_back(session: Session, path: Path) -> None:
    """The refresh token and access token as the test send left them (rotation, refresh)."""
    from pysmail.oauth.store import read_cache
    from pysmail.oauth.tokenfile import read_token_file

    login = session.login
    assert login is not None
    try:
        doc = read_token_file(path)
    except SmailError:
        return
    response = replace(login.response, refresh_token=doc.refresh_token)
    cache = read_cache(path)
    if cache is not None:
        left = None if cache.expires_at is None else max(0.0, cache.expires_at - time.time())
        response = replace(response, access_token=cache.access_token, expires_in=left)
    session.learn(response.access_token, response.refresh_token)
    session.login = replace(login, response=response)
