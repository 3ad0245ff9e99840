"""pysmail.fs.confine.inside(): a path stays in its folder once every link is followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pysmail.fs.confine import inside


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (tmp_path / "secret").write_text("s")
    return root


def _link(link: Path, target: Path) -> None:
    link.symlink_to(target, target_is_directory=target.is_dir())  # Windows: developer mode


@pytest.mark.parametrize("name", ["a.txt", "sub/b.txt", "sub/../a.txt", "./a.txt", "missing.txt"])
def test_names_that_stay_inside(folder: Path, name: str) -> None:
    assert inside(folder, Path(name))


def test_an_absolute_path_into_the_folder_is_inside(folder: Path) -> None:
    assert inside(folder, folder / "sub" / "b.txt")


@pytest.mark.parametrize("name", ["../secret", "sub/../../secret", "..", "../root2/x"])
def test_dot_dot_out_of_the_folder(folder: Path, name: str) -> None:
    assert not inside(folder, Path(name))


def test_an_absolute_path_elsewhere(folder: Path) -> None:
    assert not inside(folder, folder.parent / "secret")
    assert not inside(folder, Path(os.path.abspath(os.sep)))


def test_a_sibling_with_the_same_prefix_is_outside(folder: Path) -> None:
    sibling = folder.parent / (folder.name + "2")
    sibling.mkdir()
    (sibling / "x").write_text("x")
    assert not inside(folder, sibling / "x")


def test_links_are_followed(folder: Path) -> None:
    _link(folder / "out.txt", folder.parent / "secret")
    _link(folder / "outdir", folder.parent)
    _link(folder / "in.txt", folder / "sub" / "b.txt")
    assert not inside(folder, Path("out.txt"))
    assert not inside(folder, Path("outdir/secret"))
    assert inside(folder, Path("in.txt"))


def test_a_link_loop_is_outside(folder: Path) -> None:
    _link(folder / "loop1", folder / "loop2")
    _link(folder / "loop2", folder / "loop1")
    assert not inside(folder, Path("loop1"))


def test_the_folder_itself_may_be_reached_through_a_link(tmp_path: Path, folder: Path) -> None:
    _link(tmp_path / "via", folder)
    assert inside(tmp_path / "via", Path("a.txt"))
    assert not inside(tmp_path / "via", Path("../secret"))
