"""Catalogue entries of the oauth area: message id -> (english, japanese).

Every message says what to do next. Token-endpoint errors come under ERR-0028; SMTP refusals of
a token keep their AUTH exit code and get a clearer text (pysmail.oauth.errors).
"""

# "run smail-token login again", also in catalog/oauth_refusals.py
LOGIN_EN = "run `smail-token login` again to get a new refresh token into {path}"
LOGIN_JA = (
    "`smail-token login` をもう一度実行して {path} に新しいリフレッシュトークンを取得して下さい"
)

MESSAGES: dict[str, tuple[str, str]] = {
    # RefreshToken=keyring:<account> (smail-token login --keyring; pysmail.oauth.keyref)
    "oauth.keyring_missing": (
        "{path} keeps its refresh token in the OS keyring (service {service}, account "
        "{account}), but the keyring package is not installed. Install it: "
        "pip install pysmail[keyring] (or run `smail-token login` again without --keyring to "
        "keep the token in the file).",
        "{path} はリフレッシュトークンを OS のキーリング（サービス {service}、アカウント "
        "{account}）に保存していますが、keyring パッケージがインストールされていません。"
        "pip install pysmail[keyring] でインストールするか、`smail-token login` を --keyring "
        "なしでもう一度実行してトークンをファイルに保存して下さい。",
    ),
    "oauth.keyring_no_entry": (
        "{path} says its refresh token is in the OS keyring (service {service}, account "
        "{account}), but the keyring has no such entry (deleted, or another user or machine). "
        "Run `smail-token login --keyring` again to sign in and store a new one.",
        "{path} ではリフレッシュトークンが OS のキーリング（サービス {service}、アカウント "
        "{account}）にあるはずですが、その項目がありません（削除されたか、別のユーザー・"
        "マシンです）。`smail-token login --keyring` をもう一度実行してサインインし、新しい"
        "トークンを保存して下さい。",
    ),
    "oauth.keyring_error": (
        "The OS keyring failed to {action} the refresh token of {path} (service {service}, "
        "account {account}): {reason}. Unlock the keyring (or check its backend: `keyring "
        "--list-backends`), or run `smail-token login` again without --keyring to keep the "
        "token in the file.",
        "OS のキーリングで {path} のリフレッシュトークンの処理（{action}）に失敗しました"
        "（サービス {service}、アカウント {account}）: {reason}。キーリングのロックを解除する"
        "（またはバックエンドを `keyring --list-backends` で確認する）か、`smail-token login` を "
        "--keyring なしでもう一度実行してトークンをファイルに保存して下さい。",
    ),
    # the token file
    "oauth.token_file_missing": (
        "The OAuth settings file {path} was not found. Create it correctly: run "
        "`smail-token login` (or SmailRefreshToken) and put smail_refreshtoken.ini next to "
        "smail.ini, or name it with oauth_token_file in smail.ini.",
        "OAUTH 用設定ファイル {path} が見つかりません。正しく INI ファイルを作製して下さい: "
        "`smail-token login`（または SmailRefreshToken）で作成した smail_refreshtoken.ini を "
        "smail.ini と同じフォルダーに置くか、smail.ini の oauth_token_file で指定して下さい。",
    ),
    "oauth.token_file_unreadable": (
        "Cannot read the OAuth settings file {path}: {reason}. Check that it exists and that "
        "this user may read it.",
        "OAUTH 用設定ファイル {path} を読めません: {reason}。ファイルがあり、このユーザーが"
        "読めることを確認して下さい。",
    ),
    "oauth.token_untrusted": (
        "The OAuth settings file {path} is not used: other users may change it ({why}), and "
        "whoever can change it can send your refresh token and client secret to a server of "
        "theirs. Run: {fix}",
        "OAUTH 用設定ファイル {path} は使いません: 他のユーザーも書き換えられる ({why}) ため、"
        "リフレッシュトークンとクライアントシークレットを別のサーバーへ送らせることが"
        "できます。{fix} を実行して下さい。",
    ),
    "oauth.token_not_private": (
        "The OAuth settings file {path} holds a refresh token or client secret but other "
        "users may read it: {reason}. Run: {fix}",
        "OAUTH 用設定ファイル {path} にはリフレッシュトークンかクライアントシークレットが"
        "ありますが、他のユーザーも読めます: {reason}。{fix} を実行して下さい。",
    ),
    "oauth.token_file_incomplete": (
        "The OAuth settings file {path} has no {key} in its [OAUTH2] section. Create it "
        "again with `smail-token login`.",
        "OAUTH 用設定ファイル {path} の [OAUTH2] セクションに {key} がありません。"
        "`smail-token login` で作り直して下さい。",
    ),
    "oauth.token_file_bad_timeout": (
        "OAUTH2_TIME_OUT={value} in {path} is not a number of seconds below 86400. Set it to "
        "the seconds a token request may take (30 is usual).",
        "{path} の OAUTH2_TIME_OUT={value} は 86400 未満の秒数ではありません。トークン要求に"
        "かけてよい秒数（通常は 30）を設定して下さい。",
    ),
    "oauth.token_file_write_failed": (
        "Cannot save the new refresh token in {path}: {reason}. Give this user write access "
        "to the file and its folder; nothing was sent.",
        "新しいリフレッシュトークンを {path} に保存できません: {reason}。このユーザーに"
        "ファイルとフォルダーへの書き込み権限を与えて下さい。送信は行っていません。",
    ),
    "oauth.lock_symlink": (
        "{path} is a symbolic link, and pysmail does not follow it: a link planted there "
        "could make it create files wherever you may write. Remove the link (rm {path}); "
        "pysmail creates the lock file itself.",
        "{path} はシンボリックリンクなので、pysmail はたどりません: 仕掛けられたリンクで、"
        "あなたが書き込める任意の場所にファイルを作らせられるためです。リンクを削除して"
        "下さい (rm {path})。ロックファイルは pysmail が自分で作ります。",
    ),
    "oauth.refresh_token_unsafe": (
        "The token endpoint sent a new refresh token holding a line break or another control "
        "character; saved as it is, it would add lines to {path}. It was not saved, nothing "
        "was sent, and {path} keeps the previous refresh token. Try again; if the provider "
        "has retired that token, " + LOGIN_EN + ".",
        "トークンエンドポイントが改行などの制御文字を含む新しいリフレッシュトークンを返しました。"
        "そのまま保存すると {path} に行が追加されてしまうため、保存も送信もしていません。"
        "{path} には前のリフレッシュトークンが残っています。もう一度実行し、プロバイダーが"
        "前のトークンを無効にしている場合は" + LOGIN_JA + "。",
    ),
    "oauth.lock_failed": (
        "Cannot create or lock {path}: {reason}. Give this user write access to the folder "
        "of the OAuth settings file.",
        "{path} を作成またはロックできません: {reason}。OAUTH 用設定ファイルのフォルダーに"
        "このユーザーの書き込み権限を与えて下さい。",
    ),
    "oauth.lock_timeout": (
        "Another smail process has been refreshing the access token for over {timeout} "
        "seconds (lock {path}). Try again; if it persists, look for a hung smail process.",
        "別の smail プロセスが {timeout} 秒以上アクセストークンを更新中です（ロック {path}）。"
        "再実行して下さい。続く場合は止まった smail プロセスがないか確認して下さい。",
    ),
    # HTTP to the token endpoint (SMAIL's WinINet 12006, 12157, 12045, 12029)
    "oauth.http_bad_url": (
        "The token endpoint URL {url} is not valid ({reason}). Check TokenURI in "
        "smail_refreshtoken.ini (an https:// URL).",
        "トークンエンドポイントの URL {url} が不正です（{reason}）。smail_refreshtoken.ini の "
        "TokenURI（https:// の URL）を確認して下さい。",
    ),
    "oauth.http_cafile": (
        "Cannot load the CA certificate file {cafile}: {reason}. Fix CAFile or remove it to "
        "use the system's certificates.",
        "CA 証明書ファイル {cafile} を読み込めません: {reason}。CAFile を直すか、削除して"
        "システムの証明書を使って下さい。",
    ),
    "oauth.http_unknown_ca": (
        "The certificate of {url} was issued by an unknown or invalid certificate authority "
        "({reason}). Update the system's CA certificates; behind an inspecting proxy, give its "
        "CA with CAFile.",
        "{url} のサーバー証明書は未知または無効な認証局から発行されています（{reason}）。"
        "システムの CA 証明書を更新するか、SSL 検査を行うプロキシーの場合はその CA を "
        "CAFile で指定して下さい。",
    ),
    "oauth.http_cert_name": (
        "The certificate of {url} is not valid for that host name ({reason}). Check the host "
        "in TokenURI; an intercepting proxy may be in the way.",
        "{url} のサーバー証明書はそのホスト名に対して有効ではありません（{reason}）。"
        "TokenURI のホスト名を確認して下さい。途中のプロキシーが介入している可能性があります。",
    ),
    "oauth.http_tls_failed": (
        "The TLS connection to {url} failed: {reason}. The system must support TLS 1.2 or "
        "later; check the date and time and any proxy in between.",
        "{url} との TLS 接続に失敗しました（セキュリティ・チャネル・エラー）: {reason}。"
        "TLS 1.2 以上が使えること、日時、途中のプロキシーを確認して下さい。",
    ),
    "oauth.http_connect_failed": (
        "Cannot connect to {url}: {reason}. Check the network, the firewall and TokenURI; "
        "if a proxy is needed, set HTTPS_PROXY or Proxy= in smail_refreshtoken.ini.",
        "{url} に接続できません: {reason}。ネットワーク、ファイアウォール、TokenURI を確認"
        "して下さい。プロキシーが必要な場合は HTTPS_PROXY か smail_refreshtoken.ini の "
        "Proxy= を設定して下さい。",
    ),
    "oauth.http_proxy_failed": (
        "The proxy {proxy} did not connect us to {url}: {reason}. Check the proxy address "
        "(HTTPS_PROXY, or Proxy= in smail_refreshtoken.ini) and that it allows this host.",
        "プロキシー {proxy} 経由で {url} に接続できません: {reason}。プロキシー設定"
        "（HTTPS_PROXY または smail_refreshtoken.ini の Proxy=）と、このホストへの接続が"
        "許可されているかを確認して下さい。",
    ),
    "oauth.http_timeout": (
        "{url} did not answer within {timeout} seconds. Try again later, or raise "
        "OAUTH2_TIME_OUT in smail_refreshtoken.ini.",
        "{url} から {timeout} 秒以内に応答がありませんでした。後で再実行するか、"
        "smail_refreshtoken.ini の OAUTH2_TIME_OUT を大きくして下さい。",
    ),
    "oauth.http_redirect": (
        "{url} answered HTTP {status}, a redirect to {location}. Token requests never follow "
        "redirects (the client secret would go along): set TokenURI (or Issuer) to the "
        "address the provider documents.",
        "{url} が HTTP {status}（{location} へのリダイレクト）を返しました。トークンの要求は"
        "リダイレクトに従いません（クライアントシークレットが転送されるため）。TokenURI"
        "（または Issuer）をプロバイダーの文書にあるアドレスにして下さい。",
    ),
    "oauth.http_malformed": (
        "{url} sent an answer that is not valid HTTP ({reason}). Check TokenURI and any "
        "proxy in between.",
        "{url} の応答が正しい HTTP ではありません（{reason}）。TokenURI と途中のプロキシーを"
        "確認して下さい。",
    ),
    "oauth.http_status": (
        "The token endpoint {url} answered HTTP {status} without an OAuth error. The server "
        "may be down: try again later, and check TokenURI.",
        "トークンエンドポイント {url} が OAuth のエラーなしに HTTP {status} を返しました。"
        "サーバー障害の可能性があります。後で再実行し、TokenURI を確認して下さい。",
    ),
    "oauth.token_malformed": (
        "The token endpoint {url} answered HTTP {status} with something that is not a token "
        "({reason}). Check TokenURI: it must be the provider's token endpoint.",
        "トークンエンドポイント {url} の応答（HTTP {status}）がトークンではありません"
        "（{reason}）。TokenURI がプロバイダーのトークンエンドポイントか確認して下さい。",
    ),
    "oauth.discovery_failed": (
        "OpenID discovery at {issuer} failed ({reason}). Check Issuer, or give TokenURI "
        "directly in smail_refreshtoken.ini.",
        "{issuer} の OpenID ディスカバリーに失敗しました（{reason}）。Issuer を確認するか、"
        "smail_refreshtoken.ini に TokenURI を直接指定して下さい。",
    ),
}
