"""`smail-token setup`: the local web server of the setup page (http.server, stdlib only).

Security of a web server on the user's own computer (docs/setup.md):
- bound to 127.0.0.1 only; port 8001 by default (the seed's Microsoft redirect
  http://localhost:8001/myapp/ is answered by this server itself), a free port when it is busy;
- every request must carry the one-time key (?k=, 192 random bits, compared in constant time),
  except the provider's redirect to CALLBACK_PATH, which must carry the `state` of the sign-in
  this page started (random, single use, constant-time compare);
- the Host header must be 127.0.0.1:PORT or localhost:PORT (421 otherwise: DNS rebinding);
- GET only shows; changes are POSTs with a CSRF token, a same-origin Origin when the browser
  sends one, and no cross-site Sec-Fetch-Site; after a POST the browser is sent back with 303;
- no secret is rendered (the page gets booleans), nothing is logged (log_message is silent);
  every response is no-store, frame-denied, under a nonce-only CSP, with Referrer-Policy
  same-origin (no Referer, so no key, reaches the provider; `no-referrer` would make Chrome
  send `Origin: null` on our own form posts);
- it stops when the page says Finish, or after `idle` seconds without a request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pysmail.errors import OAuthError, SmailError
from pysmail.exitcodes import ErrCode
from pysmail.messages import Lang, format_error, text
from pysmail.setup.actions import CALLBACK_PATH
from pysmail.setup.responses import send

if TYPE_CHECKING:
    import http.server

    from pysmail.oauth.http import HttpPort
    from pysmail.setup.flows import Session

__all__ = ["DEFAULT_IDLE", "DEFAULT_PORT", "MAX_BODY", "SetupServer"]

DEFAULT_PORT = 8001  # the seed's registered redirect: http://localhost:8001/myapp/
DEFAULT_IDLE = 15 * 60.0  # seconds without a request before the server stops
MAX_BODY = 64 * 1024  # the form is a few hundred bytes
_POLL = 0.2
_TEXT = "text/plain; charset=utf-8"
# the page's buttons and the section each one brings the browser back to
_ANCHORS = {"apply": "s-account", "defaults": "s-server", "token": "s-account",
            "test": "s-test", "save": "s-save", "done": ""}  # fmt: skip
_SOCKET_TIMEOUT = 30.0  # a connection that sends nothing (a browser's preconnect) is dropped


class SetupServer:
    """with SetupServer(cwd=..., env=..., lang=...) as server: print(server.url); server.serve()

    Raises (constructor): OAuthError(NO_ACCESS_TOKEN, "token.port_in_use" | "token.bind_failed")
    when an explicit `port` cannot be had.
    """

    def __init__(
        self,
        *,
        cwd: Path,
        env: Mapping[str, str],
        lang: Lang,
        port: int | None = None,
        idle: float = DEFAULT_IDLE,
        http: HttpPort | None = None,
        clock: Callable[[], float] = time.monotonic,
        account: str | None = None,
    ) -> None:
        import secrets

        from pysmail.setup.flows import load_existing

        self.lang: Lang = lang
        self.idle = idle
        self.key = secrets.token_urlsafe(24)
        self.csrf = secrets.token_urlsafe(24)
        self.session: Session = load_existing(cwd, env, account)
        self.saved: tuple[str, ...] = ()
        self.command = ""
        self._http = http
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.port_note = ""
        self._server = self._bind(port)
        self.port = int(self._server.server_address[1])
        if port is None and self.port != DEFAULT_PORT:
            self.port_note = text("setup.port_fallback", lang, wanted=DEFAULT_PORT, port=self.port)
        self._hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        self._origins = {f"http://{h}" for h in self._hosts}
        self._thread: threading.Thread | None = None
        self._launcher: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?k={self.key}"

    def write_launcher(self) -> Path:
        """A private file that sends the browser on to `url` (pysmail.setup.launcher)."""
        from pysmail.setup.launcher import write_launcher

        self._launcher = write_launcher(self.lang, self.url)
        return self._launcher

    def _drop_launcher(self) -> None:
        from pysmail.setup.launcher import drop_launcher

        path, self._launcher = self._launcher, None
        drop_launcher(path)

    # -- lifecycle --------------------------------------------------------------------------

    def _bind(self, port: int | None) -> http.server.HTTPServer:
        from pysmail.oauth.redirect import is_addr_in_use

        try:
            return self._make(DEFAULT_PORT if port is None else port)
        except OSError as exc:
            if port is None and is_addr_in_use(exc):
                return self._make(0)
            wanted = DEFAULT_PORT if port is None else port
            if is_addr_in_use(exc):
                raise OAuthError(ErrCode.NO_ACCESS_TOKEN, "token.port_in_use", port=wanted) from exc
            raise OAuthError(
                ErrCode.NO_ACCESS_TOKEN, "token.bind_failed", host="127.0.0.1", port=wanted,
                reason=exc.strerror or type(exc).__name__,
            ) from exc  # fmt: skip

    def _make(self, port: int) -> http.server.HTTPServer:
        import http.server
        import socketserver

        from pysmail.oauth.redirect import LoopbackHTTPServer

        owner = self

        # ThreadingHTTPServer's own bases, on the shared loopback server (reuse/exclusive bind,
        # no traceback for a browser that hangs up)
        class Server(socketserver.ThreadingMixIn, LoopbackHTTPServer):
            daemon_threads = True

        class Handler(http.server.BaseHTTPRequestHandler):
            server_version = "smail-setup"
            sys_version = ""
            timeout = _SOCKET_TIMEOUT

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # URLs hold the key and the sign-in code: never log them

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner._handle(self, "POST")

            def _other(self) -> None:
                send(self, 405, b"method not allowed", _TEXT, extra={"Allow": "GET, POST"})

            do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _other  # noqa: N815

        return Server(("127.0.0.1", port), Handler)

    def serve(self) -> str:
        """Serve until Finish ("done") or `idle` seconds without a request ("idle")."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": _POLL}, daemon=True
        )
        self._thread.start()
        while True:
            if self._done.wait(_POLL):
                return "done"
            if self._clock() - self._last > self.idle:
                return "idle"

    def close(self) -> None:
        self._drop_launcher()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> SetupServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP ---------------------------------------------------------------------------------

    def _refuse(self, req: http.server.BaseHTTPRequestHandler, status: int, msgid: str,
                lang: Lang) -> None:  # fmt: skip
        import secrets

        from pysmail.setup.page import render_refusal

        nonce = secrets.token_urlsafe(16)
        send(req, status, render_refusal(lang, msgid, nonce), nonce=nonce)

    def _redirect(self, req: http.server.BaseHTTPRequestHandler, location: str) -> None:
        send(req, 303, b"", "text/plain; charset=utf-8", extra={"Location": location})

    def _page_url(self, lang: str, anchor: str = "") -> str:
        """Relative: the browser stays on the host name it used (127.0.0.1 or localhost)."""
        return f"/?k={self.key}&lang={lang}" + (f"#{anchor}" if anchor else "")

    def _handle(self, req: http.server.BaseHTTPRequestHandler, method: str) -> None:
        import hmac
        from urllib.parse import parse_qs, urlsplit

        from pysmail.setup.request import page_lang

        host = (req.headers.get("Host") or "").lower()
        if host not in self._hosts:
            send(req, 421, b"misdirected request", _TEXT)
            return
        parts = urlsplit(req.path)
        query = parse_qs(parts.query, keep_blank_values=True, max_num_fields=20)
        lang = page_lang(query, req.headers.get("Accept-Language"), self.lang)
        if method == "GET" and parts.path == CALLBACK_PATH:
            self._callback(req, parts.query, lang)
            return
        keys = query.get("k", [])
        given = keys[0] if len(keys) == 1 else ""
        if not hmac.compare_digest(given.encode(), self.key.encode()):
            self._refuse(req, 403, "setup.forbidden", lang)
        elif parts.path != "/":
            send(req, 404, b"not found", _TEXT)
        else:
            self._page(req, method, set(query), lang)

    def _page(self, req: http.server.BaseHTTPRequestHandler, method: str, asked: set[str],
              lang: Lang) -> None:  # fmt: skip
        """The page itself (the key checked): GET shows it, POST presses a button."""
        self._drop_launcher()  # used: the browser is on the page
        self._last = self._clock()
        if method == "POST":
            self._post(req, lang)
        elif asked - {"k", "lang"}:  # a GET never changes anything
            send(req, 405, b"changes need POST", _TEXT, extra={"Allow": "POST"})
        else:
            with self._lock:
                self._show(req, lang)

    def _show(self, req: http.server.BaseHTTPRequestHandler, lang: Lang) -> None:
        import secrets

        from pysmail.fs.userdirs import user_config_dir
        from pysmail.setup.page import PageView, render_page

        s = self.session
        nonce = secrets.token_urlsafe(16)
        home = Path(s.env["HOME"]) if s.env.get("HOME") else None
        token_note = ""
        if s.login is None and s.stored_token is not None:
            token_note = text("setup.token_stored", lang, user=s.draft.user, path=s.stored_token)
        view = PageView(
            lang=lang,
            key=self.key,
            csrf=self.csrf,
            nonce=nonce,
            port=self.port,
            draft=s.draft,
            errors=dict(s.errors),
            notices=dict(s.notices),
            secret_stored=bool(s.client_secret),
            password_stored=bool(s.password),
            token_note=s.scrubber.scrub(token_note),
            user_dir=str(user_config_dir(s.env, home=home)),
            saved=self.saved,
            command=self.command,
            port_note=self.port_note,
            account=s.account,
        )
        send(req, 200, render_page(view), nonce=nonce)

    def _callback(self, req: http.server.BaseHTTPRequestHandler, query: str, lang: Lang) -> None:
        """The provider's redirect: only the pending sign-in's `state` opens this door."""
        from urllib.parse import parse_qs

        from pysmail.setup.flows import finish_login, match_pending

        params = parse_qs(query, keep_blank_values=True, max_num_fields=20)
        states = params.get("state", [])
        with self._lock:
            pending = match_pending(self.session, states[0] if len(states) == 1 else "")
            if pending is None:
                self._refuse(req, 403, "setup.no_login", lang)
                return
            self._last = self._clock()
            finish_login(self.session, pending, req.path, self._http_port())
        self._redirect(req, self._page_url(pending.lang, "s-account"))

    def _http_port(self) -> HttpPort:
        if self._http is None:
            from pysmail.oauth.http import UrllibPort

            self._http = UrllibPort()
        return self._http

    def _post(self, req: http.server.BaseHTTPRequestHandler, lang: Lang) -> None:
        import hmac

        from pysmail.setup.request import Refusal, from_other_site, read_form

        if from_other_site(req, self._origins):
            self._refuse(req, 403, "setup.stale_form", lang)
            return
        form = read_form(req, MAX_BODY)
        if isinstance(form, Refusal):
            send(req, form.status, form.body, form.ctype)
        elif not hmac.compare_digest(form.get("csrf", "").encode(), self.csrf.encode()):
            self._refuse(req, 403, "setup.stale_form", lang)
        else:
            with self._lock:
                self._act(req, form.get("action", "apply"), form, lang)

    def _act(self, req: http.server.BaseHTTPRequestHandler, action: str,
             form: Mapping[str, str], lang: Lang) -> None:  # fmt: skip
        """One button: update the draft and secrets from the form, do the action, and send the
        browser back to the page (303), to the provider (token), or to the done page."""
        from pysmail.setup.actions import draft_from_form

        if action not in _ANCHORS:
            send(req, 400, b"unknown action", _TEXT)
            return
        s = self.session
        s.draft = draft_from_form(form)
        typed = s.take_secrets(form)  # a typed secret with a line break is refused here
        s.errors = dict(typed)
        if action == "done":
            self._finish(req, lang)
            return
        self._check(action, typed)
        url = None if s.errors else self._perform(action, lang)
        self._redirect(req, url or self._page_url(lang, _ANCHORS[action]))

    def _finish(self, req: http.server.BaseHTTPRequestHandler, lang: Lang) -> None:
        import secrets

        from pysmail.setup.page import render_done

        nonce = secrets.token_urlsafe(16)
        send(req, 200, render_done(lang, nonce), nonce=nonce)
        self._done.set()

    def _check(self, action: str, typed: Mapping[str, str]) -> None:
        """The defaults button sets the provider's server; the others check what they need."""
        from pysmail.setup.actions import apply_defaults, validate

        s = self.session
        if action == "defaults":
            s.draft = apply_defaults(s.draft)
        elif action in ("token", "test", "save"):
            # a kept secret goes only where it was saved: another server needs it typed again
            s.errors = {**s.stale_secrets(action), **typed, **validate(s.draft, need=action)}  # type: ignore[arg-type]

    def _perform(self, action: str, lang: Lang) -> str | None:
        """Do a checked action: the provider's URL for the token button, else None (back to
        the page, where a failure shows in the action's section)."""
        from pysmail.setup.actions import redirect_uri
        from pysmail.setup.flows import Notice, start_login
        from pysmail.setup.test_mail import send_test

        s = self.session
        section = action if action in ("test", "save") else "token"
        try:
            if action == "token":
                redirect = redirect_uri(s.draft.provider, self.port)
                url = start_login(s, self._http_port(), redirect, lang)
                s.notices.pop("token", None)
                return url
            if action == "test":
                s.notices["test"] = send_test(s, lang)
            elif action == "save":
                from pysmail.setup.save import save_for_page

                self.saved, self.command = save_for_page(s, lang)
                s.notices.pop("save", None)
        except SmailError as err:
            title = {
                "token": text("setup.token_failed", lang),
                "test": text("setup.test_failed", lang, code=f"{int(err.code):04d}"),
            }.get(section, "")
            s.notices[section] = Notice(False, title, s.scrubber.scrub(format_error(err, lang)))
        return None
