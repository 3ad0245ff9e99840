"""The setup page as HTML. Every value that is not a fixed string of this module goes through
html.escape (attributes included); no secret is ever given to these functions (PageView has
only booleans for them)."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

from pysmail.messages import Lang, text
from pysmail.record import field, record
from pysmail.setup.actions import (
    AUTH_CHOICES,
    CHARSETS,
    POP_TLS_CHOICES,
    PROVIDERS,
    TLS_CHOICES,
    Draft,
    provider_defaults,
    redirect_uri,
)
from pysmail.setup.assets import SCRIPT, STYLE
from pysmail.setup.flows import Notice

__all__ = ["PageView", "render_done", "render_launcher", "render_page", "render_refusal"]


@record
class PageView:
    lang: Lang
    key: str  # the one-time key, for this page's own links and form
    csrf: str
    nonce: str  # CSP nonce of the inline style and script
    port: int
    draft: Draft
    errors: Mapping[str, str] = field(default_factory=dict)
    notices: Mapping[str, Notice] = field(default_factory=dict)
    secret_stored: bool = False
    password_stored: bool = False
    token_note: str = ""
    user_dir: str = ""
    saved: tuple[str, ...] = ()
    command: str = ""
    port_note: str = ""
    account: str | None = None  # the [account NAME] of smail.ini being edited


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _account_line(view: PageView, t: Callable[..., str]) -> str:
    """Which [account NAME] of smail.ini the page edits (docs/settings.md 3a); none: [smail]."""
    if view.account is None:
        return ""
    return f"<p><strong>{e(t('setup.editing_account', name=view.account))}</strong></p>"


def _head(lang: Lang, title: str, nonce: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin"><link rel="icon" href="data:,">'
        f'<title>{e(title)}</title><style nonce="{e(nonce)}">{STYLE}</style></head>'
    )


class _Form:
    """Field rendering with the view's language, values and errors."""

    def __init__(self, view: PageView) -> None:
        self.v = view

    def t(self, msgid: str, **params: object) -> str:
        return text(msgid, self.v.lang, **params)

    def _label(self, name: str, msgid: str) -> str:
        return f'<label for="f-{e(name)}">{e(self.t(msgid))}</label>'

    def _after(self, name: str, help_id: str | None, **params: object) -> tuple[str, str]:
        """(aria attributes, help + error html)."""
        parts, ids = [], []
        if help_id:
            parts.append(f'<p class="help" id="h-{e(name)}">{e(self.t(help_id, **params))}</p>')
            ids.append(f"h-{name}")
        err = self.v.errors.get(name)
        attrs = ""
        if err:
            parts.append(f'<p class="err" id="e-{e(name)}" role="alert">{e(self.t(err))}</p>')
            ids.append(f"e-{name}")
            attrs = ' aria-invalid="true"'
        if ids:
            attrs += f' aria-describedby="{e(" ".join(ids))}"'
        return attrs, "".join(parts)

    def row(self, inner: str, only: str | None = None) -> str:
        data = f' data-only="{e(only)}"' if only else ""
        return f'<div class="row"{data}>{inner}</div>'

    def input(
        self,
        name: str,
        msgid: str,
        help_id: str | None = None,
        *,
        kind: str = "text",
        only: str | None = None,
        extra: str = "",
        value: str | None = None,
        **params: object,
    ) -> str:
        attrs, after = self._after(name, help_id, **params)
        shown = getattr(self.v.draft, name) if value is None else value
        return self.row(
            self._label(name, msgid)
            + f'<input type="{e(kind)}" id="f-{e(name)}" name="{e(name)}" value="{e(shown)}"'
            + f"{attrs}{extra}>"
            + after,
            only,
        )

    def secret(self, name: str, msgid: str, help_id: str, stored: bool, stored_id: str,
               only: str | None = None) -> str:  # fmt: skip
        """A password field that is always sent empty: a stored secret is never rendered."""
        attrs, after = self._after(name, help_id)
        note = f'<p class="help">{e(self.t(stored_id))}</p>' if stored else ""
        return self.row(
            self._label(name, msgid)
            + f'<input type="password" id="f-{e(name)}" name="{e(name)}" value=""'
            + f' autocomplete="new-password"{attrs}>'
            + note
            + after,
            only,
        )

    def select(self, name: str, msgid: str, options: list[tuple[str, str, str]],
               help_id: str | None = None, only: str | None = None) -> str:  # fmt: skip
        """`options`: (value, label, extra attributes already escaped)."""
        attrs, after = self._after(name, help_id)
        current = getattr(self.v.draft, name)
        items = "".join(
            f'<option value="{e(value)}"{" selected" if value == current else ""}{extra}>'
            f"{e(label)}</option>"
            for value, label, extra in options
        )
        return self.row(
            self._label(name, msgid)
            + f'<select id="f-{e(name)}" name="{e(name)}"{attrs}>{items}</select>'
            + after,
            only,
        )

    def checkbox(self, name: str, msgid: str, checked: bool, help_id: str | None = None) -> str:
        attrs, after = self._after(name, help_id)
        mark = " checked" if checked else ""
        return self.row(
            f'<input type="checkbox" id="f-{e(name)}" name="{e(name)}" value="1"{mark}{attrs}>'
            f'<label class="inline" for="f-{e(name)}">{e(self.t(msgid))}</label>{after}'
        )

    def notice(self, section: str) -> str:
        found = self.v.notices.get(section)
        if found is None:
            return ""
        cls = "notice" if found.ok else "notice bad"
        role = "status" if found.ok else "alert"
        detail = f"<pre>{e(found.detail)}</pre>" if found.detail else ""
        return (
            f'<div class="{cls}" role="{role}" id="n-{e(section)}">'
            f"<p>{e(found.text)}</p>{detail}</div>"
        )

    def button(self, action: str, msgid: str, primary: bool = False) -> str:
        cls = ' class="primary"' if primary else ""
        return (
            f'<button type="submit" name="action" value="{e(action)}" id="b-{e(action)}"{cls}>'
            f"{e(self.t(msgid))}</button>"
        )


