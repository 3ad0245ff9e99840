"""Catalogue entries of `smail-token status`, `check` and `revoke` / `logout`: message id ->
(english, japanese).

The login and its progress are in catalog/token.py.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- status
    "token.status_block": (
        "{path}\n"
        "  provider:      {provider}\n"
        "  user:          {user}\n"
        "  client ID:     {client}\n"
        "  grant:         {grant}\n"
        "  scopes:        {scopes}\n"
        "  access token:  {access}\n"
        "  refresh token: {refresh}\n"
        "  dies by:       {dies}\n"
        "  rule:          {rule}",
        "{path}\n"
        "  プロバイダー:        {provider}\n"
        "  ユーザー:            {user}\n"
        "  クライアント ID:     {client}\n"
        "  グラント:            {grant}\n"
        "  スコープ:            {scopes}\n"
        "  アクセストークン:    {access}\n"
        "  リフレッシュトークン: {refresh}\n"
        "  失効予定（遅くとも）: {dies}\n"
        "  規則:                {rule}",
    ),
    "token.access_none": (
        "none cached (the next send gets one)",
        "キャッシュなし（次の送信時に取得）",
    ),
    "token.access_valid": (
        "valid until {when} ({minutes} min left)",
        "{when} まで有効（残り {minutes} 分）",
    ),
    "token.access_expired": (
        "expired at {when} (the next send refreshes it)",
        "{when} に期限切れ（次の送信時に更新）",
    ),
    "token.refresh_age": (
        "obtained {when} ({days} days ago), last used {last}",
        "{when} に取得（{days} 日前）、最終使用 {last}",
    ),
    "token.refresh_unknown": (
        "age unknown (this file was not written by smail-token login); last used {last}",
        "取得日時不明（smail-token login で作成されたファイルではありません）。最終使用 {last}",
    ),
    "token.refresh_none": ("none (app-only)", "なし（アプリ専用）"),
    "token.active_yes": ("; the provider says it is active", "。プロバイダーは有効と回答"),
    "token.active_no": (
        "; REVOKED or expired: the provider says it is no longer active. Run `smail-token login`",
        "。失効しています: プロバイダーは無効と回答しました。`smail-token login` を実行して下さい",
    ),
    "token.unknown": ("unknown", "不明"),
    "token.never": ("never", "なし"),
    "token.dies_soon": (
        "{when}  <- WARNING: renew with `smail-token login` before then",
        "{when}  <- 警告: それまでに `smail-token login` で更新して下さい",
    ),
    "token.rule_microsoft": (
        "Microsoft: 90 days without use (each refresh restarts the clock; Conditional Access may "
        "shorten it)",
        "Microsoft: 90 日間使われないと失効（更新のたびに期間は延長。条件付きアクセスで短くなる場合あり）",
    ),
    "token.rule_google": (
        "Google: 7 days after consent while the app is in Testing status (publish it to "
        "In production), else 6 months without use",
        "Google: アプリが「テスト」状態の間は同意から 7 日（「本番環境」に公開して下さい）、それ以外は"
        " 6 か月使われないと失効",
    ),
    "token.rule_generic": (
        "set by the provider (not known here)",
        "プロバイダーの設定による（ここでは不明）",
    ),
    "token.rule_app_only_cert": (
        "app-only with a certificate: no refresh token; the certificate's expiry applies",
        "証明書によるアプリ専用: リフレッシュトークンなし。証明書の有効期限に従います",
    ),
    "token.status_certificate": (
        "  certificate:   {path}\n"
        "                 SHA-1 thumbprint {thumbprint}, valid until {dies} ({days} days left)",
        "  証明書:              {path}\n"
        "                       SHA-1 拇印 {thumbprint}、{dies} まで有効（残り {days} 日）",
    ),
    "token.status_certificate_broken": (
        "  certificate:   NOT usable: {problem}",
        "  証明書:              使えません: {problem}",
    ),
    "token.certificate_expiry_unknown": (
        "unknown (pip install pysmail[cert] to read it)",
        "不明（読むには pip install pysmail[cert]）",
    ),
    "token.certificate_dies_soon": (
        "{when}  <- WARNING: upload a new certificate to the app registration and run "
        "`smail-token login --app-only --certificate` before then",
        "{when}  <- 警告: それまでに新しい証明書をアプリ登録にアップロードし、"
        "`smail-token login --app-only --certificate` を実行して下さい",
    ),
    "token.rule_app_only": (
        "app-only: no refresh token; the client secret's expiry applies",
        "アプリ専用: リフレッシュトークンなし。クライアントシークレットの有効期限に従います",
    ),
    # -- check
    "token.check_token_ok": (
        "access token: OK (valid until {when}); the token file names {user}",
        "アクセストークン: 取得 OK（{when} まで有効）。トークンファイルのユーザー: {user}",
    ),
    "token.check_facts_jwt": (
        "  the token says (its JWT claims, decoded here, not verified): user {user}, audience "
        "{audience}, scopes {scopes}, expires {expires}",
        "  トークンの内容（JWT のクレームをここで復号、検証なし）: ユーザー {user}、オーディエンス "
        "{audience}、スコープ {scopes}、有効期限 {expires}",
    ),
    "token.check_facts_introspection": (
        "  the provider says (introspection at {url}): active, user {user}, audience "
        "{audience}, scopes {scopes}, expires {expires}",
        "  プロバイダーの回答（{url} のイントロスペクション）: 有効、ユーザー {user}、"
        "オーディエンス {audience}、スコープ {scopes}、有効期限 {expires}",
    ),
    "token.check_opaque": (
        "  opaque token: its user, audience and scopes cannot be read here ({why}).",
        "  不透明なトークン: そのユーザー、オーディエンス、スコープはここでは読めません（{why}）。",
    ),
    "token.opaque_no_endpoint_preset": (
        "{provider} publishes no introspection endpoint for its access tokens",
        "{provider} はアクセストークンのイントロスペクション エンドポイントを公開していません",
    ),
    "token.opaque_no_issuer": (
        "the token file has no Issuer=, so the provider's introspection endpoint is unknown",
        "トークンファイルに Issuer= がないため、プロバイダーのイントロスペクション エンドポイントが"
        "分かりません",
    ),
    "token.opaque_no_endpoint": (
        "{issuer} publishes no introspection_endpoint",
        "{issuer} は introspection_endpoint を公開していません",
    ),
    "token.opaque_refused": (
        "the introspection endpoint {url} answered HTTP {status}",
        "イントロスペクション エンドポイント {url} の応答は HTTP {status} でした",
    ),
    "token.opaque_inactive": (
        "the introspection endpoint {url} answered active=false: it does not describe this "
        "token to this client",
        "イントロスペクション エンドポイント {url} の応答は active=false でした。このクライアントには"
        "このトークンの内容を示しません",
    ),
    "token.opaque_inactive_public": (
        "the introspection endpoint {url} answered active=false: providers describe tokens "
        "only to clients that authenticate, and this one has no client secret",
        "イントロスペクション エンドポイント {url} の応答は active=false でした。プロバイダーは認証"
        "したクライアントにだけトークンの内容を示します。このクライアントにはクライアント シークレット"
        "がありません",
    ),
    "token.opaque_failed": (
        "the introspection request failed: {reason}",
        "イントロスペクションの要求に失敗しました: {reason}",
    ),
    "token.check_smtp_ok": (
        "SMTP: {host}:{port} ({tls}) accepted AUTH {mechanism} as {user}; no message was sent.",
        "SMTP: {host}:{port}（{tls}）が {user} として AUTH {mechanism} を受け付けました。メールは"
        "送信していません。",
    ),
    # -- revoke / logout
    "token.revoked": (
        "The provider revoked the {what} at {url}.",
        "{url} で {what} を無効化しました。",
    ),
    "token.no_revocation": (
        "{provider} offers no revocation endpoint for this token. Remove the app's access in "
        "your account instead (Microsoft: https://myapps.microsoft.com or "
        "https://account.live.com/consent/Manage; an administrator can revoke sessions).",
        "{provider} にはこのトークンの無効化エンドポイントがありません。アカウント側でアプリの"
        "アクセスを削除して下さい（Microsoft: https://myapps.microsoft.com または "
        "https://account.live.com/consent/Manage。管理者はセッションを無効化できます）。",
    ),
    "token.removed": ("Removed {path} and its cache.", "{path} とそのキャッシュを削除しました。"),
}
