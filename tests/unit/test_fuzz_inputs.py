"""Bad input beyond the table of tests/cli/test_bad_inputs.py: arbitrary text, bytes and file names
through the INI reader, the token-file reader, the whole command and the MIME composer. Each input
gives either a result that reads back to the same content or a clean ERR, never a traceback.
"""

from __future__ import annotations

import email
import email.policy
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pysmail.cli.smail_main import main
from pysmail.config.ini import parse_ini
from pysmail.errors import SmailError
from pysmail.exitcodes import ErrCode
from pysmail.mime.addresses import parse_address
from pysmail.mime.compose import MessageSpec, compose_bytes
from pysmail.oauth.tokenfile import parse_token_file

INI = Path("/nonexistent/smail.ini")
CODES = {int(code) for code in ErrCode}


@given(st.binary(max_size=600))
def test_ini_reader_takes_any_bytes(data: bytes) -> None:
    from pysmail.config.ini import decode_ini

    try:
        parse_ini(decode_ini(data, INI), INI)
    except SmailError as err:
        assert err.code in (ErrCode.CONFIG, ErrCode.ENCODING), err.code


_INI_LINE = st.one_of(
    st.sampled_from(["[smail]", "[pop_before_smtp]", "[other]", "", "; note", "# note"]),
    st.builds(
        "{} = {}".format,
        st.sampled_from(
            ["server", "port", "tls", "auth", "user", "from", "charset", "timeout", "proxy",
             "retry", "queue", "pacing", "enabled", "apop", "wait_ms", "cafile", "x"]
        ),
        st.text(max_size=20).filter(lambda v: "\n" not in v and "\r" not in v),
    ),
)  # fmt: skip


@given(st.lists(_INI_LINE, max_size=12))
def test_ini_reader_takes_any_keys_and_values(lines: list[str]) -> None:
    try:
        parse_ini("\n".join(lines) + "\n", INI)
    except SmailError as err:
        assert err.code is ErrCode.CONFIG, err.code


@given(st.binary(max_size=600))
def test_token_file_reader_takes_any_bytes(data: bytes) -> None:
    try:
        parse_token_file(Path("/nonexistent/smail_refreshtoken.ini"), data)
    except SmailError as err:
        assert err.code is ErrCode.NO_ACCESS_TOKEN, err.code


_ARG = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-h", "-f", "-s", "-T", "-F", "-a", "-p", "-m", "-d", "-i", "-S", "-t",
                     "--port", "--tls", "--auth", "--retry", "--queue", "--dry-run", "a@b.test",
                     "CC:c@d.test", "--charset", "--header", "--proxy", "--batch", "--eml"]),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ARG, max_size=7))
def test_the_command_never_shows_a_traceback(argv: list[str]) -> None:
    folder = Path("/nonexistent-pysmail-fuzz")
    out = io.StringIO()
    # --dry-run keeps every run off the network; no smail.ini exists in this environment.
    code = main(
        [*argv, "--dry-run"],
        stdout=out,
        environ={"LANG": "C", "HOME": str(folder)},
        cwd=folder,
    )
    text = out.getvalue()
    assert code in CODES
    assert "Traceback" not in text
    assert code != ErrCode.UNKNOWN, text  # an internal error would be a bug
    if code and "-S" not in argv:
        assert f"ERR-{code:04d}:" in text


_NAME = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\\x00"),
    min_size=1,
    max_size=40,
    # Windows allows no leading/trailing spaces in names, and Python's reader strips them from
    # the quoted parameter we write (RFC 2045 keeps them): such names are left out. So are
    # names wrapped in double quotes (Windows forbids `"`): Python's reader unquotes a
    # parameter twice, in every encoding, and reads `"a"` as `a`;
    # test_a_name_in_double_quotes_is_written_as_is checks what we write for them.
).filter(
    lambda n: n.strip(" .") != "" and n == n.strip() and not (len(n) > 1 and n[0] == n[-1] == '"')
)


def test_a_name_in_double_quotes_is_written_as_is(tmp_path: Path) -> None:
    """`"a"` and `""` go as RFC 2045 quoted strings with the quotes escaped, as any reader
    but Python's (which unquotes twice) reads back to the name."""
    for name, written in (('"a"', rb'filename="\"a\""'), ('""', rb'filename="\"\""')):
        attachment = tmp_path / name
        attachment.write_bytes(b"x")
        spec = MessageSpec(
            from_=parse_address("a@example.test"),
            to=(parse_address("b@example.test"),),
            subject="s",
            text="x",
            attachments=(attachment,),
            message_id="",
        )
        assert written in compose_bytes(spec)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_NAME, body=st.binary(max_size=300), subject=st.text(max_size=60))
def test_any_file_name_and_bytes_come_back(
    tmp_path: Path, name: str, body: bytes, subject: str
) -> None:
    path = tmp_path / "files"
    path.mkdir(exist_ok=True)
    try:
        attachment = path / name
        attachment.write_bytes(body)
    except OSError:
        return  # a name this file system refuses (too long in bytes, say)
    spec = MessageSpec(
        from_=parse_address("a@example.test"),
        to=(parse_address("b@example.test"),),
        subject=subject.replace("\r", " ").replace("\n", " "),
        text="x",
        attachments=(attachment,),
        message_id="",
    )
    try:
        raw = compose_bytes(spec)
    except SmailError as err:
        assert err.code in (ErrCode.OPTION, ErrCode.ENCODING), err.code
        return
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [p for p in msg.walk() if p.get_filename() is not None]
    assert len(parts) == 1
    assert parts[0].get_filename() == name
    assert parts[0].get_payload(decode=True) == body
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