def _provider_options(f: _Form) -> list[tuple[str, str, str]]:
    options = []
    for key in PROVIDERS:
        d = provider_defaults(key)
        data = (
            f' data-server="{e(d.server)}" data-port="{e(d.port)}" data-tls="{e(d.tls)}"'
            f' data-auth="{e(d.auth)}" data-redirect="{e(redirect_uri(key, f.v.port))}"'
        )
        options.append((key, f.t(f"setup.provider_{key}"), data))
    return options


def render_page(view: PageView) -> bytes:
    """The whole setup page."""
    f = _Form(view)
    t, lang = f.t, view.lang
    base = f"/?k={e(view.key)}"
    body = (
        f"<body><header><h1>{e(t('setup.title'))}</h1>{_language_switch(view, t, base)}</header>"
        f"<main><p>{e(t('setup.intro'))}</p>{_account_line(view, t)}{_alerts(view, t)}"
        f'<form id="setup" method="post" action="{base}&amp;lang={e(lang)}" '
        f'accept-charset="utf-8" autocomplete="off">'
        f'<input type="hidden" name="csrf" value="{e(view.csrf)}">'
        # Enter in a text field presses the form's first button: make it the harmless one.
        f'<button type="submit" name="action" value="apply" class="hidden-default" '
        f'tabindex="-1" aria-hidden="true">{e(t("setup.apply"))}</button>'
        f"{_account(f)}{_server(f)}{_test(f)}{_save(f)}</form></main>"
        f'<script nonce="{e(view.nonce)}">{SCRIPT}</script></body></html>'
    )
    return (_head(lang, t("setup.title"), view.nonce) + body).encode("utf-8")


def _language_switch(view: PageView, t: Callable[..., str], base: str) -> str:
    links = "".join(
        f'<a href="{base}&amp;lang={code}" hreflang="{code}" lang="{code}"'
        + (' aria-current="page"' if view.lang == code else "")
        + f">{name}</a>"
        for code, name in (("en", "English"), ("ja", "日本語"))
    )
    return f'<nav aria-label="{e(t("setup.language"))}">{links}</nav>'


def _alerts(view: PageView, t: Callable[..., str]) -> str:
    """The port note and the summary of errors above the form."""
    shown = ""
    if view.port_note:
        shown += f'<div class="notice bad"><p>{e(view.port_note)}</p></div>'
    if view.errors:
        shown += f'<div class="notice bad" role="alert"><p>{e(t("setup.errors_summary"))}</p></div>'
    return shown


def _account(f: _Form) -> str:
    t, view = f.t, f.v
    return "".join(
        [
            f'<fieldset id="s-account"><legend>{e(t("setup.account"))}</legend>',
            f.select("provider", "setup.provider", _provider_options(f), "setup.help_provider"),
            f.input("user", "setup.user", "setup.help_user", kind="email",
                    extra=' autocomplete="email"'),
            f.input("client_id", "setup.client_id", "setup.help_client_id",
                    extra=' autocomplete="off" spellcheck="false"'),
            f.secret("client_secret", "setup.client_secret", "setup.help_client_secret",
                     view.secret_stored, "setup.secret_stored"),
            f.checkbox("secret_clear", "setup.secret_clear", False) if view.secret_stored else "",
            f.input("tenant", "setup.tenant", "setup.help_tenant", only="microsoft",
                    extra=' placeholder="common"'),
            f.input("issuer", "setup.issuer", "setup.help_issuer", kind="url", only="generic"),
            f.input("scope", "setup.scope", "setup.help_scope", extra=' spellcheck="false"'),
            f.row(
                f'<label>{e(t("setup.redirect"))}</label>'
                f'<code id="redirect-uri">{e(redirect_uri(view.draft.provider, view.port))}</code>'
                f'<p class="help">{e(t("setup.help_redirect"))}</p>'
            ),
            f'<p id="token-state">{e(view.token_note or t("setup.token_none"))}</p>',
            f.notice("token"),
            f.button("token", "setup.get_token", primary=True),
            "</fieldset>",
        ]
    )  # fmt: skip


