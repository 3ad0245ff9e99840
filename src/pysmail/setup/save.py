"""Saving the setup page's two files: smail.ini (the old file's lines, line endings and encoding
kept) and smail_refreshtoken.ini after a sign-in, atomically and private to the owner."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pysmail.config.accounts import token_file_name
from pysmail.errors import ConfigError, OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.fs.userdirs import expand_home

if TYPE_CHECKING:
    from pysmail.messages import Lang
    from pysmail.setup.flows import Session

__all__ = ["ini_bytes", "save", "save_for_page", "write_private", "write_token_file"]


def write_token_file(session: Session, path: Path) -> None:
    from pysmail.oauth.login import save_login

    login = session.login
    assert login is not None
    save_login(
        path, login.plan, login.response, secret=login.secret, timeout=login.timeout,
        grant="authorization_code", method=login.method,
    )  # fmt: skip


def _newline() -> str:
    import sys

    return "\r\n" if sys.platform == "win32" else "\n"


def ini_bytes(session: Session, path: Path, token_file: str, account: str | None = None) -> bytes:
    """smail.ini's new bytes: the old file's lines, line endings and encoding kept; the page's
    keys in [smail], or in the sections of `account`.

    Raises: ConfigError(CONFIG, "config.unsafe_value"): a value (the password) holds a line
    break or another control character; nothing is written.
    """
    from pysmail.config.ini import decode_ini_as
    from pysmail.setup.actions import render_smail_ini, smail_ini_values
    from pysmail.text.ini_edit import UnsafeValue, encode_ini

    try:
        old, encoding = decode_ini_as(path.read_bytes(), path) if path.is_file() else (None, "")
    except (OSError, SmailError):
        old, encoding = None, ""
    try:
        text = render_smail_ini(
            session.draft, old, _newline(), password=session.password, token_file=token_file,
            account=account,
        )  # fmt: skip
        values = smail_ini_values(
            session.draft, password=session.password, token_file=token_file, account=account
        )
        return encode_ini(text, encoding or "utf-8", values)
    except UnsafeValue as exc:
        raise ConfigError(ErrCode.CONFIG, "config.unsafe_value", path=path, key=exc.key) from None


def write_private(path: Path, data: bytes) -> None:
    from pysmail.fs.atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(ErrCode.CONFIG, "setup.save_failed", path=path, reason=reason) from exc


def _token_reference(session: Session, folder: Path) -> str | None:
    """oauth_token_file for smail.ini in `folder`: the new login's file beside it, or the token
    file that already exists (relative when beside it); None when there is none."""
    if session.login is not None:
        return token_file_name(session.account)
    if session.stored_token is not None:
        stored = session.stored_token
        return stored.name if stored.parent == folder else str(stored)
    return None


def save(session: Session, lang: Lang) -> list[Path]:
    """Write smail.ini (and smail_refreshtoken.ini after a sign-in) in the draft's folder,
    atomically and private to the owner, like `smail-token login` writes its file. Returns
    the paths written. Raises SmailError (a file cannot be written; OAuth without a token)."""
    folder = (session.cwd / expand_home(session.draft.folder)).absolute()
    token_ref = _token_reference(session, folder)
    if session.draft.uses_oauth and token_ref is None:
        raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "setup.needs_token")
    written: list[Path] = []
    ini_path = folder / "smail.ini"
    own_token = token_file_name(session.account)
    ini_data = ini_bytes(session, ini_path, token_ref or own_token, session.account)  # or no file
    if session.login is not None and session.draft.uses_oauth:
        token_path = folder / own_token
        folder.mkdir(parents=True, exist_ok=True)
        write_token_file(session, token_path)
        session.stored_token, session.login = token_path, None
        written.append(token_path)
    write_private(ini_path, ini_data)
    written.insert(0, ini_path)
    return written


def save_for_page(session: Session, lang: Lang) -> tuple[tuple[str, ...], str]:
    """save(), and what the page shows after it: the paths written and the command line that
    uses them (the folder, the current folder, the user's settings folder)."""
    import sys

    from pysmail.fs.userdirs import user_config_dir
    from pysmail.setup.actions import command_line

    paths = save(session, lang)
    env = session.env
    home = Path(env["HOME"]) if env.get("HOME") else None
    folder = str(paths[0].parent)
    command = command_line(
        folder, str(session.cwd.absolute()), str(user_config_dir(env, home=home)),
        sys.platform == "win32", session.account,
    )  # fmt: skip
    return tuple(str(p) for p in paths), command
