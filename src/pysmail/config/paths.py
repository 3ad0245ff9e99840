"""Where smail.ini is looked for, per OS (the lookup order is in docs/settings.md)."""

from __future__ import annotations

import os
import sys

from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.fs.pathtext import is_absolute, join, name, parent
from pysmail.fs.userdirs import expand_home, user_config_dir

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pysmail.fs.pathtext import StrPath

__all__ = ["CONFIG_ENV", "CONFIG_NAME", "command_folders", "find_config", "folders_of_command"]

CONFIG_NAME = "smail.ini"
CONFIG_ENV = "SMAIL_CONFIG"


def find_config(
    explicit: str | None,
    environ: Mapping[str, str],
    cwd: StrPath,
    *,
    platform: str | None = None,
    home: StrPath | None = None,
    beside: Sequence[StrPath] | None = None,
) -> str | None:
    """The settings file to use (its path as fs.pathtext shows it), or None to run on the
    command line alone.

    Order: --config PATH, then $SMAIL_CONFIG (both must exist), then ./smail.ini in the current
    folder, then smail.ini beside the running smail command (SMAIL keeps it next to smail.exe;
    `beside`: those folders, None for command_folders()), then smail.ini in user_config_dir().
    config.ini.read_ini then refuses a found file that someone else may change (fs.trust);
    one named with --config (`explicit`) is read, but never runs its password_command.

    Raises:
        ConfigError(ErrCode.CONFIG, "config.not_found"): --config names no file.
        ConfigError(ErrCode.CONFIG, "config.env_not_found"): $SMAIL_CONFIG names no file.
    """
    if explicit is not None:
        path = _anchor(explicit, cwd)
        if not os.path.isfile(path):
            raise ConfigError(ErrCode.CONFIG, "config.not_found", path=str(path))
        return path
    from_env = environ.get(CONFIG_ENV, "")
    if from_env:
        path = _anchor(from_env, cwd)
        if not os.path.isfile(path):
            raise ConfigError(
                ErrCode.CONFIG, "config.env_not_found", path=str(path), variable=CONFIG_ENV
            )
        return path
    command = command_folders() if beside is None else beside
    for folder in (cwd, *command, user_config_dir(environ, platform=platform, home=home)):
        path = join(folder, CONFIG_NAME)
        if os.path.isfile(path):
            return path
    return None


def command_folders() -> tuple[str, ...]:
    """The folders of the running smail (or smail-token) command, where SMAIL kept smail.ini.

    A console script (pip, pipx: `smail`, `smail.exe`) is run as a script, so sys.argv[0] is its
    path; `python -m pysmail` has no command of its own: the scripts folder of that Python (where
    pip puts `smail`) stands for it. pysmail used as a library from another program (pytest,
    python -c) has none.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name == "pysmail.__main__":
        import sysconfig

        scripts = sysconfig.get_path("scripts")
        return (join(scripts),) if scripts else ()
    if name not in (None, "__main__") or not sys.argv:  # another module's `python -m`
        return ()
    return folders_of_command(sys.argv[0])


def folders_of_command(argv0: str) -> tuple[str, ...]:
    """The folder of the command file `argv0` as it was run and, when that is a link (pipx on
    Linux and macOS links ~/.local/bin/smail to its own folder), the folder of its target; none
    when `argv0` is not a file (python -c, an interactive Python). pip's wrapper of smail.exe
    drops the `.exe` from sys.argv[0]."""
    if not argv0 or argv0 == "-c":
        return ()
    command = join(os.getcwd(), argv0)  # pathlib's absolute()
    try:
        if not os.path.isfile(command):
            command = join(parent(command), name(command) + ".exe")
            if not os.path.isfile(command):
                return ()
        target = join(os.path.realpath(command))  # pathlib's resolve()
    except (OSError, RuntimeError):  # a link loop, an unreadable folder
        return ()
    folders = [parent(command)]
    if parent(target) != folders[0]:
        folders.append(parent(target))
    return tuple(folders)


def _anchor(value: str, cwd: StrPath) -> str:
    path = expand_home(value)
    return path if is_absolute(path) else join(cwd, path)
