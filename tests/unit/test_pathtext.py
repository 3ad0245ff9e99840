"""fs.pathtext shows paths as pathlib does (docs/decisions.md D42): the same text for the same
parts, by POSIX rules and by Windows rules alike (both flavours are pure, so both run here)."""

from __future__ import annotations

import os
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pysmail.fs import pathtext

# What paths are made of, and what makes them tricky: both separators, drives (and a digit that
# is no drive letter), UNC shares, the `\\?\` prefixes, `.`, `..`, `~`, spaces.
_PIECES = st.sampled_from(
    ["/", "\\", "//", "\\\\", "a", "B", "c:", "C:", "1:", ".", "..", "~", " ", "x y", "?", "UNC"]
)
PATHS = st.lists(_PIECES, max_size=8).map("".join)
FLAVOURS = [(PurePosixPath, False), (PureWindowsPath, True)]


@pytest.mark.parametrize(("flavour", "windows"), FLAVOURS)
@settings(max_examples=800, deadline=None)
@given(path=PATHS, more=st.lists(PATHS, max_size=3))
@example(path="./smail.ini", more=[])
@example(path="a//b/", more=["../c/./"])
@example(path="//server/share", more=["x"])
@example(path="\\\\?\\UNC\\server\\share\\x", more=["/y"])
@example(path="c:/x", more=["C:y", "d:"])
def test_the_same_text_as_purepath(
    flavour: type[PurePath], windows: bool, path: str, more: list[str]
) -> None:
    pure = flavour(path)
    assert pathtext.path_text(path, windows=windows) == str(pure)
    assert pathtext.parent(path, windows=windows) == str(pure.parent)
    assert pathtext.name(path, windows=windows) == pure.name
    assert pathtext.is_absolute(path, windows=windows) == pure.is_absolute()
    joined = pure
    for added in more:
        joined = joined / added
    assert pathtext.join(path, *more, windows=windows) == str(joined)


def test_this_os_flavour_and_path_objects() -> None:
    here = Path("a") / "b"
    assert pathtext.path_text(here) == str(here)
    assert pathtext.join(Path("/x"), "y") == str(Path("/x") / "y")
    assert pathtext.WINDOWS is (os.name == "nt")


@pytest.mark.parametrize("value", ["~", "~/", "~/a//b/", "~nosuchuser-pysmail/x", "a/~", "/~"])
def test_expanduser_is_paths(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone/")
    try:
        expected: str | None = str(Path(value).expanduser())
    except RuntimeError:
        expected = None
    assert pathtext.expanduser(value) == expected
