"""The distribution: `python -m build` makes a wheel and an sdist; the wheel installs into a clean
venv and its console scripts run from there, away from the source tree.

The build runs without isolation (`--no-isolation`), so that no test reaches the network:
`build` and `hatchling` come from the test extras in pyproject.toml. The wheel is built from the
sdist (build's default), which also proves the sdist is complete.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from pysmail import __version__

ROOT = Path(__file__).resolve().parents[2]
BIN = "Scripts" if sys.platform == "win32" else "bin"
EXE = ".exe" if sys.platform == "win32" else ""


@dataclass(frozen=True)
class Installed:
    wheel: Path
    sdist: Path
    venv: Path
    python: Path
    site: Path  # the installed pysmail package folder
    home: Path  # an empty folder: the cwd and HOME of every run


def _run(
    args: Sequence[str | Path], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env=env,
    )


def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    """An environment that knows nothing of the source tree or the test run."""
    keep = {"SYSTEMROOT", "WINDIR", "TEMP", "TMP", "SYSTEMDRIVE"}  # Windows needs these
    env = {k: v for k, v in os.environ.items() if k.upper() in keep}
    env.update(
        PATH=os.pathsep.join([str(venv / BIN), os.defpath]),
        HOME=str(home),
        USERPROFILE=str(home),
        APPDATA=str(home / "AppData"),
        XDG_CONFIG_HOME=str(home / ".config"),
        LANG="C",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    dist = tmp_path_factory.mktemp("dist")
    build = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT])
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    [wheel] = dist.glob("pysmail-*.whl")
    [sdist] = dist.glob("pysmail-*.tar.gz")

    venv = tmp_path_factory.mktemp("venv")
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, made.stderr
    python = venv / BIN / f"python{EXE}"
    # the test run's pip installs into the venv (pip >= 22.3): offline, nothing but the wheel
    pip_args: list[str | Path] = [sys.executable, "-m", "pip", "--python", python, "install"]
    pip = _run([*pip_args, "--no-index", "--no-deps", "--disable-pip-version-check", wheel])
    assert pip.returncode == 0, pip.stdout + pip.stderr
    home = tmp_path_factory.mktemp("home")
    where = _run(
        [python, "-c", "import pysmail, os; print(os.path.dirname(pysmail.__file__))"],
        cwd=home,
        env=_clean_env(venv, home),
    )
    assert where.returncode == 0, where.stderr
    return Installed(wheel, sdist, venv, python, Path(where.stdout.strip()), home)


def _script(inst: Installed, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(
        [inst.venv / BIN / f"{name}{EXE}", *args],
        cwd=inst.home,
        env=_clean_env(inst.venv, inst.home),
    )


def _console_scripts(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        [name] = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        lines = zf.read(name).decode().splitlines()
    scripts, section = [], ""
    for line in lines:
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[console_scripts]" and "=" in line:
            scripts.append(line.split("=", 1)[0].strip())
    return scripts


def test_installed_copy_is_used(installed: Installed) -> None:
    assert installed.site.is_relative_to(installed.venv), installed.site
    assert not installed.site.is_relative_to(ROOT)


def test_smail_help_from_the_installed_script(installed: Installed) -> None:
    run = _script(installed, "smail", "-?")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith(f"pysmail {__version__} - SMAIL-compatible"), run.stdout
    for option in ("-h<host>", "-a<file[,file...]>", "--dry-run", "--version"):
        assert option in run.stdout
    assert run.stderr == ""


def test_smail_version_from_the_installed_script(installed: Installed) -> None:
    run = _script(installed, "smail", "--version")
    assert (run.returncode, run.stdout, run.stderr) == (0, f"smail (pysmail) {__version__}\n", "")


def test_every_console_script_runs(installed: Installed) -> None:
    """smail, and smail-token once it is declared: each installed script answers --help."""
    scripts = _console_scripts(installed.wheel)
    assert "smail" in scripts
    for name in scripts:
        run = _script(installed, name, "--help")
        assert run.returncode == 0, (name, run.stdout, run.stderr)
        assert run.stdout.strip(), name
        assert "Traceback" not in run.stdout + run.stderr, name


def test_start_up_imports_nothing_heavy(installed: Installed) -> None:
    probe = (
        "import io, sys\n"
        "from pysmail.cli.smail_main import main\n"
        "assert main(['--version'], stdout=io.StringIO()) == 0\n"
        "heavy = {'email', 'ssl', 'smtplib', 'poplib', 'subprocess', 'socket', 'hashlib',\n"
        "         'http.client', 'urllib.request', 'asyncio', 'keyring', 'json'}\n"
        "print(' '.join(sorted(heavy & set(sys.modules))))\n"
    )
    run = _run(
        [installed.python, "-c", probe],
        cwd=installed.home,
        env=_clean_env(installed.venv, installed.home),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""


def test_wheel_contents(installed: Installed) -> None:
    assert installed.wheel.name == f"pysmail-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(installed.wheel) as zf:
        names = zf.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(metadata).decode()
    assert "pysmail/py.typed" in names
    assert "pysmail/__init__.py" in names and "pysmail/cli/smail_main.py" in names
    assert "pysmail/catalog/cli.json" in names and "pysmail/catalog/titles.json" in names
    assert "pysmail/api/__init__.py" in names and "pysmail/oauth/public.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("tests/", "bench/", "scripts/", "docs/"))]
    assert f"Version: {__version__}" in meta
    assert "Requires-Python: >=3.11" in meta
    assert (installed.site / "py.typed").is_file()


def test_sdist_contents(installed: Installed) -> None:
    assert installed.sdist.name == f"pysmail-{__version__}.tar.gz"
    top = f"pysmail-{__version__}/"
    with tarfile.open(installed.sdist) as tf:
        names = tf.getnames()
    for needed in (
        "pyproject.toml",
        "README.md",
        "src/pysmail/py.typed",
        "src/pysmail/__init__.py",
    ):
        assert top + needed in names, needed
    for unwanted in (".git/", ".stack/", ".venv/", "node_modules/", "__pycache__/"):
        assert not [n for n in names if unwanted in n], unwanted


def test_installed_package_compiles(installed: Installed) -> None:
    """Every installed module byte-compiles (as pip, pipx and installers on Windows do)."""
    env = _clean_env(installed.venv, installed.home)
    del env["PYTHONDONTWRITEBYTECODE"]
    run = _run([installed.python, "-m", "compileall", "-q", "-f", installed.site], env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    modules = list(installed.site.rglob("*.py"))
    compiled = list(installed.site.rglob("__pycache__/*.pyc"))
    assert len(modules) > 20
    assert len(compiled) >= len(modules)
