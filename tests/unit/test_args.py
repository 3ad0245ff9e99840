"""SMAIL's command line: the readme's worked examples, real uses, our long options, errors."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pysmail.catalog import CATALOGUE
from pysmail.cli.smail_args import OPTIONS, CommandLine, Kind, command_line, parse_args
from pysmail.cli.usage import option_label, usage_text
from pysmail.config.model import AuthMode, Charset, MessageSettings, TlsMode
from pysmail.config.overrides import Mode, Overrides
from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode

# (argv, expected non-default fields); `given` is checked to be exactly these field names.
GOOD: list[tuple[list[str], dict[str, Any]]] = [
    # smail-spec 3.10, readme example (1)
    (
        [
            "-hmailhost",
            "-fuser",
            "-sメールテスト",
            "-Fread.me",
            "foo@hoge.co.xx,foo1@hoge.co.xx",
            "-t",
        ],
        {
            "host": "mailhost",
            "sender": "user",
            "subject": "メールテスト",
            "body_file": "read.me",
            "recipients": ("foo@hoge.co.xx,foo1@hoge.co.xx",),
            "tz_adjust": True,
        },
    ),
    # (3): -F twice, the last one wins
    (
        [
            "-hxxx.yyy.zzz.www",
            "-fアカウント",
            "-Fread.me",
            "-sテスト",
            "-F本文.txt",
            "foo@hoge.co.jp",
        ],
        {
            "host": "xxx.yyy.zzz.www",
            "sender": "アカウント",
            "body_file": "本文.txt",
            "subject": "テスト",
            "recipients": ("foo@hoge.co.jp",),
        },
    ),
    # (3'): the quotes of -s"..." are gone by the time argv reaches us; a full-width space stays
    (
        [
            "-h192.0.2.1",
            "-i",
            "-sSMAILのテスト 　エクセル添付です。",
            "-Fc:\\dir\\test.me",
            "-ac:\\dir\\test.xls",
            "-fxxx@xxx.xxx.xx",
            "yyy@yyy.yyy.xx,zzz@zzz.zzz.xx",
            "-t",
        ],
        {
            "host": "192.0.2.1",
            "info": True,
            "subject": "SMAILのテスト 　エクセル添付です。",
            "body_file": "c:\\dir\\test.me",
            "attachments": ("c:\\dir\\test.xls",),
            "sender": "xxx@xxx.xxx.xx",
            "recipients": ("yyy@yyy.yyy.xx,zzz@zzz.zzz.xx",),
            "tz_adjust": True,
        },
    ),
    # (4): two attachments with Japanese names in one -a
    (
        [
            "-h192.0.2.1",
            "-i",
            "-sSMAILのテスト  エクセルとワードファイル添付です。",
            "-Fd\\test.me",
            "-ad\\テスト.xls,d\\サンプル.doc",
            "-fxxx@xxx.xxx.xx",
            "yyy@yyy.yyy.xx,zzz@zzz.zzz.xx",
            "-t",
        ],
        {
            "host": "192.0.2.1",
            "info": True,
            "subject": "SMAILのテスト  エクセルとワードファイル添付です。",
            "body_file": "d\\test.me",
            "attachments": ("d\\テスト.xls", "d\\サンプル.doc"),
            "sender": "xxx@xxx.xxx.xx",
            "recipients": ("yyy@yyy.yyy.xx,zzz@zzz.zzz.xx",),
            "tz_adjust": True,
        },
    ),
    # (5): CC:/BCC: prefixes stay raw; the recipients come before -f
    (
        [
            "-h192.0.2.1",
            "-sTEST",
            "CC:who1@x.jp,who2@x.jp,CC:who3@x.jp,who4@x.jp,BCC:who5@x.jp,who6@x.jp",
            "-feva<who7@x.jp>",
        ],
        {
            "host": "192.0.2.1",
            "subject": "TEST",
            "recipients": (
                "CC:who1@x.jp,who2@x.jp,CC:who3@x.jp,who4@x.jp,BCC:who5@x.jp,who6@x.jp",
            ),
            "sender": "eva<who7@x.jp>",
        },
    ),
    # real use S10: recipients before -d -i
    (
        ["-hsmtp.gmail.com", "-fme@gmail.com", "-sSubj", "-Fmail.txt", "you@x.jp", "-d", "-i"],
        {
            "host": "smtp.gmail.com",
            "sender": "me@gmail.com",
            "subject": "Subj",
            "body_file": "mail.txt",
            "recipients": ("you@x.jp",),
            "debug": True,
            "info": True,
        },
    ),
    # real use S5: -T with a real newline, no -f
    (
        ["-hsmtp.gmail.com", "-sTEST", "you@x.jp", "-TXXX\nYYY", "-d", "-ac:\\chart.gif"],
        {
            "host": "smtp.gmail.com",
            "subject": "TEST",
            "recipients": ("you@x.jp",),
            "body_text": "XXX\nYYY",
            "debug": True,
            "attachments": ("c:\\chart.gif",),
        },
    ),
    # real use S7: no -h at all (smail.ini supplies the server)
    (
        ["-sTitle", "-Fbody.txt", "you@x.jp"],
        {"subject": "Title", "body_file": "body.txt", "recipients": ("you@x.jp",)},
    ),
    # S9: -T and -F both given: both kept (the merge/compose decides -T wins)
    (
        ["-hh", "-fa@x", "-sS", "-T2024-01-01 S", "-Fb.txt", "-afile.txt", "a@x"],
        {
            "host": "h",
            "sender": "a@x",
            "subject": "S",
            "body_text": "2024-01-01 S",
            "body_file": "b.txt",
            "attachments": ("file.txt",),
            "recipients": ("a@x",),
        },
    ),
    # seed v4.29 OAuth use
    (
        ["-hsmtp.office365.com", "-sTEST MAIL", "-fme@outlook.com", "you@x.jp", "-d", "-i"],
        {
            "host": "smtp.office365.com",
            "subject": "TEST MAIL",
            "sender": "me@outlook.com",
            "recipients": ("you@x.jp",),
            "debug": True,
            "info": True,
        },
    ),
    # -p, -m, -S, -?
    (["-p4", "-m", "-S", "-?"], {"priority": 4, "message_id": "", "silent": True, "help": True}),
    (["-p9", "-m<abc@x>"], {"priority": 9, "message_id": "<abc@x>"}),
    # repeated -a adds, empty pieces dropped; repeated -s: the last wins
    (
        ["-aa.txt,,b.txt", "-ac.txt", "-sone", "-stwo"],
        {"attachments": ("a.txt", "b.txt", "c.txt"), "subject": "two"},
    ),
    # several positional recipient arguments are all kept
    (["a@x", "CC:b@x", "BCC:c@x"], {"recipients": ("a@x", "CC:b@x", "BCC:c@x")}),
    # a spaced value where it cannot be a recipient (no "@", not an option)
    (
        ["-h", "smtp.example.com", "-s", "hello world", "-p", "2", "-F", "body.txt", "a@x"],
        {
            "host": "smtp.example.com",
            "subject": "hello world",
            "priority": 2,
            "body_file": "body.txt",
            "recipients": ("a@x",),
        },
    ),
    # a bare -s / -T is an empty value (Windows turns -s"" into -s); the next "@" arg is a recipient
    (["-s", "a@x", "-T"], {"subject": "", "recipients": ("a@x",), "body_text": ""}),
    (["-s", "-d", "a@x"], {"subject": "", "debug": True, "recipients": ("a@x",)}),
    (["-s", "", "a@x"], {"subject": "", "recipients": ("a@x",)}),
    # everything after -- is a recipient
    (["--", "-odd@x", "-d"], {"recipients": ("-odd@x", "-d")}),
    # long options: both spellings, case-insensitive choice values, repeatable ones
    (
        [
            "--host",
            "smtp.example.com",
            "--port=587",
            "--tls",
            "STARTTLS",
            "--auth=OAUTH-XOAUTH2",
            "--user",
            "me@example.com",
            "--charset",
            "UTF-8",
            "--body-encoding=cp932",
            "--config",
            "my.ini",
            "--cafile=ca.pem",
            "--insecure",
            "--allow-plaintext-auth",
            "--reply-to",
            "r1@x",
            "--reply-to=r2@x",
            "--header",
            "X-Mailer-Test:  yes ",
            "--header=X-Two: 2",
            "--html",
            "page.html",
            "--dry-run",
            "--helo=client.example",
            "--timeout",
            "2.5",
            "--lang=JA",
            "--version",
            "--help",
            "--from",
            "me@example.com",
            "--subject=",
            "--to",
            "a@x,b@x",
            "--cc=c@x",
            "--bcc",
            "d@x",
            "--bcc=e@x",
        ],
        {
            "host": "smtp.example.com",
            "port": 587,
            "tls": TlsMode.STARTTLS,
            "auth": AuthMode.OAUTH_XOAUTH2,
            "user": "me@example.com",
            "charset": Charset.UTF_8,
            "body_encoding": "cp932",
            "config": "my.ini",
            "cafile": "ca.pem",
            "insecure": True,
            "allow_plaintext_auth": True,
            "reply_to": ("r1@x", "r2@x"),
            "headers": (("X-Mailer-Test", "yes"), ("X-Two", "2")),
            "html_file": "page.html",
            "dry_run": True,
            "helo": "client.example",
            "timeout": 2.5,
            "lang": "ja",
            "version": True,
            "help": True,
            "sender": "me@example.com",
            "subject": "",
            "to": ("a@x,b@x",),
            "cc": ("c@x",),
            "bcc": ("d@x", "e@x"),
        },
    ),
    # --opt value takes the next argument even when it starts with "-"
    (["--subject", "-odd-", "--message-id=<id@x>"], {"subject": "-odd-", "message_id": "<id@x>"}),
    (["--message-id", "a@x"], {"message_id": "", "recipients": ("a@x",)}),
    (["--body-encoding=AUTO", "--port", "65535"], {"body_encoding": "auto", "port": 65535}),
    ([], {}),
]


@pytest.mark.parametrize(("argv", "expected"), GOOD, ids=[" ".join(a)[:60] for a, _ in GOOD])
def test_parses_as_intended(argv: list[str], expected: dict[str, Any]) -> None:
    got = parse_args(argv)
    assert dataclasses.replace(got, given=frozenset()) == command_line(expected)
    assert got.given == frozenset(expected)


BAD: list[tuple[list[str], ErrCode, str, dict[str, object]]] = [
    (["-x"], ErrCode.OPTION, "cli.unknown_option", {"option": "-x"}),
    (["-H", "h"], ErrCode.OPTION, "cli.unknown_option", {"option": "-H"}),  # case-sensitive
    (["-di"], ErrCode.OPTION, "cli.bundled_flags", {"option": "-di", "split": "-d -i"}),
    (["-tSd"], ErrCode.OPTION, "cli.bundled_flags", {"split": "-t -S -d"}),
    (["-dx"], ErrCode.OPTION, "cli.unknown_option", {"option": "-dx"}),
    (["-"], ErrCode.OPTION, "cli.unknown_option", {"option": "-"}),
    (["--nope"], ErrCode.OPTION, "cli.unknown_option", {"option": "--nope"}),
    (["--PORT=25"], ErrCode.OPTION, "cli.unknown_option", {}),  # long names are exact
    (["--por=25"], ErrCode.OPTION, "cli.unknown_option", {}),  # no abbreviations
    (["--dry-run=yes"], ErrCode.OPTION, "cli.no_value_expected", {"option": "--dry-run"}),
    (["--port"], ErrCode.OPTION, "cli.missing_value", {"option": "--port"}),
    (["--host="], ErrCode.OPTION, "cli.missing_value", {"option": "--host"}),
    (["-h"], ErrCode.OPTION, "cli.missing_value", {"option": "-h"}),
    (["-h", "-d"], ErrCode.OPTION, "cli.missing_value", {"option": "-h"}),
    (["-h", ""], ErrCode.OPTION, "cli.missing_value", {"option": "-h"}),
    (["-a,,", "x@y"], ErrCode.OPTION, "cli.missing_value", {"option": "-a"}),
    (["-F"], ErrCode.OPTION, "cli.missing_value", {"option": "-F"}),
    # a bare -f followed by an address: refuse to guess (sender or recipient?)
    (["-f", "me@x", "you@x"], ErrCode.OPTION, "cli.value_not_attached", {"value": "me@x"}),
    (["-h", "you@x"], ErrCode.OPTION, "cli.value_not_attached", {"option": "-h"}),
    (["-p0"], ErrCode.OPTION, "cli.bad_priority", {"value": "0"}),
    (["-p10"], ErrCode.OPTION, "cli.bad_priority", {"value": "10"}),
    (["-px"], ErrCode.OPTION, "cli.bad_priority", {"value": "x"}),
    (["-p", "a@x"], ErrCode.OPTION, "cli.value_not_attached", {}),
    (["--priority=３"], ErrCode.OPTION, "cli.bad_priority", {}),  # full-width digit
    (["--port=0"], ErrCode.OPTION, "cli.bad_port", {"value": "0"}),
    (["--port", "65536"], ErrCode.OPTION, "cli.bad_port", {}),
    (["--port=http"], ErrCode.OPTION, "cli.bad_port", {}),
    (["--port=-1"], ErrCode.OPTION, "cli.bad_port", {}),
    (["--tls=ssl"], ErrCode.OPTION, "cli.bad_choice", {"choices": "none|starttls|smtps"}),
    (["--auth", "digest-md5"], ErrCode.OPTION, "cli.bad_choice", {"option": "--auth"}),
    (["--charset=latin-1"], ErrCode.OPTION, "cli.bad_choice", {}),
    (["--lang=fr"], ErrCode.OPTION, "cli.bad_choice", {}),
    (["--timeout=0"], ErrCode.OPTION, "cli.bad_timeout", {}),
    (["--timeout=nan"], ErrCode.OPTION, "cli.bad_timeout", {}),
    (["--timeout=soon"], ErrCode.OPTION, "cli.bad_timeout", {}),
    (["--body-encoding=klingon"], ErrCode.OPTION, "cli.bad_encoding", {}),
    # Python codecs that are no character set (issue 12: punycode/undefined crashed, and
    # unicode_escape rewrote every backslash of the body)
    (["--body-encoding=punycode"], ErrCode.OPTION, "cli.bad_encoding", {}),
    (["--body-encoding=undefined"], ErrCode.OPTION, "cli.bad_encoding", {}),
    (["--body-encoding=unicode_escape"], ErrCode.OPTION, "cli.bad_encoding", {}),
    (["--body-encoding=raw_unicode_escape"], ErrCode.OPTION, "cli.bad_encoding", {}),
    (["--body-encoding=idna"], ErrCode.OPTION, "cli.bad_encoding", {}),
    (["--body-encoding=rot13"], ErrCode.OPTION, "cli.bad_encoding", {}),
    (["--body-encoding=base64"], ErrCode.OPTION, "cli.bad_encoding", {}),
    # invalid UTF-8 in argv reaches Python as lone surrogates (PEP 383)
    (["-sab\udcff"], ErrCode.OPTION, "cli.not_utf8", {"option": "-s", "byte": "0xFF"}),
    (["-T\udce6\udc97"], ErrCode.OPTION, "cli.not_utf8", {"option": "-T", "position": 1}),
    (["--header", "X-A: \udcff"], ErrCode.OPTION, "cli.not_utf8", {"option": "--header"}),
    (["-h\udcff"], ErrCode.OPTION, "cli.not_utf8", {"option": "-h"}),
    (["-f", "\udcff"], ErrCode.OPTION, "cli.not_utf8", {"option": "-f"}),
    (["--helo=\udcff"], ErrCode.OPTION, "cli.not_utf8", {"option": "--helo"}),
    (["--to", "a\udcff@x"], ErrCode.OPTION, "cli.not_utf8", {"option": "--to"}),
    (["-s\ud800"], ErrCode.OPTION, "cli.not_utf8", {"byte": "U+D800"}),  # Windows: lone UTF-16
    (["--header=NoColon"], ErrCode.OPTION, "cli.bad_header", {}),
    (["--header=: empty name"], ErrCode.OPTION, "cli.bad_header", {}),
    (["--header=Bad Name: x"], ErrCode.OPTION, "cli.bad_header", {}),
    (["--header", "X-A: a\r\nBcc: evil@x"], ErrCode.OPTION, "cli.bad_header", {}),
]


@pytest.mark.parametrize(
    ("argv", "code", "msgid", "params"), BAD, ids=[" ".join(b[0]) for b in BAD]
)
def test_errors(argv: list[str], code: ErrCode, msgid: str, params: dict[str, object]) -> None:
    with pytest.raises(UsageError) as info:
        parse_args(argv)
    assert info.value.code is code
    assert info.value.msgid == msgid
    for key, value in params.items():
        assert info.value.params[key] == value
    assert msgid in CATALOGUE
    str(info.value)  # the message renders with the params it was given


@pytest.mark.parametrize(
    "codec", ["utf-8", "shift_jis", "cp932", "euc-jp", "iso-2022-jp", "utf-16", "latin-1", "utf-7"]
)
def test_body_encoding_accepts_character_sets(codec: str) -> None:
    assert parse_args([f"--body-encoding={codec}"]).overrides.message.body_encoding is not None


def test_file_names_may_hold_any_bytes() -> None:
    """POSIX file names need not be UTF-8: -F, -a, --html, --config... keep the raw bytes."""
    name = "b\udcff.txt"
    got = parse_args([f"-F{name}", f"-a{name}", "--html", name, "--config", name, "--cafile", name])
    message = got.overrides.message
    assert (message.body_file, message.attachments, message.html_file) == (name, (name,), name)
    assert (got.config, got.overrides.cafile) == (name, name)


def test_too_long_text_is_left_to_the_merge() -> None:
    long = "x" * 40000
    assert parse_args([f"-s{long}"]).overrides.message.subject == long


# the fields an option may set: CommandLine's and those of the records it holds
_FIELDS = {
    f.name
    for record in (CommandLine, Overrides, Mode, MessageSettings)
    for f in dataclasses.fields(record)
}


def test_table_matches_the_dataclass_and_the_catalogue() -> None:
    names = _FIELDS - {"overrides", "mode", "message", "recipients", "given"}
    assert sorted(spec.field for spec in OPTIONS) == sorted(names)
    shorts = [s.short for s in OPTIONS if s.short]
    longs = [s.long for s in OPTIONS if s.long]
    assert len(shorts) == len(set(shorts)) and len(longs) == len(set(longs))
    assert set(shorts) == set("hfsFTaptSdim?")
    for spec in OPTIONS:
        assert spec.help_id in CATALOGUE, spec.field
        assert spec.kind == Kind.FLAG or spec.metavar, spec.field


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_usage_lists_every_option_from_the_table(lang: str) -> None:
    text = usage_text("ja" if lang == "ja" else "en")
    for spec in OPTIONS:
        assert option_label(spec) in text
        en, ja = CATALOGUE[spec.help_id]
        assert (ja if lang == "ja" else en) in text
    assert "-h<host>" in text and "CC:" in text
    if lang == "ja":
        assert "使用方法" in text and "本文内容" in text


def test_usage_labels() -> None:
    by_field = {spec.field: spec for spec in OPTIONS}
    assert option_label(by_field["host"]) == "-h<host>, --host <host>"
    assert option_label(by_field["message_id"]) == "-m[<id>], --message-id[=<id>]"
    assert option_label(by_field["debug"]) == "-d, --debug"
    assert option_label(by_field["tz_adjust"]) == "-t"
    assert option_label(by_field["port"]) == "--port N"


# --- properties -----------------------------------------------------------------------------


_ARG = st.one_of(
    st.text(max_size=12),
    st.sampled_from([o for s in OPTIONS for o in s.spellings()] + ["--", "-", "-di", "--port"]),
    st.builds(lambda o, v: o + v, st.sampled_from(["-h", "-p", "-a", "--tls=", "-m"]), st.text()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ARG, max_size=8))
def test_any_argv_parses_or_raises_usage_error(argv: list[str]) -> None:
    try:
        got = parse_args(argv)
    except UsageError as err:
        assert err.code is ErrCode.OPTION and err.msgid in CATALOGUE
        str(err)
    else:
        assert all(isinstance(r, str) for r in got.overrides.message.recipients)
        assert got.given <= _FIELDS


@given(st.text())
def test_attached_value_is_kept_exactly(value: str) -> None:
    assert parse_args(["-s" + value]).overrides.message.subject == value
    assert parse_args(["-T" + value]).overrides.message.body_text == value
    assert parse_args(["--subject=" + value]).overrides.message.subject == value
