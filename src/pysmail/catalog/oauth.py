"""Catalogue entries of the oauth area: message id -> (english, japanese).

Every message says what to do next. Token-endpoint errors come under ERR-0028; SMTP refusals of
a token keep their AUTH exit code and get a clearer text (pysmail.oauth.errors).
"""

_LOGIN_EN = "run `smail-token login` again to get a new refresh token into {path}"
_LOGIN_JA = (
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
        "has retired that token, " + _LOGIN_EN + ".",
        "トークンエンドポイントが改行などの制御文字を含む新しいリフレッシュトークンを返しました。"
        "そのまま保存すると {path} に行が追加されてしまうため、保存も送信もしていません。"
        "{path} には前のリフレッシュトークンが残っています。もう一度実行し、プロバイダーが"
        "前のトークンを無効にしている場合は" + _LOGIN_JA + "。",
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
    # the provider's own errors (RFC 6749 5.2, Microsoft AADSTS, Google)
    "oauth.invalid_grant": (
        "The refresh token was refused ({error}: {description}): it expired, was revoked or "
        "was already used. To fix: " + _LOGIN_EN + ".",
        "リフレッシュトークンが拒否されました（{error}: {description}）。期限切れ、失効、"
        "または使用済みです。対処: " + _LOGIN_JA + "。",
    ),
    "oauth.google_token_expired": (
        "Google refused the refresh token ({description}). If the app's OAuth consent screen "
        'is in "Testing" status, its refresh tokens die after 7 days: set the publishing '
        'status to "In production" in Google Cloud Console, then ' + _LOGIN_EN + ".",
        "Google がリフレッシュトークンを拒否しました（{description}）。OAuth 同意画面の公開"
        "ステータスが「テスト」の場合、リフレッシュトークンは 7 日で失効します。Google Cloud "
        "Console で「本番環境」に変更した後、" + _LOGIN_JA + "。",
    ),
    "oauth.invalid_client": (
        "The provider does not accept this client ({error}: {description}). Check ClientID "
        "and ClientSecret (or CertificateFile) in {path}, and that TokenURI belongs to the same "
        "provider as the app registration.",
        "プロバイダーがこのクライアントを受け付けません（{error}: {description}）。{path} の "
        "ClientID と ClientSecret（または CertificateFile）、および TokenURI がアプリ登録と同じ"
        "プロバイダーのものか確認して下さい。",
    ),
    "oauth.invalid_client_certificate": (
        "The provider does not accept the certificate of client {client} ({error}: "
        "{description}). The assertion was signed with the key of {certificate} (SHA-1 "
        "thumbprint {thumbprint}): upload that certificate (the public part only) to the app "
        "registration (Microsoft: Certificates & secrets > Certificates), check that it has not "
        "expired and that ClientID and TokenURI in {path} belong to that app.",
        "プロバイダーがクライアント {client} の証明書を受け付けません（{error}: {description}）。"
        "アサーションは {certificate}（SHA-1 拇印 {thumbprint}）の鍵で署名しました。その証明書"
        "（公開部分のみ）をアプリ登録にアップロードし（Microsoft:「証明書とシークレット」>"
        "「証明書」）、期限切れでないこと、{path} の ClientID と TokenURI がそのアプリのものか"
        "確認して下さい。",
    ),
    # app-only with a certificate (private_key_jwt; pysmail.oauth.app_only)
    "oauth.certificate_and_secret": (
        "{path} names both a ClientSecret and a CertificateFile: keep only one (run "
        "`smail-token login --app-only` again with the one you mean).",
        "{path} に ClientSecret と CertificateFile の両方があります。どちらか一方だけにして下さい"
        "（使う方で `smail-token login --app-only` をもう一度実行して下さい）。",
    ),
    "oauth.certificate_needs_cryptography": (
        "Signing with the certificate key {path} needs the cryptography package: "
        "pip install pysmail[cert].",
        "証明書の鍵 {path} で署名するには cryptography パッケージが必要です: "
        "pip install pysmail[cert] を実行して下さい。",
    ),
    "oauth.certificate_unreadable": (
        "Cannot read the {what} file {path}: {reason}. Check CertificateFile / PrivateKeyFile "
        "in smail_refreshtoken.ini and that this user may read the file.",
        "{what} のファイル {path} を読めません: {reason}。smail_refreshtoken.ini の "
        "CertificateFile / PrivateKeyFile と、このユーザーが読めることを確認して下さい。",
    ),
    "oauth.certificate_invalid": (
        "{path} holds no usable certificate ({reason}). CertificateFile must be a PEM file "
        "with the certificate (-----BEGIN CERTIFICATE-----), e.g. from `openssl req -x509`.",
        "{path} に使える証明書がありません（{reason}）。CertificateFile は証明書"
        "（-----BEGIN CERTIFICATE-----）を含む PEM ファイルにして下さい（例: `openssl req "
        "-x509` で作成）。",
    ),
    "oauth.private_key_missing": (
        "{path} holds no private key (-----BEGIN PRIVATE KEY-----). Put the key in the "
        "certificate's PEM file, or name its own PEM file with --private-key (PrivateKeyFile=).",
        "{path} に秘密鍵（-----BEGIN PRIVATE KEY-----）がありません。証明書の PEM ファイルに鍵を"
        "含めるか、--private-key（PrivateKeyFile=）で鍵の PEM ファイルを指定して下さい。",
    ),
    "oauth.private_key_invalid": (
        "The private key in {path} cannot be used: {reason}. Give an unencrypted RSA key in PEM "
        "(e.g. `openssl pkey -in old.pem -out key.pem`, then chmod 600 key.pem).",
        "{path} の秘密鍵は使えません: {reason}。暗号化していない RSA 鍵を PEM で指定して下さい"
        "（例: `openssl pkey -in old.pem -out key.pem` の後 chmod 600 key.pem）。",
    ),
    "oauth.private_key_not_private": (
        "The private key file {path} is not private ({reason}): anyone who can read it can sign in as this "
        "app. Make it private to its owner: chmod 600 {path} (Windows: remove other users on "
        "the file's Security tab).",
        "秘密鍵のファイル {path} は他のユーザーからアクセスできます（{reason}）。読める人は誰でも"
        "このアプリとしてサインインできます。所有者だけにして下さい: chmod 600 {path}"
        "（Windows: ファイルの「セキュリティ」タブで他のユーザーを削除）。",
    ),
    "oauth.private_key_mismatch": (
        "The private key in {key} does not belong to the certificate in {certificate}. Give "
        "the key that was created with that certificate.",
        "{key} の秘密鍵は {certificate} の証明書のものではありません。その証明書と一緒に作成した"
        "鍵を指定して下さい。",
    ),
    "oauth.unauthorized_client": (
        "This client may not use the refresh-token grant ({error}: {description}). Allow "
        "refresh tokens for the app registration, then " + _LOGIN_EN + ".",
        "このクライアントはリフレッシュトークンを使えません（{error}: {description}）。アプリ"
        "登録でリフレッシュトークンを許可した後、" + _LOGIN_JA + "。",
    ),
    "oauth.invalid_scope": (
        "The provider refused the requested scope ({error}: {description}). Remove Scope= "
        "from {path} or use only scopes granted at login.",
        "プロバイダーが要求したスコープを拒否しました（{error}: {description}）。{path} の "
        "Scope= を削除するか、ログイン時に許可されたスコープだけを指定して下さい。",
    ),
    "oauth.invalid_request": (
        "The provider refused the token request ({error}: {description}). Check TokenURI, "
        "Provider and TokenAuthMethod in {path}.",
        "プロバイダーがトークン要求を拒否しました（{error}: {description}）。{path} の "
        "TokenURI、Provider、TokenAuthMethod を確認して下さい。",
    ),
    "oauth.provider_error": (
        "The token endpoint {url} refused the request ({error}: {description}). If the "
        "refresh token is no longer valid, " + _LOGIN_EN + ".",
        "トークンエンドポイント {url} が要求を拒否しました（{error}: {description}）。"
        "リフレッシュトークンが無効な場合は、" + _LOGIN_JA + "。",
    ),
    "oauth.aadsts_consent": (
        "Microsoft: consent is missing for the requested permissions ({description}). Have "
        "the user (or a tenant admin) consent to SMTP.Send and POP.AccessAsUser.All for the "
        "app, then " + _LOGIN_EN + ".",
        "Microsoft: 要求したアクセス許可への同意がありません（{description}）。ユーザー"
        "（またはテナント管理者）がアプリの SMTP.Send と POP.AccessAsUser.All に同意した後、"
        + _LOGIN_JA
        + "。",
    ),
    "oauth.aadsts_redirect_uri": (
        "Microsoft: the redirect URI does not match the app registration ({description}). "
        'Register http://localhost under "Mobile and desktop applications" (not Web), '
        "then " + _LOGIN_EN + ".",
        "Microsoft: リダイレクト URI がアプリ登録と一致しません（{description}）。"
        "「モバイル アプリケーションとデスクトップ アプリケーション」（Web ではなく）に "
        "http://localhost を登録した後、" + _LOGIN_JA + "。",
    ),
    "oauth.aadsts_public_client_secret": (
        "Microsoft: this app is a public client and must not send a client secret "
        "({description}). Remove the ClientSecret value from {path}.",
        "Microsoft: このアプリはパブリッククライアントのため、クライアントシークレットを送って"
        "はいけません（{description}）。{path} の ClientSecret の値を削除して下さい。",
    ),
    "oauth.aadsts_secret_required": (
        "Microsoft: the app requires a client secret ({description}). Either put the "
        'secret\'s Value in ClientSecret in {path}, or enable "Allow public client flows" '
        "under Authentication in the app registration.",
        "Microsoft: アプリがクライアントシークレットを要求しています（{description}）。{path} "
        "の ClientSecret にシークレットの「値」を設定するか、アプリ登録の「認証」で"
        "「パブリック クライアント フローを許可する」を有効にして下さい。",
    ),
    "oauth.aadsts_bad_secret": (
        "Microsoft: the client secret is wrong ({description}). Put the secret's Value (not "
        "its ID) in ClientSecret in {path}.",
        "Microsoft: クライアントシークレットが正しくありません（{description}）。{path} の "
        "ClientSecret にシークレットの「値」（ID ではなく）を設定して下さい。",
    ),
    "oauth.aadsts_secret_expired": (
        "Microsoft: the client secret has expired ({description}). Create a new secret in the "
        "app registration and put its Value in ClientSecret in {path}.",
        "Microsoft: クライアントシークレットの有効期限が切れています（{description}）。アプリ"
        "登録で新しいシークレットを作成し、その値を {path} の ClientSecret に設定して下さい。",
    ),
    "oauth.aadsts_sign_in_frequency": (
        "Microsoft: a Conditional Access sign-in frequency policy ended the session "
        "({description}). " + _LOGIN_EN.capitalize() + "; for unattended sending ask the "
        "tenant admin to exempt this account or app from the policy.",
        "Microsoft: 条件付きアクセスのサインイン頻度ポリシーによりセッションが終了しました"
        "（{description}）。" + _LOGIN_JA + "。無人送信の場合は、このアカウントまたはアプリを"
        "ポリシーの対象外にするようテナント管理者に依頼して下さい。",
    ),
    "oauth.aadsts_inactive": (
        "Microsoft: the refresh token expired because it was not used for 90 days "
        "({description}). " + _LOGIN_EN.capitalize() + "; sending at least once a month keeps "
        "it alive.",
        "Microsoft: 90 日間使われなかったためリフレッシュトークンが失効しました"
        "（{description}）。" + _LOGIN_JA + "。月に一度以上送信すれば失効しません。",
    ),
    "oauth.aadsts_scope_required": (
        "Microsoft requires the scope on refresh ({description}). Set Provider=1 in {path} "
        "(or Scope=https://outlook.office.com/SMTP.Send offline_access).",
        "Microsoft はリフレッシュ時にスコープを要求します（{description}）。{path} に "
        "Provider=1（または Scope=https://outlook.office.com/SMTP.Send offline_access）を"
        "設定して下さい。",
    ),
    # SMTP servers refusing the access token (after a refresh and one retry)
    "oauth.smtp_auth_disabled": (
        "{host}: SMTP AUTH is disabled for this tenant or mailbox (5.7.139). An Exchange "
        "admin must enable it: Set-CASMailbox -Identity {user} "
        "-SmtpClientAuthenticationDisabled $false (or, tenant-wide, Set-TransportConfig "
        "-SmtpClientAuthenticationDisabled $false).",
        "{host}: このテナントまたはメールボックスでは SMTP AUTH が無効です（5.7.139）。"
        "Exchange 管理者が有効にする必要があります: Set-CASMailbox -Identity {user} "
        "-SmtpClientAuthenticationDisabled $false（テナント全体は Set-TransportConfig "
        "-SmtpClientAuthenticationDisabled $false）。",
    ),
    "oauth.smtp_wrong_audience": (
        "{host} refused the access token (5.7.3). Token: {claims}. SMTP needs audience "
        "https://outlook.office.com with scope SMTP.Send for the user {user}: request only "
        "https://outlook.office.com/SMTP.Send offline_access (no Graph scopes such as "
        "User.Read), check that UserID is the mailbox that signed in, then run "
        "`smail-token login` again.",
        "{host} がアクセストークンを拒否しました（5.7.3）。トークン: {claims}。SMTP には "
        "オーディエンス https://outlook.office.com、スコープ SMTP.Send、ユーザー {user} の"
        "トークンが必要です。https://outlook.office.com/SMTP.Send offline_access だけを要求"
        "し（User.Read などの Graph スコープは不可）、UserID がサインインしたメールボックス"
        "か確認してから、`smail-token login` をもう一度実行して下さい。",
    ),
    "oauth.smtp_basic_auth": (
        "{host} no longer accepts basic authentication (5.7.30). Use OAuth: set "
        "auth = OAUTH-XOAUTH2 in smail.ini and create smail_refreshtoken.ini with "
        "`smail-token login`.",
        "{host} は基本認証を受け付けません（5.7.30）。OAuth を使って下さい: smail.ini で "
        "auth = OAUTH-XOAUTH2 を設定し、`smail-token login` で smail_refreshtoken.ini を"
        "作成して下さい。",
    ),
    "oauth.smtp_hve_user": (
        "{host} says the user {user} is not valid for XOAUTH2 (5.5.124). Set UserID in "
        "smail_refreshtoken.ini to the mailbox address the token was issued for.",
        "{host} はユーザー {user} を XOAUTH2 で受け付けません（5.5.124）。"
        "smail_refreshtoken.ini の UserID をトークンを発行したメールボックスのアドレスに"
        "して下さい。",
    ),
    "oauth.smtp_token_expiring": (
        "{host} refused a token that expires soon (5.5.127). Token: {claims}. Keep the "
        "default refresh margin of 600 seconds or more.",
        "{host} は期限切れ間近のトークンを拒否しました（5.5.127）。トークン: {claims}。"
        "更新マージンは既定の 600 秒以上にして下さい。",
    ),
    "oauth.smtp_token_refused": (
        "{host} refused the access token for {user} even after a refresh ({detail}). Token: "
        "{claims}. Check that UserID is the account that signed in and that the app may "
        "send mail for it; if the login was revoked, run `smail-token login` again.",
        "{host} が更新後もユーザー {user} のアクセストークンを拒否しました（{detail}）。"
        "トークン: {claims}。UserID がサインインしたアカウントか、アプリにそのメール送信の"
        "権限があるかを確認し、ログインが取り消された場合は `smail-token login` をもう一度"
        "実行して下さい。",
    ),
}
