"""Catalogue entries of the `smail-token` command: message id -> (english, japanese).

Errors say what to do next; failures of the login come under ERR-0028 like every token failure.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- login errors
    "token.port_in_use": (
        "Port {port} on 127.0.0.1 is already in use, so the sign-in redirect cannot be received. "
        "Stop the program that uses it (find it with `lsof -i :{port}` or, on Windows, "
        "`netstat -ano | findstr :{port}`, and a port Windows reserves (Hyper-V, WSL, Docker) with "
        "`netsh interface ipv4 show excludedportrange protocol=tcp`; some antivirus proxies use "
        "8001), or choose another "
        "port with --port N and register http://localhost:N/myapp/ as a redirect URI of the app.",
        "127.0.0.1 のポート {port} は既に使われているため、サインイン後のリダイレクトを受け取れません。"
        "そのポートを使っているプログラムを停止するか（`lsof -i :{port}`、Windows では "
        "`netstat -ano | findstr :{port}` で確認できます。Windows が予約したポート（Hyper-V、WSL、Docker）は "
        "`netsh interface ipv4 show excludedportrange protocol=tcp` で確認できます。"
        "ウイルス対策ソフトのプロキシーが 8001 を使う"
        "場合があります）、--port N で別のポートを選び、http://localhost:N/myapp/ をアプリの"
        "リダイレクト URI に登録して下さい。",
    ),
    "token.bind_failed": (
        "Cannot listen on {host} port {port} for the sign-in redirect: {reason}.",
        "サインインのリダイレクトを受けるため {host} のポート {port} で待ち受けできません: {reason}。",
    ),
    "token.timeout": (
        "No sign-in came back within {seconds} seconds. Run the command again and finish the "
        "sign-in in the browser sooner, or give more time with --wait SECONDS.",
        "{seconds} 秒以内にサインインが完了しませんでした。もう一度実行してブラウザーでのサインインを"
        "早めに済ませるか、--wait 秒数 で待ち時間を延ばして下さい。",
    ),
    "token.state_mismatch": (
        "The redirect's state does not match this login (a forged or old redirect). Nothing was "
        "saved. Run `smail-token login` again and use only the page it opens.",
        "リダイレクトの state がこのログインと一致しません（偽装または古いリダイレクト）。何も保存して"
        "いません。`smail-token login` をもう一度実行し、開かれたページだけを使って下さい。",
    ),
    "token.consent_refused": (
        "The sign-in was cancelled or consent was refused ({description}). Nothing was saved. "
        "Run `smail-token login` again and accept the requested permissions; if an administrator "
        "must consent for your organisation, ask them to grant consent to the app.",
        "サインインが取り消されたか、同意が拒否されました（{description}）。何も保存していません。"
        "`smail-token login` をもう一度実行して要求されたアクセス許可を承諾して下さい。組織で管理者の"
        "同意が必要な場合は、管理者にアプリへの同意を依頼して下さい。",
    ),
    "token.authorize_error": (
        "The authorization server refused the sign-in: {error} ({description}). Check the client "
        "ID, the redirect URI registered for the app and the scopes.",
        "認可サーバーがサインインを拒否しました: {error}（{description}）。クライアント ID、アプリに"
        "登録したリダイレクト URI、スコープを確認して下さい。",
    ),
    "token.issuer_mismatch": (
        "The redirect came from issuer {got}, not {expected} (RFC 9207). Nothing was saved.",
        "リダイレクトの発行者が {expected} ではなく {got} です（RFC 9207）。何も保存していません。",
    ),
    "token.redirect_malformed": (
        "That is not a sign-in redirect: it has neither code= nor error=. Paste the whole "
        "address of the page the browser ended on.",
        "サインインのリダイレクトではありません（code= も error= もありません）。ブラウザーが最後に"
        "表示したページのアドレス全体を貼り付けて下さい。",
    ),
    "token.no_refresh_token": (
        "The sign-in worked but the server returned no refresh token, so nothing was saved. Ask "
        "for offline_access (Microsoft, generic) and give consent again (Google: "
        "access_type=offline and prompt=consent, which smail-token sends).",
        "サインインはできましたが、リフレッシュトークンが返されなかったため何も保存していません。"
        "offline_access を要求し（Microsoft、汎用）、もう一度同意して下さい（Google は "
        "access_type=offline と prompt=consent が必要で、smail-token は送っています）。",
    ),
    "token.device_malformed": (
        "The device authorization answer is not usable ({reason}).",
        "デバイス認可の応答が使えません（{reason}）。",
    ),
    "token.device_expired": (
        "The device code expired before the sign-in was approved. Run `smail-token login "
        "--device` again and enter the code sooner.",
        "サインインが承認される前にデバイスコードの期限が切れました。`smail-token login --device` を"
        "もう一度実行し、早めにコードを入力して下さい。",
    ),
    "token.device_google": (
        "Google does not allow the device flow for mail: its device flow refuses the scope "
        "https://mail.google.com/. Use `smail-token login` with a browser (or sign in on another "
        "computer and copy smail_refreshtoken.ini).",
        "Google はメール用にデバイスフローを許可していません（https://mail.google.com/ スコープを"
        "拒否します）。ブラウザーで `smail-token login` を使うか、別の PC でサインインして "
        "smail_refreshtoken.ini をコピーして下さい。",
    ),
    "token.no_endpoint": (
        "No {what} is known for this provider. Give --issuer URL (OpenID discovery) or the "
        "endpoint URLs (--auth-url, --token-url, --device-url).",
        "このプロバイダーの {what} が分かりません。--issuer URL（OpenID ディスカバリー）または"
        "エンドポイント URL（--auth-url、--token-url、--device-url）を指定して下さい。",
    ),
    "token.bad_redirect_uri": (
        "The redirect URI {uri} cannot be used: {reason}.",
        "リダイレクト URI {uri} は使えません: {reason}。",
    ),
    "token.secret_in_argv": (
        "The client secret is never taken from the command line (other users can read it there). "
        "Use --client-secret-file PATH, the SMAIL_CLIENT_SECRET environment variable, or type it "
        "at the hidden prompt.",
        "クライアントシークレットはコマンドラインからは受け取りません（他のユーザーから見えます）。"
        "--client-secret-file パス、環境変数 SMAIL_CLIENT_SECRET、または非表示の入力欄を使って下さい。",
    ),
    "token.secret_file": (
        "Cannot read the client secret file {path}: {reason}.",
        "クライアントシークレットのファイル {path} を読めません: {reason}。",
    ),
    "token.secret_needed": (
        "A client secret is needed and there is no terminal to ask for it. Use "
        "--client-secret-file PATH or SMAIL_CLIENT_SECRET, or --public for a public client.",
        "クライアントシークレットが必要ですが、入力を求める端末がありません。--client-secret-file "
        "パスか SMAIL_CLIENT_SECRET を使うか、公開クライアントなら --public を指定して下さい。",
    ),
    "token.value_needed": (
        "{what} is needed: give {option} (there is no terminal to ask).",
        "{what} が必要です: {option} を指定して下さい（入力を求める端末がありません）。",
    ),
    "token.bad_args": ("{detail}", "コマンドラインが不正です: {detail}"),
    "token.revocation_failed": (
        "The provider did not revoke the token: HTTP {status} from {url}.",
        "プロバイダーがトークンを無効化しませんでした: {url} から HTTP {status}。",
    ),
    "token.app_only_file": (
        "{path} holds app-only settings (client credentials): it has no refresh token to {what}.",
        "{path} はアプリ専用（クライアント資格情報）の設定で、{what} するリフレッシュトークンは"
        "ありません。",
    ),
    "token.no_server": (
        "No SMTP server to check: no smail.ini was found (or it has no server=). Give --config "
        "PATH, or --server HOST.",
        "確認する SMTP サーバーがありません: smail.ini が見つからないか server= がありません。"
        "--config パスまたは --server ホスト を指定して下さい。",
    ),
    # -- progress and results
    "token.open_browser": (
        "Sign in as {user} in the browser. If no browser opens, open this address yourself:",
        "ブラウザーで {user} としてサインインして下さい。ブラウザーが開かない場合は、次のアドレスを"
        "開いて下さい:",
    ),
    "token.paste_hint": (
        "Waiting for the redirect to {redirect} (up to {seconds} s). On another computer, paste "
        "here the address the browser ends on and press Enter.",
        "{redirect} へのリダイレクトを待っています（最大 {seconds} 秒）。別の PC でサインインした"
        "場合は、ブラウザーが最後に表示したアドレスをここに貼り付けて Enter を押して下さい。",
    ),
    "token.saved": (
        "Refresh token for {user} saved in {path} (private to this user). smail with auth = "
        "OAUTH-XOAUTH2 now uses it.",
        "{user} のリフレッシュトークンを {path} に保存しました（このユーザーだけが読めます）。"
        "auth = OAUTH-XOAUTH2 の smail がこれを使います。",
    ),
    "token.saved_keyring": (
        "Refresh token for {user} saved in the OS keyring (service {service}); {path} holds "
        "the other settings and a reference to it (an old SMAIL cannot use such a file). smail "
        "with auth = OAUTH-XOAUTH2 now uses it.",
        "{user} のリフレッシュトークンを OS のキーリング（サービス {service}）に保存しました。"
        "{path} にはその他の設定とキーリングへの参照があります（従来の SMAIL はこのファイルを"
        "使えません）。auth = OAUTH-XOAUTH2 の smail がこれを使います。",
    ),
    "token.keyring_missing": (
        "--keyring needs the keyring package: pip install pysmail[keyring] (or leave out "
        "--keyring to keep the refresh token in {path}).",
        "--keyring には keyring パッケージが必要です: pip install pysmail[keyring] を実行する"
        "か、--keyring を付けずにリフレッシュトークンを {path} に保存して下さい。",
    ),
    "token.keyring_app_only": (
        "--keyring keeps a refresh token, and --app-only has none: leave out one of them.",
        "--keyring はリフレッシュトークンを保存するものですが、--app-only にはリフレッシュ"
        "トークンがありません。どちらかを外して下さい。",
    ),
    "token.refresh_keyring": (
        "in the OS keyring ({account}); ",
        "OS のキーリング内（{account}）。",
    ),
    "token.refresh_keyring_broken": (
        "in the OS keyring ({account}), NOT readable: {problem}; ",
        "OS のキーリング内（{account}）ですが読めません: {problem}。",
    ),
    "token.keyring_deleted": (
        "Deleted the refresh token from the OS keyring ({service}, {account}).",
        "OS のキーリングからリフレッシュトークンを削除しました（{service}、{account}）。",
    ),
    "token.keyring_absent": (
        "The OS keyring had no entry {account} (service {service}): nothing to delete there.",
        "OS のキーリングに {account}（サービス {service}）の項目はありませんでした。削除する"
        "ものはありません。",
    ),
    "token.certificate_saved": (
        "It signs in with the certificate {certificate} (SHA-1 thumbprint {thumbprint}, the "
        "value the app registration lists); the file names the PEM files, never the key itself.",
        "証明書 {certificate}（SHA-1 拇印 {thumbprint}、アプリ登録に表示される値）でサインイン"
        "します。ファイルには PEM ファイルの場所だけを記録し、鍵そのものは記録しません。",
    ),
    "token.certificate_app_only": (
        "--certificate is for app-only sign-in: add --app-only (a user sign-in needs no "
        "certificate).",
        "--certificate はアプリ専用のサインイン用です: --app-only を付けて下さい（ユーザーの"
        "サインインに証明書は不要です）。",
    ),
    "token.private_key_alone": (
        "--private-key goes with --certificate PEM: give the certificate too.",
        "--private-key は --certificate PEM と一緒に使います: 証明書も指定して下さい。",
    ),
    "token.certificate_conflict": (
        "--certificate replaces the client secret: leave out --client-secret-file, --public "
        "and --keyring.",
        "--certificate はクライアントシークレットの代わりです: --client-secret-file、--public、"
        "--keyring を外して下さい。",
    ),
    "token.app_only_saved": (
        "App-only settings for {user} saved in {path}. No refresh token: an access token is "
        "fetched per need (`smail-token access-token`, or password_command in smail.ini).",
        "{user} のアプリ専用設定を {path} に保存しました。リフレッシュトークンはなく、必要な時に"
        "アクセストークンを取得します（`smail-token access-token`、または smail.ini の "
        "password_command）。",
    ),
    "token.device_prompt": (
        "On any device, open {uri} and enter the code {code}  (or open {complete}). Waiting up "
        "to {seconds} s...",
        "任意の端末で {uri} を開き、コード {code} を入力して下さい（または {complete} を開く）。"
        "最大 {seconds} 秒待ちます...",
    ),
    "token.page_ok_title": ("Signed in: smail-token is done", "サインイン完了: smail-token"),
    "token.page_ok_detail": (
        "The refresh token for {user} is saved in {path}. You can close this window and go back "
        "to the terminal.",
        "{user} のリフレッシュトークンを {path} に保存しました。このウィンドウを閉じて端末に"
        "戻って下さい。",
    ),
    "token.page_fail_title": (
        "Sign-in failed: nothing was saved",
        "サインイン失敗: 何も保存していません",
    ),
    "token.page_close": (
        "smail-token has finished; the terminal shows the same message.",
        "smail-token は終了しました。端末にも同じメッセージが表示されています。",
    ),
}
