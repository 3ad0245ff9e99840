"""smail.ini's pacing overrides (`pacing_per_minute` & co., docs/reliability.md 3): parsed,
merged and applied to the preset's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from pysmail.app.pacer import pacer as _pacer
from pysmail.cli.smail_args import parse_args
from pysmail.config.ini import parse_ini
from pysmail.config.limits import Limits
from pysmail.config.merge import merge
from pysmail.config.model import Settings
from pysmail.errors import ConfigError
from pysmail.exitcodes import ErrCode

INI = Path("/etc/pysmail/smail.ini")
KEYS = (
    "pacing_per_minute",
    "pacing_per_day",
    "pacing_recipients_per_day",
    "pacing_recipients_per_message",
)


def settings(ini_text: str) -> Settings:
    return merge(
        parse_args(["-hsmtp.example.com", "you@example.com"]).overrides, parse_ini(ini_text, INI)
    )


def limits(ini_text: str) -> Limits | None:
    pacer = _pacer(settings(ini_text))
    return None if pacer is None else pacer.limits


@pytest.mark.parametrize("key", KEYS)
def test_every_override_key_is_known_and_read(key: str) -> None:
    ini = parse_ini(f"[smail]\n{key} = 7\n", INI)
    assert ini.unknown == ()
    assert getattr(ini, key) == 7


def test_the_keys_override_the_preset_and_zero_removes_a_limit() -> None:
    text = "[smail]\npacing = microsoft365\nPacing_Per_Minute = 20\npacing_recipients_per_day = 0\n"
    assert limits(text) == Limits("microsoft365", 20, None, None, 500)


def test_a_key_not_written_keeps_the_presets_value() -> None:
    assert limits("[smail]\npacing = gmail\npacing_per_minute = 5\n") == Limits(
        "gmail", 5, 500, None, 100
    )


def test_overrides_alone_set_limits_of_their_own() -> None:
    assert limits("[smail]\npacing_per_minute = 10\n") == Limits("smail.ini", 10)
    assert limits("[smail]\npacing = none\npacing_recipients_per_message = 3\n") == Limits(
        "smail.ini", recipients_per_message=3
    )


def test_no_limit_left_means_no_pacing() -> None:
    assert limits("[smail]\n") is None
    assert limits("[smail]\npacing_per_day = 0\n") is None
    zero_all = "[smail]\npacing = gmail\npacing_per_day = 0\npacing_recipients_per_message = 0\n"
    assert limits(zero_all) is None


def test_an_empty_value_is_as_if_absent() -> None:
    assert limits("[smail]\npacing = gmail\npacing_per_day =\n") == Limits(
        "gmail", None, 500, None, 100
    )


@pytest.mark.parametrize("value", ["-1", "ten", "1.5", "1e3", "100000001", "٣"])
def test_a_bad_value_is_a_settings_error_naming_the_key(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_ini(f"[smail]\npacing_per_minute = {value}\n", INI)
    err = info.value
    assert err.code == ErrCode.CONFIG and err.msgid == "config.bad_value"
    assert err.params["key"] == "pacing_per_minute" and err.params["expected"] == "0..100000000"


def test_the_overrides_reach_the_reliability_settings_in_order() -> None:
    text = "[smail]\npacing_recipients_per_message = 4\npacing_per_minute = 9\n"
    rel = settings(text).reliability
    assert dict(rel.pacing_overrides) == {"per_minute": 9, "recipients_per_message": 4}
