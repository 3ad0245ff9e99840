"""Catalogue entries of `smail-token --help` (and its man page): message id -> (english, japanese).

cli/token_args.py gives each option the text of `token.help.<command>.<dest>`, else of
`token.help.<dest>` (an option several commands share); each command's line in the list is
`token.help.command.<command>`. The `token.help.argparse.*` ids are argparse's own words.
"""

MESSAGES: dict[str, tuple[str, str]] = {
    # -- argparse's own words
    "token.help.argparse.usage": ("usage: ", "使い方: "),
    "token.help.argparse.positionals": ("commands", "コマンド"),
    "token.help.argparse.options": ("options", "オプション"),
    "token.help.help": ("show this help message and exit", "このヘルプを表示して終了します"),
    # -- the command and its commands
    "token.help.description": (
        "Get and keep OAuth tokens for smail.",
        "smail の OAuth トークンを取得し、保管します。",
    ),
    "token.help.command": (
        "the command (each has its own --help)",
        "コマンド（それぞれに --help があります）",
    ),
    "token.help.command.login": (
        "sign in and save smail_refreshtoken.ini",
        "サインインして smail_refreshtoken.ini を保存します",
    ),
    "token.help.command.status": (
        "show stored accounts (never a token)",
        "保存されたアカウントを表示します（トークンは表示しません）",
    ),
    "token.help.command.check": (
        "refresh, connect and authenticate (no mail)",
        "トークンを更新し、SMTP サーバーに接続して認証します（メールは送りません）",
    ),
    "token.help.command.revoke": ("revoke at the provider", "プロバイダーでトークンを取り消します"),
    "token.help.command.logout": (
        "revoke at the provider and remove",
        "プロバイダーでトークンを取り消し、トークンファイルから削除します",
    ),
    "token.help.command.access-token": (
        "print a fresh access token",
        "有効なアクセストークンを表示します",
    ),
    "token.help.command.setup": (
        "set up smail.ini and the token in a local web page",
        "ローカルの Web ページで smail.ini とトークンを設定します",
    ),
    # -- options several commands share
    "token.help.lang": (
        "language of messages and help: en or ja (default: LANG, else Windows' display language)",
        "メッセージとヘルプの言語: en または ja（既定: LANG、なければ Windows の表示言語）",
    ),
    "token.help.file": (
        "the token file (default: smail.ini's oauth_token_file, else smail_refreshtoken.ini "
        "beside smail.ini, in the current folder or in the user settings folder)",
        "トークンファイル（既定: smail.ini の oauth_token_file、なければ smail.ini の隣、"
        "現在のフォルダー、ユーザー設定フォルダーの smail_refreshtoken.ini）",
    ),
    "token.help.account": (
        "the [account NAME] of smail.ini (its token file: smail_refreshtoken.NAME.ini unless it "
        "names one)",
        "smail.ini の [account NAME]（そのトークンファイル: 指定がなければ "
        "smail_refreshtoken.NAME.ini）",
    ),
    "token.help.user": ("mail address (the SMTP user name)", "メールアドレス（SMTP のユーザー名）"),
    "token.help.no_browser": (
        "print the URL only (do not open a browser)",
        "URL を表示するだけで、ブラウザーは開きません",
    ),
    # -- login
    "token.help.login.provider": (
        "the provider's preset: microsoft (default), google or generic",
        "プロバイダーのプリセット: microsoft（既定）、google、generic",
    ),
    "token.help.login.client_id": (
        "the application (client) ID of the app registration",
        "アプリ登録のアプリケーション (クライアント) ID",
    ),
    "token.help.login.client_secret_file": (
        "read the client secret from this file (else SMAIL_CLIENT_SECRET, else a hidden "
        "prompt; never on the command line)",
        "クライアントシークレットをこのファイルから読みます（なければ SMAIL_CLIENT_SECRET、"
        "それもなければ入力を求めます。コマンドラインには書けません）",
    ),
    "token.help.login.public": (
        "public client: no secret",
        "パブリッククライアント: シークレットなし",
    ),
    "token.help.login.issuer": (
        "OpenID issuer URL (generic): endpoints by discovery",
        "OpenID の発行者 URL（generic）: エンドポイントはディスカバリーで取得します",
    ),
    "token.help.login.auth_url": (
        "the authorization endpoint (instead of the preset's or the discovered one)",
        "認可エンドポイント（プリセットやディスカバリーの代わりに）",
    ),
    "token.help.login.token_url": (
        "the token endpoint (instead of the preset's or the discovered one)",
        "トークンエンドポイント（プリセットやディスカバリーの代わりに）",
    ),
    "token.help.login.device_url": (
        "the device authorization endpoint for --device",
        "--device で使うデバイス認可エンドポイント",
    ),
    "token.help.login.tenant": (
        "Microsoft: common, organizations, consumers or an id",
        "Microsoft: common、organizations、consumers またはテナント ID",
    ),
    "token.help.login.scope": (
        "scope(s); replaces the preset's (may be repeated)",
        "スコープ。プリセットのスコープを置き換えます（複数回指定できます）",
    ),
    "token.help.login.redirect_uri": (
        "the redirect URI registered for the app (default: http://localhost:8001/myapp/ for "
        "Microsoft, http://127.0.0.1 with a free port otherwise)",
        "アプリに登録したリダイレクト URI（既定: Microsoft は http://localhost:8001/myapp/、"
        "それ以外は空いているポートの http://127.0.0.1）",
    ),
    "token.help.login.prompt": (
        "prompt= for the authorization request (e.g. select_account, consent)",
        "認可要求の prompt=（例: select_account、consent）",
    ),
    "token.help.login.device": ("device code flow (RFC 8628)", "デバイスコードフロー（RFC 8628）"),
    "token.help.login.app_only": (
        "client credentials (app-only)",
        "クライアント資格情報（アプリのみ、ユーザーのサインインなし）",
    ),
    "token.help.login.certificate": (
        "app-only: authenticate with this certificate (private_key_jwt), not a secret",
        "アプリのみ: シークレットではなくこの証明書で認証します（private_key_jwt）",
    ),
    "token.help.login.private_key": (
        "PEM private key of --certificate (default: in the certificate's PEM)",
        "--certificate の秘密鍵（PEM）（既定: 証明書の PEM の中）",
    ),
    "token.help.login.timeout": (
        "seconds for each request to the provider (OAUTH2_TIME_OUT; default 30)",
        "プロバイダーへの各要求の秒数（OAUTH2_TIME_OUT。既定 30）",
    ),
    "token.help.login.wait": (
        "seconds to wait for the sign-in (default: 10 x --timeout)",
        "サインインを待つ秒数（既定: --timeout の 10 倍）",
    ),
    "token.help.login.proxy": (
        "proxy URL for the requests to the provider (else HTTPS_PROXY)",
        "プロバイダーへの要求に使うプロキシーの URL（なければ HTTPS_PROXY）",
    ),
    "token.help.login.file": (
        "where to save the token file (default: smail.ini's oauth_token_file, else beside "
        "smail.ini, else the current folder)",
        "トークンファイルの保存先（既定: smail.ini の oauth_token_file、なければ smail.ini の隣、"
        "それもなければ現在のフォルダー）",
    ),
    "token.help.login.cafile": (
        "verify the provider's HTTPS servers with the CA certificates of this PEM file only "
        "(a private CA), not the system's",
        "プロバイダーの HTTPS サーバーを、システムの CA ではなくこの PEM ファイルの CA 証明書だけで"
        "検証します（社内 CA）",
    ),
    "token.help.login.port": (
        "the port of the redirect URI, where the sign-in comes back (its path stays)",
        "サインインが戻ってくるリダイレクト URI のポート（パスはそのまま）",
    ),
    "token.help.login.keyring": (
        "keep the refresh token in the OS keyring; the file holds a reference",
        "リフレッシュトークンを OS のキーリングに保管し、ファイルには参照だけを書きます",
    ),
    # -- status
    "token.help.status.file": (
        "a token file to show (may be repeated; default: the one smail uses)",
        "表示するトークンファイル（複数回指定できます。既定: smail が使うファイル）",
    ),
    "token.help.status.offline": ("do not ask the provider", "プロバイダーに問い合わせません"),
    # -- check
    "token.help.check.config": (
        "the smail.ini to take the SMTP server from (default: the one smail uses)",
        "SMTP サーバーの設定を読む smail.ini（既定: smail が使うファイル）",
    ),
    "token.help.check.server": (
        "the SMTP server (instead of smail.ini's)",
        "SMTP サーバー（smail.ini の設定の代わりに）",
    ),
    "token.help.check.port": ("the SMTP port", "SMTP のポート"),
    "token.help.check.cafile": (
        "verify the SMTP server with the CA certificates of this PEM file only (a private CA)",
        "SMTP サーバーを、この PEM ファイルの CA 証明書だけで検証します（社内 CA）",
    ),
    "token.help.check.tls": ("starttls, smtps or none", "starttls、smtps または none"),
    "token.help.check.debug": (
        "show the SMTP dialogue (secrets masked)",
        "SMTP のやり取りを表示します（秘密の値は伏せ字）",
    ),
    # -- access-token
    "token.help.access-token.user": (
        "the user name in the --sasl string (default: the token file's UserID)",
        "--sasl の文字列に入れるユーザー名（既定: トークンファイルの UserID）",
    ),
    "token.help.access-token.sasl": (
        "print the SASL initial response of xoauth2 or oauthbearer (base64) instead of the token",
        "トークンの代わりに xoauth2 または oauthbearer の SASL 初期応答（base64）を表示します",
    ),
    # -- setup
    "token.help.setup.port": (
        "listen on this port (default 8001)",
        "このポートで待ち受けます（既定 8001）",
    ),
    "token.help.setup.idle": (
        "stop after MINUTES idle (default 15)",
        "操作がない状態が MINUTES 分続いたら終了します（既定 15）",
    ),
}
