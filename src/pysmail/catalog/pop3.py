"""Catalogue entries of the pop3 area (POP before SMTP): message id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "pop3.host_lookup": (
        "Cannot resolve the POP3 server name {host}: {reason}.",
        "POP3 サーバ名 {host} を解決できません: {reason}。",
    ),
    "pop3.connect_failed": (
        "Cannot talk to the POP3 server {host} port {port}: {reason}.",
        "POP3 サーバ {host} のポート {port} と通信できません: {reason}。",
    ),
    "pop3.tls_failed": (
        "The TLS connection with the POP3 server {host} port {port} failed: {reason}.",
        "POP3 サーバ {host} のポート {port} との TLS 接続に失敗しました: {reason}。",
    ),
    "pop3.stls_failed": (
        "The POP3 server {host} port {port} cannot start TLS (STLS): {reason}.",
        "POP3 サーバ {host} のポート {port} で TLS (STLS) を開始できません: {reason}。",
    ),
    "pop3.timeout": (
        "The POP3 server {host} port {port} did not answer within {timeout} seconds.",
        "POP3 サーバ {host} のポート {port} から {timeout} 秒以内に応答がありませんでした。",
    ),
    "pop3.login_failed": (
        "The POP3 server {host} refused the login of {user}.",
        "POP3 サーバ {host} が {user} のログインを拒否しました。",
    ),
    "pop3.apop_unavailable": (
        "The POP3 server {host} does not support APOP (its greeting has no timestamp).",
        "POP3 サーバ {host} は APOP に対応していません(挨拶にタイムスタンプがありません)。",
    ),
    "pop3.cleartext_refused": (
        "Refusing to send the POP3 password to {host} over an unencrypted connection; use STLS "
        "or POP3S, APOP, or allow plaintext login explicitly.",
        "暗号化されていない接続では POP3 サーバ {host} にパスワードを送りません。STLS か POP3S、"
        "APOP を使うか、平文でのログインを明示的に許可して下さい。",
    ),
    "pop3.oauth_failed": (
        "The POP3 server {host} refused the access token of {user} ({detail}). The token "
        "must allow POP (Microsoft: the scope https://outlook.office.com/POP.AccessAsUser.All) "
        "and POP must be enabled for the mailbox; if it was revoked, run smail-token again.",
        "POP3 サーバ {host} が {user} のアクセストークンを拒否しました ({detail})。トークンに"
        "POP の権限 (Microsoft ではスコープ https://outlook.office.com/POP.AccessAsUser.All) が"
        "必要で、メールボックスの POP が有効である必要があります。取り消された場合は "
        "smail-token をもう一度実行して下さい。",
    ),
    "pop3.oauth_unavailable": (
        "The POP3 server {host} does not accept AUTH XOAUTH2: {reply}.",
        "POP3 サーバ {host} は AUTH XOAUTH2 を受け付けません: {reply}。",
    ),
    "pop3.cleartext_token_refused": (
        "Refusing to send the access token to the POP3 server {host} over an unencrypted "
        "connection; use STLS or POP3S.",
        "暗号化されていない接続では POP3 サーバ {host} にアクセストークンを送りません。"
        "STLS か POP3S を使って下さい。",
    ),
}
