"""The setup page's launcher: a private file:// page that sends the browser on to the page with
its key, so the key is never on a browser's command line."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pysmail.messages import Lang

__all__ = ["drop_launcher", "write_launcher"]


def write_launcher(lang: Lang, url: str) -> Path:
    """A private file that sends the browser on to `url`; open its file:// address (never
    `url`): a browser's command line is readable by every local user (`ps`,
    /proc/*/cmdline) for its whole life, and the key would be on it. The file is owner-only
    (fileperm.create_private) in a fresh 0700 temporary folder, and is removed at the
    page's first request with the key, or when the server closes.

    Raises: OSError (the caller then opens no browser; the printed address still works).
    """
    import tempfile

    from pysmail.fs.fileperm import create_private
    from pysmail.setup.page import render_launcher

    folder = Path(tempfile.mkdtemp(prefix="smail-setup-"))
    path = folder / "open-smail-setup.html"
    try:
        fd = create_private(path)
        with open(fd, "wb") as out:
            out.write(render_launcher(lang, url))
    except OSError:
        drop_launcher(path)
        raise
    return path


def drop_launcher(path: Path | None) -> None:
    """Remove the launcher and its folder (nothing when there is none, or it is gone)."""
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
        with contextlib.suppress(OSError):
            path.parent.rmdir()
