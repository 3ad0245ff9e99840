"""The quick-start demo: start the local stack, send with `smail -d -i`, show the delivered mail."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
# a short folder the mail processes can enter (see scripts/stack.py)
from stack import DEFAULT_RUN as RUN  # noqa: E402

DEMO = REPO / ".demo"
sys.path.insert(0, str(REPO / "tests"))

from stackutil import Stack  # noqa: E402

BODY = "pysmail のクイックスタートです。\nSMAIL と同じコマンドラインで送信しました。\n"


def _step(title: str) -> None:
    print(f"\n===== {title} =====", flush=True)


def main() -> int:
    python = sys.executable
    _step("starting the local mail stack (Dovecot + Postfix on loopback)")
    started = subprocess.run(
        [python, str(REPO / "scripts" / "stack.py"), "start", "--dir", str(RUN)]
    )
    if started.returncode != 0:
        print("the local mail stack did not start (see above)", file=sys.stderr)
        return started.returncode
    stack = Stack.load(RUN)
    try:
        DEMO.mkdir(exist_ok=True)
        ini = DEMO / "smail.ini"
        ini.write_text(
            "[smail]\n"
            f"server = {stack.host}\n"
            f"port = {stack.submission}\n"
            "tls = starttls\n"
            f"cafile = {stack.cafile}\n"
            "auth = auto\n"
            "user = alice@example.test\n"
            f'password_command = "{python}" -c "print(\'alice-pw\')"\n'
            "from = 山田 花子 <alice@example.test>\n",
            encoding="utf-8",
        )
        (DEMO / "本文.txt").write_text(BODY, encoding="cp932")
        (DEMO / "報告書.csv").write_text("日付,件数\n2026-11-28,42\n", encoding="utf-8")
        stack.clear("bob@example.test")
        argv = [
            str(REPO / ".venv" / "bin" / "smail"),
            "--config",
            str(ini),
            "-s月次報告テスト",
            "-F本文.txt",
            "-a報告書.csv",
            "bob@example.test",
            "-d",
            "-i",
        ]
        _step("smail " + " ".join(argv[1:]) + f"   (smail.ini: {ini})")
        print(ini.read_text(encoding="utf-8"), flush=True)
        done = subprocess.run(argv, cwd=DEMO, env={**os.environ, "LANG": "ja_JP.UTF-8"})
        print(f"\nexit status: {done.returncode}", flush=True)
        if done.returncode != 0:
            return done.returncode
        _step("delivered to bob@example.test (read back over POP3S)")
        raw = stack.fetch("bob@example.test", expect=1)[0]
        print(raw.decode("ascii", "replace"))
        _step("as a mail client shows it (Python's email parser)")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        print(f"From:    {msg['From']}\nTo:      {msg['To']}\nSubject: {msg['Subject']}")
        for part in msg.walk():
            if part.is_multipart():
                continue
            name = part.get_filename()
            if name:
                data = part.get_payload(decode=True).decode("utf-8")
                print(f"[attachment {name}]\n{data}", end="")
            else:
                print(f"[{part.get_content_type()}; charset={part.get_content_charset()}]")
                print(part.get_content(), end="")
        return 0
    finally:
        if os.environ.get("KEEP_STACK") == "1":
            print(f"\nstack kept running: {RUN}/stack.json; stop it with scripts/stack.py stop")
        else:
            subprocess.run([python, str(REPO / "scripts" / "stack.py"), "stop", "--dir", str(RUN)])


if __name__ == "__main__":
    sys.exit(main())
