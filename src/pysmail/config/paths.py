"""Where smail.ini is looked for, per OS (the lookup order is in docs/settings.md)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode
from pysmail.fs.userdirs import expand_home, user_config_dir

__all__ = ["CONFIG_ENV", "CONFIG_NAME", "command_folders", "find_config", "folders_of_command"]

CONFIG_NAME = "smail.ini"
CONFIG_ENV = "SMAIL_CONFIG"


def find_config(
    explicit: str | None,
    environ: Mapping[str, str],
    cwd: Path,
    *,
    platform: str | None = None,
    home: Path | None = None,
    beside: Sequence[Path] | None = None,
) -> Path | None:
    """The settings file to use, or None to run on the command line alone.

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
        if not path.is_file():
            raise ConfigError(ErrCode.CONFIG, "config.not_found", path=str(path))
        return path
    from_env = environ.get(CONFIG_ENV, "")
    if from_env:
        path = _anchor(from_env, cwd)
        if not path.is_file():
            raise ConfigError(
                ErrCode.CONFIG, "config.env_not_found", path=str(path), variable=CONFIG_ENV
            )
        return path
    command = command_folders() if beside is None else beside
    for folder in (cwd, *command, user_config_dir(environ, platform=platform, home=home)):
        path = folder / CONFIG_NAME
        if path.is_file():
            return path
    return None


def command_folders() -> tuple[Path, ...]:
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
        return (Path(scripts),) if scripts else ()
    if name not in (None, "__main__") or not sys.argv:  # another module's `python -m`
        return ()
    return folders_of_command(sys.argv[0])


def folders_of_command(argv0: str) -> tuple[Path, ...]:
    """The folder of the command file `argv0` as it was run and, when that is a link (pipx on
    Linux and macOS links ~/.local/bin/smail to its own folder), the folder of its target; none
    when `argv0` is not a file (python -c, an interactive Python). pip's wrapper of smail.exe
    drops the `.exe` from sys.argv[0]."""
    if not argv0 or argv0 == "-c":
        return ()
    command = Path(argv0).absolute()
    try:
        if not command.is_file():
            command = command.with_name(command.name + ".exe")
            if not command.is_file():
                return ()
        target = command.resolve()
    except (OSError, RuntimeError):  # a link loop, an unreadable folder
        return ()
    folders = [command.parent]
    if target.parent != command.parent:
        folders.append(target.parent)
    return tuple(folders)


def _anchor(value: str, cwd: Path) -> Path:
    path = expand_home(value)
    return path if path.is_absolute() else cwd / path
