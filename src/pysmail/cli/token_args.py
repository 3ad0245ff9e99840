"""`smail-token` command line (argparse: this is not SMAIL's syntax, so the usual GNU style).

smail-token [--lang en|ja] login [--provider microsoft|google|generic] [--user ADDR]
            [--client-id ID] [--client-secret-file PATH | --public] [--issuer URL]
            [--auth-url URL] [--token-url URL] [--device-url URL] [--tenant T] [--scope S]...
            [--redirect-uri URI] [--port N] [--prompt P] [--no-browser] [--device | --app-only]
            [--certificate PEM [--private-key KEY]]
            [--timeout S] [--wait S] [--file PATH] [--account NAME] [--cafile PATH]
            [--proxy URL] [--keyring]
smail-token status [--file PATH]... [--account NAME] [--offline]
smail-token check [--file PATH] [--config smail.ini] [--account NAME] [--server HOST]
            [--port N] [--tls starttls|smtps|none] [--cafile PATH] [-d]
smail-token revoke|logout [--file PATH] [--account NAME]
smail-token access-token [--file PATH] [--account NAME] [--user ADDR]
            [--sasl xoauth2|oauthbearer]
smail-token setup [--port N] [--idle MINUTES] [--no-browser] [--account NAME]

--account NAME: the token file (and, for check and setup, the settings) of smail.ini's
[account NAME] section (docs/settings.md 3a); --file, when given too, names the token file.

The client secret never comes from argv: a hidden prompt, --client-secret-file, or
SMAIL_CLIENT_SECRET. A certificate (--app-only --certificate) is named by its file path only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from pysmail.errors import UsageError
from pysmail.exitcodes import ErrCode

__all__ = ["PROVIDERS", "build_parser", "parse_args"]

PROVIDERS = ("microsoft", "google", "generic")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(ErrCode.OPTION, "token.bad_args", detail=f"{self.prog}: {message}")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a TCP port: {text!r}")
    return int(text)


_ACCOUNT_HELP = "the [account NAME] of smail.ini (its token file)"


def _account(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", metavar="NAME", help=_ACCOUNT_HELP)


def build_parser() -> _Parser:
    """The smail-token argument parser (also the source of its man page)."""
    return _parser()


def _parser() -> _Parser:
    top = _Parser(prog="smail-token", description="Get and keep OAuth tokens for smail.")
    top.add_argument("--lang", choices=("en", "ja"))
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)

    login = sub.add_parser("login", help="sign in and save smail_refreshtoken.ini")
    login.add_argument("--provider", choices=PROVIDERS, default="microsoft")
    login.add_argument("--user", help="mail address (the SMTP user name)")
    login.add_argument("--client-id")
    login.add_argument("--client-secret-file", metavar="PATH")
    login.add_argument("--public", action="store_true", help="public client: no secret")
    login.add_argument("--issuer", help="OpenID issuer URL (generic): endpoints by discovery")
    login.add_argument("--auth-url")
    login.add_argument("--token-url")
    login.add_argument("--device-url")
    login.add_argument("--tenant", help="Microsoft: common, organizations, consumers or an id")
    login.add_argument("--scope", action="append", help="scope(s); replaces the preset's")
    login.add_argument("--redirect-uri")
    login.add_argument("--port", type=_port, help="listener port (with the default path)")
    login.add_argument("--prompt", help="prompt= for the authorization request")
    login.add_argument("--no-browser", action="store_true", help="print the URL only")
    mode = login.add_mutually_exclusive_group()
    mode.add_argument("--device", action="store_true", help="device code flow (RFC 8628)")
    mode.add_argument("--app-only", action="store_true", help="client credentials (app-only)")
    login.add_argument(
        "--certificate",
        metavar="PEM",
        help="app-only: authenticate with this certificate (private_key_jwt), not a secret",
    )
    login.add_argument(
        "--private-key",
        metavar="KEY",
        help="PEM private key of --certificate (default: in the certificate's PEM)",
    )
    login.add_argument("--timeout", type=_positive, default=30.0, help="OAUTH2_TIME_OUT")
    login.add_argument("--wait", type=_positive, help="seconds to wait for the sign-in")
    login.add_argument("--cafile")
    login.add_argument("--proxy")
    login.add_argument("--file", metavar="PATH")
    _account(login)
    login.add_argument(
        "--keyring",
        action="store_true",
        help="keep the refresh token in the OS keyring; the file holds a reference",
    )

    status = sub.add_parser("status", help="show stored accounts (never a token)")
    status.add_argument("--file", metavar="PATH", action="append")
    _account(status)
    status.add_argument("--offline", action="store_true", help="do not ask the provider")

    check = sub.add_parser("check", help="refresh, connect and authenticate (no mail)")
    check.add_argument("--file", metavar="PATH")
    check.add_argument("--config", metavar="PATH")
    _account(check)
    check.add_argument("--server")
    check.add_argument("--port", type=_port)
    check.add_argument("--tls", choices=("starttls", "smtps", "none"))
    check.add_argument("--cafile")
    check.add_argument("-d", "--debug", action="store_true")

    for name in ("revoke", "logout"):
        cmd = sub.add_parser(
            name, help="revoke at the provider" + (" and remove" * (name == "logout"))
        )
        cmd.add_argument("--file", metavar="PATH")
        _account(cmd)

    access = sub.add_parser("access-token", help="print a fresh access token")
    access.add_argument("--file", metavar="PATH")
    _account(access)
    access.add_argument("--user")
    access.add_argument("--sasl", choices=("xoauth2", "oauthbearer"))

    setup = sub.add_parser("setup", help="set up smail.ini and the token in a local web page")
    setup.add_argument("--port", type=_port, help="listen on this port (default 8001)")
    setup.add_argument("--idle", type=_positive, default=15.0, help="stop after MINUTES idle")
    setup.add_argument("--no-browser", action="store_true", help="print the address only")
    _account(setup)
    return top


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed command line.

    Raises: UsageError(OPTION, "token.secret_in_argv") when a secret option is on the command
    line (checked before argparse, whose messages would quote it); UsageError(OPTION,
    "token.bad_args") for anything argparse refuses.
    """
    for arg in argv:
        if arg.split("=", 1)[0] in ("--client-secret", "--secret", "--client_secret"):
            raise UsageError(ErrCode.OPTION, "token.secret_in_argv")
    return _parser().parse_args(list(argv))


def help_text() -> str:
    return _parser().format_help()
