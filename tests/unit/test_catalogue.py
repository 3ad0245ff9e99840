"""The message catalogue covers every id in both languages and every id the code raises."""

from __future__ import annotations

import re
import string
from pathlib import Path

from pysmail.catalog import CATALOGUE, TITLES
from pysmail.errors import SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import detect_lang, format_error

SRC = Path(__file__).resolve().parents[2] / "src" / "pysmail"
# `ErrCode.NAME, "area.id"` as written wherever an error is raised
RAISED_ID = re.compile(r"ErrCode\.[A-Z_0-9]+,\s*\"([a-z0-9_]+\.[a-z0-9_.]+)\"")


# SMAIL's own -i labels that its Japanese output writes in English
# (the seed shows "#POP before SMTP : 使わない")
SAME_IN_BOTH = {"info.pop", "info.apop", "info.smtps", "info.starttls"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_has_a_title_in_both_languages() -> None:
    for code in ErrCode:
        en, ja = TITLES[code]
        assert en.strip() and ja.strip(), code


def test_smail_titles_are_kept_exactly() -> None:
    assert TITLES[ErrCode.CONNECT][1] == "メールサーバとのコネクションエラー。"
    assert TITLES[ErrCode.NO_ACCESS_TOKEN][1] == (
        "OAUTH 認証サーバからアクセストークンが取得できませんでした。"
    )
    assert int(ErrCode.POP3_LOGIN) == 22 and int(ErrCode.NO_ACCESS_TOKEN) == 28


def test_both_languages_cover_every_message_with_the_same_placeholders() -> None:
    assert CATALOGUE, "catalogue is empty"
    for msgid, (en, ja) in CATALOGUE.items():
        assert en.strip() and ja.strip(), msgid
        assert _fields(en) == _fields(ja), msgid
        if msgid in SAME_IN_BOTH:
            assert en == ja, msgid
            continue
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja), f"{msgid}: not Japanese"


def test_every_raised_id_is_in_the_catalogue() -> None:
    raised: set[str] = set()
    for path in SRC.rglob("*.py"):
        raised.update(RAISED_ID.findall(path.read_text(encoding="utf-8")))
    assert raised, "no raise sites found: the pattern is stale"
    missing = sorted(raised - CATALOGUE.keys())
    assert not missing, f"ids raised but not in the catalogue: {missing}"


def test_error_block_format() -> None:
    msgid = next(iter(CATALOGUE))
    err = SmailError(ErrCode.CONNECT, "", reply="421 busy\n421 try later")
    block = format_error(err, "ja").splitlines()
    assert block[0] == "ERR-0008:メールサーバとのコネクションエラー。"
    assert block[1:] == ["  サーバの応答: 421 busy", "  サーバの応答: 421 try later"]
    assert isinstance(UsageError(ErrCode.OPTION, msgid), SmailError)


def test_language_detection() -> None:
    assert detect_lang(None, {"LANG": "ja_JP.UTF-8"}) == "ja"
    assert detect_lang(None, {"LANG": "C"}) == "en"
    assert detect_lang(None, {"LC_ALL": "en_US.UTF-8", "LANG": "ja_JP.UTF-8"}) == "en"
    assert detect_lang("ja", {"LANG": "C"}) == "ja"
    assert detect_lang("en", {"LANG": "ja_JP"}) == "en"


def test_the_json_files_hold_the_python_dicts_exactly() -> None:
    """The step to data files (docs/decisions.md D41): each area's .json, read back, is its
    MESSAGES dict (every id, both languages, same order); titles.json is TITLES by ERR number."""
    import importlib
    import json

    for path in sorted(SRC.joinpath("catalog").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.stem == "titles":
            assert {ErrCode(int(k)): tuple(v) for k, v in data.items()} == TITLES
            assert [int(k) for k in data] == [int(code) for code in TITLES]
            continue
        messages = importlib.import_module(f"pysmail.catalog.{path.stem}").MESSAGES
        assert {k: tuple(v) for k, v in data.items()} == messages, path.name
        assert list(data) == list(messages), path.name
