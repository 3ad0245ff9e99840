"""The message catalogue covers every id in both languages and every id the code raises."""

from __future__ import annotations

import io
import json
import re
import string
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from pysmail.catalog import AREAS, CATALOGUE, TITLES, load_messages, load_titles
from pysmail.cli.smail_main import main
from pysmail.errors import SmailError, UsageError
from pysmail.exitcodes import ErrCode
from pysmail.messages import detect_lang, format_error

SRC = Path(__file__).resolve().parents[2] / "src" / "pysmail"
CATALOG_DIR = SRC / "catalog"
# `ErrCode.NAME, "area.id"` as written wherever an error is raised
RAISED_ID = re.compile(r"ErrCode\.[A-Z_0-9]+,\s*\"([a-z0-9_]+\.[a-z0-9_.]+)\"")


# SMAIL's own -i labels that its Japanese output writes in English
# (the seed shows "#POP before SMTP : 使わない")
SAME_IN_BOTH = {"info.pop", "info.apop", "info.smtps", "info.starttls"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_has_a_title_in_both_languages() -> None:
    assert list(TITLES) == list(ErrCode)
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


def _strict(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    dupes = sorted({key for key in keys if keys.count(key) > 1})
    assert not dupes, f"ids twice in one file: {dupes}"
    return dict(pairs)


def test_every_catalogue_file_parses_and_holds_pairs_of_strings() -> None:
    """What a translator's edit must keep: valid UTF-8 JSON, each id once in all the files, each
    value [english, japanese]; every file in catalog/ is one the loader reads."""
    files = sorted(CATALOG_DIR.glob("*.json"))
    assert {path.name for path in files} == {f"{a}.json" for a in AREAS} | {"titles.json"}
    seen: dict[str, str] = {}
    for path in files:
        data = json.loads(path.read_bytes().decode("utf-8"), object_pairs_hook=_strict)
        assert type(data) is dict and data, path.name
        for msgid, value in data.items():
            assert msgid not in seen, f"{msgid} in {seen.get(msgid)} and {path.name}"
            seen[msgid] = path.name
            assert type(value) is list and len(value) == 2, msgid
            assert all(type(s) is str for s in value), msgid
    titles = json.loads((CATALOG_DIR / "titles.json").read_text(encoding="utf-8"))
    assert list(titles) == [f"{int(code):04d}" for code in ErrCode]
    assert not CATALOGUE.broken and not TITLES.broken


def test_every_catalogue_file_is_in_its_canonical_form() -> None:
    """As json.dumps(ensure_ascii=False, indent=2) writes it, so that a diff shows only what a
    translator changed (docs/translating.md: json.tool puts an edited file back)."""
    for path in CATALOG_DIR.glob("*.json"):
        raw = path.read_bytes().decode("utf-8")
        canonical = json.dumps(json.loads(raw), ensure_ascii=False, indent=2) + "\n"
        fix = f"python -m json.tool --indent 2 --no-ensure-ascii {path.name} {path.name}"
        assert raw == canonical, f"{path.name}: run {fix}"


def _broken_copy(tmp_path: Path) -> Path:
    for path in CATALOG_DIR.glob("*.json"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "cli.json").write_bytes((CATALOG_DIR / "cli.json").read_bytes()[:-20])
    (tmp_path / "setup.json").unlink()
    (tmp_path / "mime.json").write_text('{"mime.x": ["english"], "mime.y": ["a", "b"]}', "utf-8")
    titles = '{"0008": ["Connect.", "接続。"], "9999": ["a", "b"]}'
    (tmp_path / "titles.json").write_text(titles, "utf-8")
    return tmp_path


def test_a_broken_catalogue_file_leaves_its_ids_as_themselves(tmp_path: Path) -> None:
    messages = load_messages(str(_broken_copy(tmp_path)))
    assert messages.broken == ("cli.json", "mime.json", "setup.json")
    assert messages["smtp.connect_failed"] == CATALOGUE["smtp.connect_failed"]  # others load
    assert messages["mime.y"] == ("a", "b") and "mime.x" not in messages
    assert messages["cli.unknown_option"] == ("cli.unknown_option", "cli.unknown_option")
    titles = load_titles(str(tmp_path))
    assert titles.broken == ("titles.json",)
    assert titles[ErrCode.CONNECT] == ("Connect.", "接続。")
    assert titles[ErrCode.OPTION] == ("OPTION", "OPTION")
    assert load_titles(str(tmp_path / "none")).broken == ("titles.json",)
    with pytest.raises(KeyError):  # a sound catalogue still fails loudly on an unknown id
        CATALOGUE["no.such_id"]


def test_an_err_message_with_a_broken_catalogue_is_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pysmail.catalog

    _broken_copy(tmp_path)
    monkeypatch.setattr(pysmail.catalog, "CATALOGUE", load_messages(str(tmp_path)))
    monkeypatch.setattr(pysmail.catalog, "TITLES", load_titles(str(tmp_path)))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stderr(err):
        rc = main(["--no-such-option"], stdout=out, environ={"LANG": "C"}, cwd=tmp_path)
    assert rc == int(ErrCode.OPTION)
    shown = out.getvalue() + err.getvalue()
    assert shown.splitlines()[0] == "ERR-0017:OPTION", shown
    assert shown.splitlines()[1] == "  cli.unknown_option"  # the id stands in for its text
    assert "Traceback" not in shown
