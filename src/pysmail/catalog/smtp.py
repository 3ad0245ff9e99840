"""Catalogue entries of the smtp area (SMTP dialogue, TLS, SASL): id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # connection and transfer
    "smtp.host_lookup": (
        "Cannot resolve the host name {host}: {reason}.",
        "ホスト名 {host} を解決できません: {reason}。",
    ),
    "smtp.connect_failed": (
        "Cannot connect to {host} port {port}: {reason}.",
        "{host} のポート {port} に接続できません: {reason}。",
    ),
    "smtp.connect_timeout": (
        "No answer from {host} port {port} within {timeout} seconds while connecting.",
        "{host} のポート {port} への接続が {timeout} 秒以内に完了しませんでした。",
    ),
    "smtp.send_failed": (
        "Sending to {host} failed: {reason}.",
        "{host} への送信に失敗しました: {reason}。",
    ),
    "smtp.send_timeout": (
        "Sending to {host} did not finish within {timeout} seconds.",
        "{host} への送信が {timeout} 秒以内に終わりませんでした。",
    ),
    "smtp.receive_failed": (
        "Receiving from {host} failed: {reason}.",
        "{host} からの受信に失敗しました: {reason}。",
    ),
    "smtp.receive_timeout": (
        "{host} did not answer within {timeout} seconds.",
        "{host} から {timeout} 秒以内に応答がありませんでした。",
    ),
    "smtp.connection_closed": (
        "{host} closed the connection unexpectedly.",
        "{host} が予期せず接続を切断しました。",
    ),
    "smtp.malformed_reply": (
        "{host} sent something that is not an SMTP reply: {reason}.",
        "{host} から SMTP の応答として解釈できないデータを受信しました: {reason}。",
    ),
    # proxy (net/proxy.py; also used for POP before SMTP)
    "smtp.proxy_unreachable": (
        "Cannot connect to the proxy {proxy}: {reason}. Check the proxy setting "
        "(proxy= in smail.ini or --proxy).",
        "プロキシー {proxy} に接続できません: {reason}。プロキシーの設定 (smail.ini の proxy= "
        "または --proxy) を確認して下さい。",
    ),
    "smtp.proxy_timeout": (
        "The proxy {proxy} did not connect us to {target} within {timeout} seconds.",
        "プロキシー {proxy} 経由の {target} への接続が {timeout} 秒以内に完了しませんでした。",
    ),
    "smtp.proxy_refused": (
        "The proxy {proxy} did not connect us to {target}: {answer}. Check the server name "
        "and port; the proxy may also forbid this host or port (ask its administrator).",
        "プロキシー {proxy} 経由で {target} に接続できませんでした: {answer}。サーバ名と"
        "ポートを確認して下さい。プロキシーがこのホストまたはポートを禁止している可能性も"
        "あります(管理者に確認して下さい)。",
    ),
    "smtp.proxy_refused_auth": (
        "The proxy {proxy} refused the connection to {target}: {answer}. Check the user name "
        "and password in the proxy setting (http://user:password@host:port).",
        "プロキシー {proxy} が {target} への接続を拒否しました: {answer}。プロキシー設定の"
        "ユーザー名とパスワード (http://user:password@host:port) を確認して下さい。",
    ),
    "smtp.proxy_bad_answer": (
        "The proxy {proxy} gave an answer that is not HTTP CONNECT or SOCKS5: {reason}. "
        "Check the scheme of the proxy setting (http://, socks5:// or socks5h://).",
        "プロキシー {proxy} の応答が HTTP CONNECT でも SOCKS5 でもありません: {reason}。"
        "プロキシー設定のスキーム (http://、socks5://、socks5h://) を確認して下さい。",
    ),
    # TLS
    "smtp.tls_cafile": (
        "Cannot load the CA certificate file {cafile}: {reason}.",
        "CA 証明書ファイル {cafile} を読み込めません: {reason}。",
    ),
    "smtp.tls_verify_failed": (
        "The TLS certificate of {host} could not be verified: {reason}.",
        "{host} の TLS 証明書を検証できませんでした: {reason}。",
    ),
    "smtp.tls_no_ca_store": (
        "The TLS certificate of {host} could not be verified: {reason}. This Python has no CA "
        "certificates at all (a python.org build on macOS needs its 'Install Certificates.command', "
        "in the Python folder of Applications, run once); or name a CA file with cafile=.",
        "{host} の TLS 証明書を検証できませんでした: {reason}。この Python には CA 証明書が一つもありません"
        "（macOS の python.org 版は、アプリケーションの Python フォルダーにある "
        "'Install Certificates.command' を一度実行して下さい）。または cafile= で CA ファイルを指定して下さい。",
    ),
    "smtp.tls_failed": (
        "The TLS connection with {host} failed: {reason}.",
        "{host} との TLS 接続に失敗しました: {reason}。",
    ),
    "smtp.starttls_not_offered": (
        "{host} does not offer STARTTLS; the connection was closed without sending anything "
        "in clear.",
        "{host} は STARTTLS に対応していません。平文では何も送らずに接続を閉じました。",
    ),
    "smtp.starttls_refused": (
        "{host} refused STARTTLS; the connection was closed without sending anything in clear.",
        "{host} が STARTTLS を拒否しました。平文では何も送らずに接続を閉じました。",
    ),
    "smtp.starttls_injection": (
        "{host} sent extra data right after accepting STARTTLS (a possible attack); "
        "the connection was closed.",
        "{host} が STARTTLS の受諾直後に余分なデータを送ってきました(攻撃の可能性があります)。"
        "接続を閉じました。",
    ),
    # dialogue
    "smtp.greeting_refused": (
        "{host} refused the session in its greeting.",
        "{host} が接続時の挨拶でセッションを拒否しました。",
    ),
    "smtp.command_refused": (
        "{host} refused the {command} command.",
        "{host} が {command} コマンドを拒否しました。",
    ),
    "smtp.local_host": (
        "Cannot determine the local host name for EHLO: {reason}.",
        "EHLO に使うこのコンピュータのホスト名を取得できません: {reason}。",
    ),
    "smtp.unsafe_helo": (
        "The EHLO host name {value} contains a line break or NUL character.",
        "EHLO のホスト名 {value} に改行または NUL 文字が含まれています。",
    ),
    "smtp.unsafe_address": (
        "The address in {value} contains a line break or NUL character.",
        "{value} のアドレスに改行または NUL 文字が含まれています。",
    ),
    "smtp.no_recipients": (
        "No recipient was given.",
        "送信先が指定されていません。",
    ),
    "smtp.smtputf8_unsupported": (
        "An address contains non-ASCII characters, but {host} does not support SMTPUTF8.",
        "アドレスに ASCII 以外の文字が含まれていますが、{host} は SMTPUTF8 に対応していません。",
    ),
    "smtp.sender_refused": (
        "{host} refused the sender {sender}; nothing was sent.",
        "{host} が差出人 {sender} を拒否しました。何も送信していません。",
    ),
    "smtp.recipient_refused": (
        "{host} refused {count} recipient(s), first {recipient}; nothing was sent to anyone.",
        "{host} が {count} 件の送信先を拒否しました(最初: {recipient})。"
        "どの送信先にも送信していません。",
    ),
    "smtp.message_refused": (
        "{host} refused the message after receiving it.",
        "{host} がメッセージの受信後にその受け付けを拒否しました。",
    ),
    # authentication
    "smtp.auth_not_supported": (
        "{host} does not offer SMTP authentication (no AUTH in its EHLO reply).",
        "{host} は SMTP 認証に対応していません(EHLO の応答に AUTH がありません)。",
    ),
    "smtp.auth_unknown_mechanism": (
        "Unknown authentication mechanism {mechanism}; known mechanisms: {known}.",
        "認証方式 {mechanism} は使えません。使える方式: {known}。",
    ),
    "smtp.auth_needs_password": (
        "{mechanism} needs a password, but none is configured.",
        "{mechanism} にはパスワードが必要ですが、設定されていません。",
    ),
    "smtp.auth_needs_token": (
        "{mechanism} needs an OAuth access token, but none is configured.",
        "{mechanism} には OAuth のアクセストークンが必要ですが、設定されていません。",
    ),
    "smtp.auth_not_offered": (
        "The server does not offer {mechanism}; it offers: {offered}.",
        "サーバは {mechanism} に対応していません。対応している方式: {offered}。",
    ),
    "smtp.auth_cleartext_refused": (
        "Refusing to authenticate with {mechanism} over an unencrypted connection, which would "
        "expose the password; use STARTTLS or SMTPS, or allow plaintext authentication "
        "explicitly.",
        "暗号化されていない接続で {mechanism} 認証を行うとパスワードが漏れるため、認証を中止"
        "しました。STARTTLS か SMTPS を使うか、平文での認証を明示的に許可して下さい。",
    ),
    "smtp.auth_no_password_mechanism": (
        "No usable password mechanism: the server offers {offered}; pysmail can use {usable}.",
        "パスワードで使える認証方式がありません。サーバの対応方式: {offered}、"
        "pysmail の対応方式: {usable}。",
    ),
    "smtp.auth_no_token_mechanism": (
        "No usable OAuth mechanism: the server offers {offered}; pysmail can use {usable}.",
        "OAuth で使える認証方式がありません。サーバの対応方式: {offered}、"
        "pysmail の対応方式: {usable}。",
    ),
    "smtp.auth_failed": (
        "{host} rejected the credentials of {user} ({mechanism}).",
        "{host} が {user} の認証情報を拒否しました({mechanism})。",
    ),
    "smtp.auth_failed_detail": (
        "{host} rejected the credentials of {user} ({mechanism}); the server said: {detail}.",
        "{host} が {user} の認証情報を拒否しました({mechanism})。サーバからの詳細: {detail}。",
    ),
    "smtp.auth_refused": (
        "{host} will not authenticate {user} with {mechanism} on this connection.",
        "{host} はこの接続では {mechanism} による {user} の認証を受け付けません。",
    ),
    "smtp.auth_temporary": (
        "{host} could not authenticate {user} ({mechanism}) for now; try again later.",
        "{host} で {user} の認証({mechanism})が一時的にできません。後で再実行して下さい。",
    ),
    "smtp.auth_loop": (
        "{host} kept sending authentication challenges ({mechanism}); authentication was "
        "cancelled.",
        "{host} が認証のチャレンジを繰り返し送ってきたため、認証({mechanism})を中止しました。",
    ),
    "smtp.cram_md5_empty_challenge": (
        "{host} sent an empty CRAM-MD5 challenge; authentication was cancelled, as the answer to "
        "it could be replayed or cracked. Use STARTTLS or SMTPS with PLAIN, or another server.",
        "{host} が空の CRAM-MD5 チャレンジを送ってきました。その応答は再利用や解析に使われ得るため、"
        "認証を中止しました。STARTTLS または SMTPS と PLAIN を使うか、別のサーバを使ってください。",
    ),
}
