"""Input files (pysmail.fs.inputfile): regular files only, never blocking, bounded reads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from pysmail.fs.inputfile import (
    FileTooLargeError,
    NotRegularFileError,
    open_regular,
    read_regular,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")


def test_regular_file_is_read_and_left_blocking(tmp_path: Path) -> None:
    path = tmp_path / "body.txt"
    path.write_bytes(b"abc\r\n")
    with open_regular(path) as stream:
        assert os.get_blocking(stream.fileno())
        assert stream.read() == b"abc\r\n"  # binary: no newline translation


def test_limit_is_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "body.txt"
    path.write_bytes(b"x" * 10)
    assert read_regular(path, 10) == b"x" * 10
    with pytest.raises(FileTooLargeError) as info:
        read_regular(path, 9)
    assert (info.value.size, info.value.limit) == (10, 9)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        open_regular(tmp_path)


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "nope")


@posix_only
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match="FIFO"):
        open_regular(fifo)


@posix_only
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_device_is_refused_unread(device: str) -> None:
    with pytest.raises(NotRegularFileError, match="character device"):
        read_regular(Path(device), 1024)


@posix_only
def test_symlink_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_bytes(b"ok")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert read_regular(tmp_path / "link.txt", 10) == b"ok"