def _upper_or_none(f: _Form, choices: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """A select's options shown in capitals; "none" in words."""
    return [(v, v.upper() if v != "none" else f.t("setup.auth_none"), "") for v in choices]


def _server(f: _Form) -> str:
    t, view = f.t, f.v
    tls = [(v, t(f"setup.tls_{v}"), "") for v in TLS_CHOICES]
    charsets = [(v, v, "") for v in CHARSETS]
    return "".join(
        [
            f'<fieldset id="s-server"><legend>{e(t("setup.server_section"))}</legend>',
            f.button("defaults", "setup.defaults_button"),
            '<div class="grid">',
            f.input("server", "setup.server", "setup.help_server", extra=' spellcheck="false"'),
            f.input("port", "setup.port", extra=' inputmode="numeric"'),
            f.select("tls", "setup.tls", tls),
            f.select("auth", "setup.auth", _upper_or_none(f, AUTH_CHOICES)),
            "</div>",
            f'<p class="help">{e(t("setup.help_auth"))}</p>',
            f.secret("password", "setup.password", "setup.help_password", view.password_stored,
                     "setup.password_stored", only="plain login cram-md5"),
            f.input("sender", "setup.sender", "setup.help_sender"),
            f.select("charset", "setup.charset", charsets, "setup.help_charset"),
            f.input("cafile", "setup.cafile", "setup.help_cafile", extra=' spellcheck="false"'),
            f'<fieldset id="s-pop"><legend>{e(t("setup.pop_section"))}</legend>',
            f.checkbox("pop_enabled", "setup.pop_enabled", view.draft.pop_enabled,
                       "setup.help_pop"),
            '<div class="grid">',
            f.input("pop_server", "setup.pop_server"),
            f.input("pop_port", "setup.pop_port", extra=' inputmode="numeric"'),
            f.select("pop_tls", "setup.pop_tls", _upper_or_none(f, POP_TLS_CHOICES)),
            f.input("pop_user", "setup.pop_user"),
            "</div></fieldset></fieldset>",
        ]
    )  # fmt: skip


def _test(f: _Form) -> str:
    return "".join(
        [
            f'<fieldset id="s-test"><legend>{e(f.t("setup.test_section"))}</legend>',
            f.input("test_to", "setup.test_to", "setup.help_test_to", kind="email"),
            f.button("test", "setup.test_button"),
            f.notice("test"),
            "</fieldset>",
        ]
    )


def _saved(view: PageView, t: Callable[..., str]) -> str:
    """Where the files went and how to run smail with them; empty until saved."""
    if not view.saved:
        return ""
    return (
        f'<div class="notice" role="status" id="n-saved"><p>'
        f"{e(t('setup.saved', paths=', '.join(view.saved)))}</p>"
        f'<p>{e(t("setup.command"))}</p><pre id="command">{e(view.command)}</pre></div>'
    )


def _save(f: _Form) -> str:
    return "".join(
        [
            f'<fieldset id="s-save"><legend>{e(f.t("setup.save_section"))}</legend>',
            f.input("folder", "setup.folder", "setup.help_folder", user_dir=f.v.user_dir,
                    extra=' spellcheck="false"'),
            f.button("save", "setup.save_button", primary=True),
            f.notice("save"),
            _saved(f.v, f.t),
            f.button("done", "setup.done_button"),
            "</fieldset>",
        ]
    )  # fmt: skip


def render_done(lang: Lang, nonce: str) -> bytes:
    """The page after Finish: the server is stopping."""
    title = text("setup.done_title", lang)
    body = f"<body><main><h1>{e(title)}</h1><p>{e(text('setup.done_text', lang))}</p></main></body>"
    return (_head(lang, title, nonce) + body + "</html>").encode("utf-8")


def render_refusal(lang: Lang, msgid: str, nonce: str) -> bytes:
    """A refused request's page (wrong key, stale form, no sign-in waiting)."""
    title = text("setup.title", lang)
    body = f"<body><main><h1>{e(title)}</h1><p>{e(text(msgid, lang))}</p></main></body>"
    return (_head(lang, title, nonce) + body + "</html>").encode("utf-8")


def render_launcher(lang: Lang, url: str) -> bytes:
    """The launcher file's HTML: it sends the browser on to `url` (which holds the key) at once,
    as Jupyter's does; a link for a browser that does not follow a refresh. No script, and no
    Referer from a file anyway."""
    title = text("setup.title", lang)
    return (
        f'<!DOCTYPE html><html lang="{e(lang)}"><head><meta charset="utf-8">'
        f'<meta name="referrer" content="no-referrer">'
        f'<meta http-equiv="refresh" content="0;url={e(url)}"><title>{e(title)}</title></head>'
        f'<body><p><a href="{e(url)}">{e(title)}</a></p></body></html>'
    ).encode()
