"""The READMEs' "Use from Python" example, run as written against the real stack (only the
example's domain changes: example.com -> example.test, the stack's own users)."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stackutil import Stack

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {"README.md": "## Use from Python", "README.ja.md": "## Python から使う"}


def _example(readme: str) -> str:
    text = (ROOT / readme).read_text(encoding="utf-8")
    section = text.split(SECTIONS[readme] + "\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, f"{readme}: no python block in {SECTIONS[readme]!r}"
    return found.group(1)


def test_both_readmes_show_the_same_code() -> None:
    def code(readme: str) -> list[str]:  # comments and message texts are translated
        lines = [ln.split("#")[0].rstrip() for ln in _example(readme).splitlines()]
        return [re.sub(r'"[^"]*"', '""', ln) for ln in lines]

    assert code("README.md") == code("README.ja.md")


@pytest.mark.parametrize("readme", sorted(SECTIONS))
def test_the_example_sends_through_the_stack(stack: Stack, tmp_path: Path, readme: str) -> None:
    alice, bob = "alice@example.test", "bob@example.test"
    for user in (alice, bob):
        stack.clear(user)
    ini = tmp_path / "smail.ini"
    ini.write_text(
        f"[smail]\nserver = {stack.host}\nport = {stack.submission}\ntls = starttls\n"
        f"cafile = {stack.cafile}\nuser = {alice}\npassword = {stack.users[alice]}\n",
        encoding="utf-8",
    )
    ini.chmod(0o600)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n% a report\n")
    code = _example(readme).replace("example.com", "example.test")
    env = {"SMAIL_CONFIG": str(ini), "HOME": str(tmp_path), "PATH": ""}
    if sys.platform == "win32":  # pragma: no cover - a process needs these there
        import os

        env.update({k: v for k, v in os.environ.items() if k.upper() in ("SYSTEMROOT", "TEMP")})
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ERR-" not in done.stdout, done.stdout
    got = [
        email.message_from_bytes(raw, policy=email.policy.default)
        for raw in stack.fetch(bob, expect=2)
    ]
    report = next(m for m in got if m["Subject"] == "月次報告")
    assert [p.get_filename() for p in report.iter_attachments()] == ["report.pdf"]  # type: ignore[attr-defined]
    assert len(stack.fetch(alice, expect=1)) == 1
