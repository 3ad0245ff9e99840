"""Catalogue entries of `smail-token setup` (the local set-up page): id -> (english, japanese).

Labels and help of the page, what the command prints, and the page's error texts. The help next
to each field says where the value is found in the provider's portal (docs/guides/).
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- the command
    "setup.listening": (
        "Open this address in your browser to set up smail (only this computer can reach it; "
        "the address holds a one-time key, keep it to yourself):\n{url}\n"
        "The page stops after {minutes} idle minutes, or when you press Finish.",
        "smail を設定するには、ブラウザーでこのアドレスを開いて下さい（このコンピューターからだけ"
        "接続できます。アドレスには一回限りの鍵が含まれるので、他人に教えないで下さい）:\n{url}\n"
        "{minutes} 分間操作がないか、「終了」を押すとページは停止します。",
    ),
    "setup.port_fallback": (
        "Port {wanted} is in use, so the setup page listens on port {port}. For Microsoft, "
        "register http://localhost:{port}/myapp/ as a redirect URI of the app, or stop the "
        "program on port {wanted} and start again.",
        "ポート {wanted} は使用中のため、設定ページはポート {port} で待ち受けます。Microsoft の場合は"
        "http://localhost:{port}/myapp/ をアプリのリダイレクト URI に登録するか、ポート {wanted} を"
        "使っているプログラムを停止してからやり直して下さい。",
    ),
    "setup.stopped_done": ("Setup finished.", "設定を終了しました。"),
    "setup.stopped_idle": (
        "The setup page was idle for {minutes} minutes and has stopped. Nothing unsaved was kept.",
        "設定ページは {minutes} 分間操作がなかったため停止しました。保存していない内容は破棄しました。",
    ),
    "setup.stopped_interrupt": ("Setup stopped.", "設定を中止しました。"),
    # -- page frame
    "setup.title": ("smail setup", "smail の設定"),
    "setup.editing_account": (
        "Account: [account {name}] of smail.ini (its keys go over [smail]'s).",
        "アカウント: smail.ini の [account {name}]([smail] のキーに重ねて使います)。",
    ),
    "setup.intro": (
        "Fill in the account, get a refresh token, send a test mail, then save. Everything "
        "stays on this computer; secrets are never shown again once entered.",
        "アカウントを入力してリフレッシュトークンを取得し、テストメールを送ってから保存して下さい。"
        "内容はすべてこのコンピューター内に留まり、入力した秘密の値は二度と表示しません。",
    ),
    "setup.language": ("Language", "言語"),
    "setup.errors_summary": (
        "Some fields need attention (marked below).",
        "確認が必要な項目があります（下に表示）。",
    ),
    "setup.apply": ("Apply", "反映"),
    # -- account
    "setup.account": ("Account", "アカウント"),
    "setup.provider": ("Provider", "プロバイダー"),
    "setup.provider_microsoft": (
        "Microsoft (Exchange Online, Outlook.com)",
        "Microsoft（Exchange Online、Outlook.com のメール）",
    ),
    "setup.provider_google": ("Google (Gmail)", "Google（Gmail のメール）"),
    "setup.provider_generic": ("Other OpenID provider", "その他の OpenID プロバイダー"),
    "setup.help_provider": (
        "Who signs you in. The server settings below follow the provider when you press "
        "\u201cUse the provider\u2019s server settings\u201d.",
        "サインインを行う事業者です。「プロバイダーのサーバー設定を使う」を押すと、下のサーバー設定が"
        "プロバイダーに合わせて入ります。",
    ),
    "setup.user": ("Mail address", "メールアドレス"),
    "setup.help_user": (
        "The address that sends; it is also the SMTP user name.",
        "送信に使うアドレスです。SMTP のユーザー名にもなります。",
    ),
    "setup.client_id": ("Client ID", "クライアント ID"),
    "setup.help_client_id": (
        "Microsoft: Entra admin center \u2192 App registrations \u2192 your app \u2192 Overview "
        "\u2192 Application (client) ID. Google: Cloud console \u2192 APIs & Services \u2192 "
        "Credentials \u2192 your Desktop app client. Other: the client registered at your provider.",
        "Microsoft: Entra 管理センター → アプリの登録 → 対象アプリ → 概要 → アプリケーション"
        "（クライアント）ID。Google: Cloud コンソール → API とサービス → 認証情報 → デスクトップ"
        "アプリのクライアント。その他: プロバイダーに登録したクライアント。",
    ),
    "setup.client_secret": ("Client secret", "クライアントシークレット"),
    "setup.help_client_secret": (
        "Microsoft: Certificates & secrets \u2192 Client secrets: copy the Value (not the Secret "
        "ID); it is shown only once. Google: the same Credentials page. Leave empty for a public "
        "client.",
        "Microsoft: 証明書とシークレット → クライアントシークレット の「値」をコピーします（シーク"
        "レット ID ではありません。一度しか表示されません）。Google: 同じ認証情報ページ。パブリック"
        "クライアントの場合は空欄にします。",
    ),
    "setup.secret_stored": (
        "A secret is stored (not shown). Leave the field empty to keep it.",
        "シークレットは保存済みです（表示しません）。そのままにするには空欄のままにして下さい。",
    ),
    "setup.secret_clear": (
        "Forget the stored secret (public client)",
        "保存済みのシークレットを消す（パブリッククライアント）",
    ),
    "setup.tenant": ("Tenant (Microsoft)", "テナント（Microsoft）"),
    "setup.help_tenant": (
        "common (work and personal accounts, the default), organizations, consumers, or your "
        "Directory (tenant) ID or domain from the app\u2019s Overview page (single-tenant apps "
        "need it).",
        "common（職場と個人のアカウント、既定）、organizations、consumers、またはアプリの概要ページ"
        "の ディレクトリ（テナント）ID かドメイン（シングルテナントのアプリでは必須）。",
    ),
    "setup.issuer": ("Issuer URL (other provider)", "発行者 URL（その他のプロバイダー）"),
    "setup.help_issuer": (
        "The provider\u2019s issuer, e.g. https://id.example.com; the endpoints are read from its "
        "/.well-known/openid-configuration.",
        "プロバイダーの発行者（例: https://id.example.com）。エンドポイントは "
        "/.well-known/openid-configuration から読み取ります。",
    ),
    "setup.scope": ("Scopes (optional)", "スコープ（省略可）"),
    "setup.help_scope": (
        "Empty: the provider\u2019s usual mail scopes (other providers: openid offline_access "
        "email). Separate several with spaces.",
        "空欄: プロバイダーの通常のメール用スコープ（その他のプロバイダーは openid offline_access "
        "email）。複数はスペースで区切ります。",
    ),
    "setup.redirect": ("Redirect URI to register", "登録するリダイレクト URI"),
    "setup.help_redirect": (
        "Register exactly this address for the app (Microsoft: Authentication \u2192 Add a "
        "platform; the seed used http://localhost:8001/myapp/). Google desktop clients need "
        "nothing registered.",
        "アプリにこのアドレスをそのまま登録して下さい（Microsoft: 認証 → プラットフォームを追加。"
        "元の手順は http://localhost:8001/myapp/）。Google のデスクトップクライアントは登録不要です。",
    ),
    "setup.get_token": ("Get refresh token", "リフレッシュトークンを取得"),
    "setup.token_ok": (
        "Signed in as {user}. Scopes granted: {scopes}. The token is kept here until you save.",
        "{user} としてサインインしました。許可されたスコープ: {scopes}。保存するまでトークンはここで"
        "保持します。",
    ),
    "setup.token_stored": (
        "A refresh token for {user} is already stored in {path}.",
        "{user} のリフレッシュトークンは既に {path} に保存されています。",
    ),
    "setup.token_none": ("No refresh token yet.", "リフレッシュトークンはまだありません。"),
    "setup.token_failed": (
        "Getting the refresh token failed:",
        "リフレッシュトークンを取得できませんでした:",
    ),
    "setup.needs_token": (
        "This needs a refresh token: press \u201cGet refresh token\u201d first.",
        "リフレッシュトークンが必要です。先に「リフレッシュトークンを取得」を押して下さい。",
    ),
    # -- server
    "setup.server_section": ("Mail server", "メールサーバー"),
    "setup.defaults_button": (
        "Use the provider\u2019s server settings",
        "プロバイダーのサーバー設定を使う",
    ),
    "setup.server": ("SMTP server", "SMTP サーバー"),
    "setup.help_server": (
        "Microsoft: smtp.office365.com. Google: smtp.gmail.com.",
        "Microsoft は smtp.office365.com、Google は smtp.gmail.com です。",
    ),
    "setup.port": ("Port", "ポート"),
    "setup.tls": ("Security", "暗号化"),
    "setup.tls_starttls": ("STARTTLS (usually port 587)", "STARTTLS（通常ポート 587）"),
    "setup.tls_smtps": (
        "SMTPS, TLS from the start (usually 465)",
        "SMTPS、最初から TLS（通常 465）",
    ),
    "setup.tls_none": ("None (local networks only)", "なし（社内ネットワーク専用）"),
    "setup.auth": ("Authentication", "認証方式"),
    "setup.help_auth": (
        "OAUTH-XOAUTH2 uses the refresh token above (Microsoft and Gmail need it). PLAIN, LOGIN "
        "and CRAM-MD5 use a password.",
        "OAUTH-XOAUTH2 は上のリフレッシュトークンを使います（Microsoft と Gmail はこれが必要です）。"
        "PLAIN、LOGIN、CRAM-MD5 はパスワードを使います。",
    ),
    "setup.auth_none": ("None", "なし"),
    "setup.password": (
        "SMTP password (PLAIN, LOGIN, CRAM-MD5)",
        "SMTP パスワード（PLAIN、LOGIN、CRAM-MD5）",
    ),
    "setup.help_password": (
        "Saved in smail.ini, which is written private to you.",
        "smail.ini に保存します。ファイルはあなただけが読めるように書き込みます。",
    ),
    "setup.password_stored": (
        "A password is stored (not shown). Leave the field empty to keep it.",
        "パスワードは保存済みです（表示しません）。そのままにするには空欄のままにして下さい。",
    ),
    "setup.sender": ("From (optional)", "差出人（省略可）"),
    "setup.help_sender": (
        "Default sender, e.g. Name <me@example.com>; empty: the mail address.",
        "既定の差出人（例: 山田 太郎 <me@example.com>）。空欄ならメールアドレスを使います。",
    ),
    "setup.charset": ("Charset", "文字コード"),
    "setup.help_charset": (
        "auto: ISO-2022-JP when the text fits, else UTF-8 (as SMAIL does).",
        "auto: 文字が収まれば ISO-2022-JP、そうでなければ UTF-8（SMAIL と同じ）。",
    ),
    "setup.cafile": ("CA certificates file (optional)", "CA 証明書ファイル（省略可）"),
    "setup.help_cafile": (
        "A PEM file to trust instead of the system\u2019s certificates (company servers).",
        "システムの証明書の代わりに信頼する PEM ファイル（社内サーバー用）。",
    ),
    "setup.pop_section": ("POP before SMTP", "POP before SMTP（送信前の POP3 認証）"),
    "setup.pop_enabled": ("Log in to POP3 before sending", "送信前に POP3 にログインする"),
    "setup.help_pop": (
        "Only for old servers that ask for it. The POP3 password comes from password_command "
        "or the keyring (docs/settings.md), or the OAuth token.",
        "これを求める古いサーバーの場合だけです。POP3 のパスワードは password_command か"
        "キーリング（docs/settings.md）、または OAuth トークンを使います。",
    ),
    "setup.pop_server": (
        "POP3 server (empty: the SMTP server)",
        "POP3 サーバー（空欄: SMTP サーバー）",
    ),
    "setup.pop_port": ("POP3 port", "POP3 ポート"),
    "setup.pop_tls": ("POP3 security", "POP3 の暗号化"),
    "setup.pop_user": ("POP3 user", "POP3 ユーザー"),
    # -- test
    "setup.test_section": ("Test", "テスト"),
    "setup.test_to": ("Send a test mail to", "テストメールの宛先"),
    "setup.help_test_to": (
        "Any address you can read; the mail goes out with the settings above (not saved yet).",
        "受信を確認できる任意のアドレス。上の設定（まだ保存されていません）で送信します。",
    ),
    "setup.test_button": ("Send test mail", "テストメールを送信"),
    "setup.test_subject": ("smail setup test", "smail 設定テスト"),
    "setup.test_body": (
        "This test mail was sent by smail-token setup.",
        "このテストメールは smail-token setup から送信しました。",
    ),
    "setup.test_ok": (
        "The test mail to {to} was accepted by {server}.",
        "{to} 宛てのテストメールを {server} が受け付けました。",
    ),
    "setup.test_failed": (
        "The test mail failed (exit code {code}).",
        "テストメールの送信に失敗しました（終了コード {code}）。",
    ),
    "setup.transcript": ("Transcript of -d (secrets masked)", "-d の記録（秘密の値は伏せ字）"),
    # -- save
    "setup.save_section": ("Save", "保存"),
    "setup.folder": ("Folder for smail.ini", "smail.ini を置くフォルダー"),
    "setup.help_folder": (
        "smail looks for smail.ini in the current folder, beside the smail command, then in "
        "{user_dir}.",
        "smail は smail.ini を現在のフォルダー、smail コマンドと同じフォルダー、次に {user_dir} で"
        "探します。",
    ),
    "setup.save_button": ("Save", "保存"),
    "setup.saved": ("Saved: {paths}", "保存しました: {paths}"),
    "setup.command": ("Send with:", "送信するには:"),
    "setup.save_failed": ("Cannot write {path}: {reason}", "{path} に書き込めません: {reason}"),
    "setup.done_button": ("Finish", "終了"),
    "setup.done_title": ("Setup finished", "設定を終了しました"),
    "setup.done_text": (
        "The setup page has stopped. You can close this tab.",
        "設定ページは停止しました。このタブを閉じて構いません。",
    ),
    # -- field problems
    "setup.err_required": ("This field is needed.", "この項目は必須です。"),
    "setup.err_password_again": (
        "The stored password belongs to another server, port, TLS mode or CA file; it is not "
        "sent anywhere else. Type the password again to use it with these settings.",
        "保存されているパスワードは別のサーバー・ポート・TLS・CA ファイル用のため、ほかへは"
        "送りません。この設定で使うにはパスワードをもう一度入力して下さい。",
    ),
    "setup.err_secret_again": (
        "The stored client secret belongs to another provider, tenant, issuer or client ID; it "
        "is not sent anywhere else. Type the client secret again to use it here.",
        "保存されているクライアントシークレットは別のプロバイダー・テナント・発行者・"
        "クライアント ID 用のため、ほかへは送りません。ここで使うにはもう一度入力して下さい。",
    ),
    "setup.err_control": (
        "Line breaks and control characters are not allowed.",
        "改行や制御文字は使えません。",
    ),
    "setup.err_address": (
        "Not a mail address (name@example.com).",
        "メールアドレス（name@example.com）ではありません。",
    ),
    "setup.err_sender_needed": (
        "Give a From address (or a mail address above).",
        "差出人（または上のメールアドレス）を入力して下さい。",
    ),
    "setup.err_port": ("A port is a number from 1 to 65535.", "ポートは 1 から 65535 の数です。"),
    "setup.err_choice": ("Choose one of the listed values.", "一覧の値から選んで下さい。"),
    "setup.err_issuer": (
        "An https:// URL without ?query or #fragment (http:// only on this computer).",
        "?クエリや #フラグメントのない https:// の URL（http:// はこのコンピューター上のみ）。",
    ),
    "setup.err_tenant": (
        "common, organizations, consumers, a tenant ID or a domain.",
        "common、organizations、consumers、テナント ID またはドメイン。",
    ),
    "setup.err_host": ("Not a host name.", "ホスト名ではありません。"),
    "setup.err_client_id": ("A client ID has no spaces.", "クライアント ID に空白は含まれません。"),
    "setup.err_scope": (
        "Scopes are words separated by single spaces.",
        "スコープは 1 つの空白で区切った語です。",
    ),
    # -- refusals (plain text answers)
    "setup.forbidden": (
        "Forbidden: open the address that smail-token setup printed (it holds the key).",
        "アクセスできません。smail-token setup が表示したアドレス（鍵を含む）を開いて下さい。",
    ),
    "setup.stale_form": (
        "This form is stale or came from another site. Reload the setup page and try again.",
        "このフォームは古いか、別のサイトから送信されました。設定ページを再読み込みしてやり直して下さい。",
    ),
    "setup.no_login": (
        "No sign-in is waiting for this answer (a stale or forged link). Press \u201cGet refresh "
        "token\u201d on the setup page again.",
        "この応答を待っているサインインはありません（古いか偽造されたリンク）。設定ページで"
        "「リフレッシュトークンを取得」をもう一度押して下さい。",
    ),
}
