"""Catalogue entries of the oauth area where a provider or server refuses: the provider's own
errors, app-only sign-in with a certificate, SMTP servers refusing the access token.

The keyring, the token file and HTTP to the token endpoint are in catalog/oauth.py.
"""

from pysmail.catalog.oauth import LOGIN_EN, LOGIN_JA

MESSAGES: dict[str, tuple[str, str]] = {
    # the provider's own errors (RFC 6749 5.2, Microsoft AADSTS, Google)
    "oauth.invalid_grant": (
        "The refresh token was refused ({error}: {description}): it expired, was revoked or "
        "was already used. To fix: " + LOGIN_EN + ".",
        "リフレッシュトークンが拒否されました（{error}: {description}）。期限切れ、失効、"
        "または使用済みです。対処: " + LOGIN_JA + "。",
    ),
    "oauth.google_token_expired": (
        "Google refused the refresh token ({description}). If the app's OAuth consent screen "
        'is in "Testing" status, its refresh tokens die after 7 days: set the publishing '
        'status to "In production" in Google Cloud Console, then ' + LOGIN_EN + ".",
        "Google がリフレッシュトークンを拒否しました（{description}）。OAuth 同意画面の公開"
        "ステータスが「テスト」の場合、リフレッシュトークンは 7 日で失効します。Google Cloud "
        "Console で「本番環境」に変更した後、" + LOGIN_JA + "。",
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
        "refresh tokens for the app registration, then " + LOGIN_EN + ".",
        "このクライアントはリフレッシュトークンを使えません（{error}: {description}）。アプリ"
        "登録でリフレッシュトークンを許可した後、" + LOGIN_JA + "。",
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
        "refresh token is no longer valid, " + LOGIN_EN + ".",
        "トークンエンドポイント {url} が要求を拒否しました（{error}: {description}）。"
        "リフレッシュトークンが無効な場合は、" + LOGIN_JA + "。",
    ),
    "oauth.aadsts_consent": (
        "Microsoft: consent is missing for the requested permissions ({description}). Have "
        "the user (or a tenant admin) consent to SMTP.Send and POP.AccessAsUser.All for the "
        "app, then " + LOGIN_EN + ".",
        "Microsoft: 要求したアクセス許可への同意がありません（{description}）。ユーザー"
        "（またはテナント管理者）がアプリの SMTP.Send と POP.AccessAsUser.All に同意した後、"
        + LOGIN_JA
        + "。",
    ),
    "oauth.aadsts_redirect_uri": (
        "Microsoft: the redirect URI does not match the app registration ({description}). "
        'Register http://localhost under "Mobile and desktop applications" (not Web), '
        "then " + LOGIN_EN + ".",
        "Microsoft: リダイレクト URI がアプリ登録と一致しません（{description}）。"
        "「モバイル アプリケーションとデスクトップ アプリケーション」（Web ではなく）に "
        "http://localhost を登録した後、" + LOGIN_JA + "。",
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
        "({description}). " + LOGIN_EN.capitalize() + "; for unattended sending ask the "
        "tenant admin to exempt this account or app from the policy.",
        "Microsoft: 条件付きアクセスのサインイン頻度ポリシーによりセッションが終了しました"
        "（{description}）。" + LOGIN_JA + "。無人送信の場合は、このアカウントまたはアプリを"
        "ポリシーの対象外にするようテナント管理者に依頼して下さい。",
    ),
    "oauth.aadsts_inactive": (
        "Microsoft: the refresh token expired because it was not used for 90 days "
        "({description}). " + LOGIN_EN.capitalize() + "; sending at least once a month keeps "
        "it alive.",
        "Microsoft: 90 日間使われなかったためリフレッシュトークンが失効しました"
        "（{description}）。" + LOGIN_JA + "。月に一度以上送信すれば失効しません。",
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
    # app-only tokens (client credentials) refused by the SMTP server: the application's grant
    "oauth.app_only_not_granted": (
        "{host} refused the app-only token for the mailbox {user}. Token: {claims}. An "
        "application may send only as a mailbox it has been granted. Microsoft 365: the app "
        "needs the application permission SMTP.SendAsApp (Office 365 Exchange Online) with "
        "admin consent, its service principal registered in Exchange (New-ServicePrincipal "
        "-AppId <client id> -ObjectId <object id of the enterprise application>), and this "
        "mailbox granted to it: Add-MailboxPermission -Identity {user} -User <that service "
        "principal> -AccessRights FullAccess. Or make UserID a mailbox the app is granted.",
        "{host} がメールボックス {user} へのアプリ専用トークンを拒否しました。トークン: {claims}。"
        "アプリケーションは許可されたメールボックスとしてのみ送信できます。Microsoft 365 では、"
        "アプリにアプリケーションのアクセス許可 SMTP.SendAsApp（Office 365 Exchange Online）と"
        "管理者の同意、Exchange へのサービスプリンシパル登録（New-ServicePrincipal -AppId "
        "<クライアント ID> -ObjectId <エンタープライズ アプリケーションのオブジェクト ID>）、"
        "このメールボックスへの権限付与（Add-MailboxPermission -Identity {user} -User <その"
        "サービスプリンシパル> -AccessRights FullAccess）が必要です。または UserID をアプリに"
        "許可されたメールボックスにして下さい。",
    ),
    "oauth.app_only_no_mailbox": (
        "{host} answered the app-only token for {user} with a temporary failure. Token: "
        "{claims}. A server that finds no mailbox at all that the token may act for answers "
        "so: the application has no grant yet. Microsoft 365: the app needs the application "
        "permission SMTP.SendAsApp (Office 365 Exchange Online) with admin consent, its service "
        "principal registered in Exchange (New-ServicePrincipal) and this mailbox granted to it "
        "(Add-MailboxPermission -Identity {user} -User <that service principal> -AccessRights "
        "FullAccess). If all that is in place, try again later (a new permission takes a while "
        "to apply).",
        "{host} は {user} へのアプリ専用トークンに一時的な失敗を返しました。トークン: {claims}。"
        "トークンが扱えるメールボックスが一つも見つからないサーバーはこう応答します（アプリケー"
        "ションにまだ権限がありません）。Microsoft 365 では、アプリにアプリケーションのアクセス"
        "許可 SMTP.SendAsApp（Office 365 Exchange Online）と管理者の同意、Exchange へのサービス"
        "プリンシパル登録（New-ServicePrincipal）、このメールボックスへの権限付与"
        "（Add-MailboxPermission -Identity {user} -User <そのサービスプリンシパル> "
        "-AccessRights FullAccess）が必要です。すべて設定済みの場合は、しばらくしてから再試行"
        "して下さい（新しい権限の反映には時間がかかります）。",
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
