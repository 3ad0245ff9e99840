"""smail_refreshtoken.ini.lock is never opened through a symbolic link: a planted link would
make smail create an empty file wherever the user may write (issue 12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pysmail.errors import OAuthError
from pysmail.exitcodes import ErrCode
from pysmail.fs.lock import FileLock
from pysmail.messages import format_error


def _plant(tmp_path: Path, *, target_exists: bool) -> tuple[Path, Path]:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "created-by-smail"
    if target_exists:
        target.write_bytes(b"kept")
    lock = tmp_path / "smail_refreshtoken.ini.lock"
    lock.symlink_to(target)
    return lock, target


@pytest.mark.parametrize("target_exists", [False, True])
def test_a_planted_link_is_refused_and_nothing_is_created(
    tmp_path: Path, target_exists: bool
) -> None:
    lock, target = _plant(tmp_path, target_exists=target_exists)
    with pytest.raises(OAuthError) as caught, FileLock(lock, timeout=1):
        pass  # pragma: no cover - never entered
    err = caught.value
    assert err.code is ErrCode.NO_ACCESS_TOKEN and err.msgid == "oauth.lock_symlink"
    assert f"rm {lock}" in format_error(err, "en") and str(lock) in format_error(err, "ja")
    if target_exists:
        assert target.read_bytes() == b"kept"
    else:
        assert not target.exists()
    assert lock.is_symlink()  # left for the user to look at


def test_without_o_nofollow_the_link_is_seen_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no O_NOFOLLOW: the lstat check stands in (run here without the flag)."""
    monkeypatch.delattr(os, "O_NOFOLLOW", raising=False)
    lock, target = _plant(tmp_path, target_exists=False)
    with pytest.raises(OAuthError) as caught, FileLock(lock, timeout=1):
        pass  # pragma: no cover - never entered
    assert caught.value.msgid == "oauth.lock_symlink" and not target.exists()


def test_a_plain_lock_file_still_works(tmp_path: Path) -> None:
    lock = tmp_path / "smail_refreshtoken.ini.lock"
    with FileLock(lock, timeout=1):
        assert lock.is_file() and not lock.is_symlink()
    with FileLock(lock, timeout=1):  # an existing lock file is reused
        pass
