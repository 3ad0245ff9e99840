"""Catalogue entries of the cli area: message id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- errors of the command-line parser (ERR-0017) ---
    "cli.unknown_option": (
        'Unknown option "{option}". Run smail -? for the list of options.',
        "不明なオプションです:「{option}」。smail -? でオプション一覧を表示します。",
    ),
    "cli.bundled_flags": (
        'Options cannot be combined in one argument: write "{split}" instead of "{option}".',
        "オプションはまとめて指定できません。「{option}」ではなく「{split}」と指定して下さい。",
    ),
    "cli.missing_value": (
        "Option {option} needs a value, for example {example}.",
        "オプション {option} に値がありません。例: {example}",
    ),
    "cli.value_not_attached": (
        'Option {option} needs its value attached to it: "{value}" looks like a recipient. '
        "Write {option}<value> without a space.",
        "オプション {option} の値は空白を入れずに続けて指定して下さい"
        "(「{value}」は送信先と見なされます)。例: {option}<値>",
    ),
    "cli.no_value_expected": (
        "Option {option} takes no value.",
        "オプション {option} には値を指定できません。",
    ),
    "cli.bad_choice": (
        'Invalid value "{value}" for {option}: expected one of {choices}.',
        "{option} の値「{value}」は使えません。指定できる値: {choices}",
    ),
    "cli.bad_priority": (
        'Invalid priority "{value}" for {option}: expected a number from 1 to 9 '
        "(1-4 high, 5-9 low).",
        "{option} の優先度「{value}」は使えません。1～9 の数字を指定して下さい"
        "(1～4 重要度高、5～9 重要度低)。",
    ),
    "cli.bad_port": (
        'Invalid port "{value}" for {option}: expected a number from 1 to 65535.',
        "{option} のポート番号「{value}」は使えません。1～65535 の数字を指定して下さい。",
    ),
    "cli.bad_helo": (
        'Invalid EHLO name "{value}" for {option}: expected a host name (mail.example.org) or an '
        "address literal ([192.0.2.1], [IPv6:2001:db8::1]) of at most 255 characters.",
        "{option} の EHLO 名「{value}」は使えません。ホスト名（mail.example.org）または"
        "アドレスリテラル（[192.0.2.1]、[IPv6:2001:db8::1]）を 255 文字以内で指定して下さい。",
    ),
    "cli.bad_proxy": (
        'Invalid proxy "{value}" for {option}: {reason}. Write http://host:port, '
        "socks5://host:port, socks5h://host:port or none.",
        "{option} のプロキシー「{value}」は使えません: {reason}。http://host:port、"
        "socks5://host:port、socks5h://host:port または none を指定して下さい。",
    ),
    "cli.proxy_credentials": (
        "{option} must not carry a user name or password: other users can read a command "
        "line. Put the proxy with its credentials in smail.ini (proxy= in [smail]).",
        "{option} にユーザー名やパスワードを書かないで下さい。コマンドラインは他のユーザー"
        "からも見えます。認証付きのプロキシーは smail.ini の [smail] の proxy= に書いて下さい。",
    ),
    "cli.bad_timeout": (
        'Invalid time "{value}" for {option}: expected a number of seconds greater than 0.',
        "{option} の時間「{value}」は使えません。0 より大きい秒数を指定して下さい。",
    ),
    "cli.bad_encoding": (
        '"{value}" is not a text encoding {option} can read (examples: auto, utf-8, shift_jis, '
        "cp932, euc-jp, iso-2022-jp, utf-16).",
        "{option} の文字コード「{value}」は使えません(例: auto, utf-8, shift_jis, cp932, "
        "euc-jp, iso-2022-jp, utf-16)。",
    ),
    "cli.not_utf8": (
        "The value of {option} is not valid UTF-8 text (byte {byte} at character {position}). "
        "Check the character encoding of the terminal or script that started smail.",
        "{option} の値が正しい UTF-8 の文字列ではありません({position} 文字目のバイト {byte})。"
        "smail を起動した端末やスクリプトの文字コードを確認して下さい。",
    ),
    "cli.bad_header": (
        'Invalid header "{value}" for {option}: expected "Name: value" on one line.',
        "{option} のヘッダ「{value}」は不正です。「名前: 値」の形で 1 行で指定して下さい。",
    ),
    # --- usage text (cli/usage.py) ---
    "cli.usage.title": (
        "pysmail {version} - SMAIL-compatible command-line mail sender",
        "pysmail {version} - SMAIL 互換のコマンドライン型メール送信ソフト",
    ),
    "cli.usage.synopsis": ("Usage:", "使用方法:"),
    "cli.usage.smail_heading": (
        'SMAIL options (the value is attached to the flag: -hsmtp.example.com, -s"Subject"):',
        'SMAIL のオプション(値はオプションに続けて指定: -hsmtp.example.com, -s"件名"):',
    ),
    "cli.usage.extra_heading": (
        "pysmail options (--name value or --name=value):",
        "pysmail の追加オプション(--名前 値 または --名前=値):",
    ),
    "cli.usage.recipients": (
        "Recipients: comma-separated addresses; CC: or BCC: in front of one address makes it\n"
        "a Cc or Bcc recipient (the prefix applies to that address only).\n"
        '  smail -hsmtp.example.com -fme@example.com -s"Test" -Fbody.txt '
        "you@example.com,CC:boss@example.com",
        "送信先: メールアドレスをカンマ区切りで指定します。アドレスの前に CC: または BCC: を\n"
        "付けるとそのアドレスだけが CC / BCC になります。\n"
        '  smail -hsmtp.example.com -fme@example.com -s"テスト" -Fbody.txt '
        "you@example.com,CC:boss@example.com",
    ),
    "cli.usage.footer": (
        "Server, port, TLS, SMTP AUTH and passwords come from smail.ini; see docs/settings.md.",
        "サーバ・ポート・TLS・SMTP 認証・パスワードは smail.ini で設定します"
        "(docs/settings.md 参照)。",
    ),
    # --- one line per option (cli/smail_args.py OPTIONS); also the man page source ---
    "cli.help.host": (
        "SMTP server host name or IP address (required unless smail.ini sets server=).",
        "メールサーバ名又は IP アドレス(smail.ini の server= があれば省略可)。",
    ),
    "cli.help.sender": (
        'Sender: me@example.com or "Name <me@example.com>" (default: from= in smail.ini).',
        '送信者: me@example.com または "名前 <me@example.com>"(省略時は smail.ini の from=)。',
    ),
    "cli.help.subject": ("Subject.", "サブジェクト(件名)。"),
    "cli.help.body_file": (
        "Text file holding the body (encoding detected, or --body-encoding).",
        "本文内容テキストファイル名(文字コードは自動判定、または --body-encoding)。",
    ),
    "cli.help.body_text": (
        "Body text on the command line; wins over -F.",
        "本文内容。-F よりも優先されます。",
    ),
    "cli.help.attachments": (
        "Attachments, comma-separated; may be repeated.",
        "添付ファイル名(カンマ区切りで複数可、繰り返し指定可)。",
    ),
    "cli.help.priority": (
        "Priority 1-9: 1-4 high importance, 5-9 low importance.",
        "プライオリティー 1～9: 1～4 は重要度高、5～9 は重要度低。",
    ),
    "cli.help.tz_adjust": (
        "NT time-zone adjustment: accepted and ignored (the Date header is always correct).",
        "NT タイムゾーン調整: 互換のため受け付けますが何もしません(Date は常に正しく付けます)。",
    ),
    "cli.help.silent": (
        "Silent mode: print no error message (the exit code is still set).",
        "サイレントモード: エラーを表示しません(終了コードは返します)。",
    ),
    "cli.help.debug": (
        "Debug display: show the settings and the SMTP/POP3 dialogue (passwords hidden).",
        "デバッグ表示モード: 設定と SMTP/POP3 のやりとりを表示します(パスワードは伏せます)。",
    ),
    "cli.help.info": (
        "Information display: show the effective settings before sending.",
        "インフォメーション表示モード: 送信前に使用する設定を表示します。",
    ),
    "cli.help.message_id": (
        "Add a Message-ID: -m generates one, -m<id> uses <id>.",
        "Message-ID の付加: -m で自動生成、-m<id> で指定した値。",
    ),
    "cli.help.help": ("Show this help.", "このオプションヘルプを表示します。"),
    "cli.help.to": (
        "To recipients (msmtp/swaks style); may be repeated.",
        "To の送信先(msmtp/swaks 形式、繰り返し指定可)。",
    ),
    "cli.help.cc": ("Cc recipients; may be repeated.", "CC の送信先(繰り返し指定可)。"),
    "cli.help.bcc": (
        "Bcc recipients (not written in the header); may be repeated.",
        "BCC の送信先(ヘッダには書きません、繰り返し指定可)。",
    ),
    "cli.help.port": (
        "SMTP port (default 25, 587 with STARTTLS, 465 with SMTPS).",
        "SMTP ポート番号(既定 25、STARTTLS は 587、SMTPS は 465)。",
    ),
    "cli.help.tls": (
        "Connection security: none, starttls or smtps (implicit TLS).",
        "通信の暗号化: none、starttls、smtps(最初から TLS)。",
    ),
    "cli.help.auth": (
        "SMTP AUTH: none, auto, plain, login, cram-md5, xoauth2, oauthbearer, oauth-xoauth2.",
        "SMTP 認証: none、auto、plain、login、cram-md5、xoauth2、oauthbearer、oauth-xoauth2。",
    ),
    "cli.help.user": (
        "SMTP AUTH account (the password never goes on the command line).",
        "SMTP 認証アカウント(パスワードはコマンドラインでは指定しません)。",
    ),
    "cli.help.allow_plaintext_auth": (
        "Allow PLAIN/LOGIN without TLS (the password is sent readable).",
        "TLS なしで PLAIN/LOGIN 認証を許可します(パスワードが平文で流れます)。",
    ),
    "cli.help.cafile": (
        "CA certificate file (PEM) used to verify the server.",
        "サーバ証明書の検証に使う CA 証明書ファイル(PEM)。",
    ),
    "cli.help.no_chunking": (
        "Send with DATA even when the server offers CHUNKING (BDAT).",
        "サーバが CHUNKING (BDAT) に対応していても DATA で送ります。",
    ),
    "cli.help.insecure": (
        "DANGER: do not verify the server certificate (the password can be stolen).",
        "危険: サーバ証明書を検証しません(パスワードを盗まれる恐れがあります)。",
    ),
    "cli.help.helo": (
        "Name sent in EHLO/HELO (default: this computer's name).",
        "EHLO/HELO で名乗る名前(既定はこのコンピュータ名)。",
    ),
    "cli.help.proxy": (
        "Proxy for the SMTP and POP3 connection: http://host:port (HTTP CONNECT), "
        "socks5://host:port or socks5h://host:port; none for no proxy.",
        "SMTP と POP3 の接続に使うプロキシー: http://host:port (HTTP CONNECT)、"
        "socks5://host:port、socks5h://host:port。none でプロキシーを使いません。",
    ),
    "cli.help.timeout": (
        "Network timeout in seconds (default 60).",
        "通信のタイムアウト秒数(既定 60)。",
    ),
    "cli.help.charset": (
        "Message charset (auto: ISO-2022-JP when the text fits, else UTF-8).",
        "メールの文字コード(auto: ISO-2022-JP で書ければ ISO-2022-JP、無理なら UTF-8)。",
    ),
    "cli.help.body_encoding": (
        "Encoding of the -F file (default: auto-detect; e.g. cp932, utf-8).",
        "-F ファイルの文字コード(既定は自動判定。例: cp932、utf-8)。",
    ),
    "cli.help.html_file": (
        "HTML file sent as the HTML part (the -T/-F text stays as the plain-text part).",
        "HTML パートとして送る HTML ファイル(-T/-F の本文はテキストパートになります)。",
    ),
    "cli.help.reply_to": (
        "Reply-To address; may be repeated.",
        "Reply-To のアドレス(繰り返し指定可)。",
    ),
    "cli.help.headers": (
        'Extra header "Name: value"; may be repeated.',
        '追加ヘッダ "名前: 値"(繰り返し指定可)。',
    ),
    "cli.help.config": (
        "Settings file to use instead of the usual smail.ini lookup.",
        "通常の smail.ini の代わりに使う設定ファイル。",
    ),
    "cli.help.account": (
        "Use the [account NAME] section of smail.ini (over [smail]).",
        "smail.ini の [account NAME] セクションを使う([smail] に重ねて)。",
    ),
    "cli.help.dry_run": (
        "Print what would be sent (--flush: the outbox); connect to nothing, send nothing.",
        "送信する内容を表示するだけで、どこにも接続せず送信しません(--flush は送信キュー)。",
    ),
    "cli.help.lang": (
        "Language of the messages: en or ja (default: from the system).",
        "メッセージの言語: en または ja(既定はシステムの設定)。",
    ),
    "cli.help.version": ("Show the version.", "バージョンを表示します。"),
    "cli.help.queue": (
        "Write the message to the outbox first, then send it (nothing is lost if sending fails).",
        "先に送信キュー(outbox)へ保存してから送信します(送信に失敗しても失われません)。",
    ),
    "cli.help.flush": (
        "Send what is queued in the outbox, oldest first (one run at a time).",
        "送信キューにあるメールを古い順に送信します(同時に一つだけ実行)。",
    ),
    "cli.help.queue_list": ("Show the outbox.", "送信キューの内容を表示します。"),
    "cli.help.retry": (
        "Retry temporary failures for up to SEC seconds (backoff with jitter).",
        "一時的なエラーを最大 SEC 秒まで再試行します(間隔は指数的に延長)。",
    ),
    "cli.help.batch": (
        "Send one message per row of a CSV or JSON-lines file over one connection.",
        "CSV または JSON Lines ファイルの各行を1通ずつ、1本の接続で送信します。",
    ),
    "cli.help.eml": (
        "Send a finished RFC 5322 message (a file, or - for standard input).",
        "作成済みの RFC 5322 メッセージ(ファイル、または標準入力なら -)を送信します。",
    ),
    "cli.help.report": (
        "With --batch: write a CSV report of every message.",
        "--batch と共に: 各メールの結果を CSV で書き出します。",
    ),
    "cli.help.attach_dir": (
        "With --batch: the folder attachment files must be in (default: the current folder).",
        "--batch と共に: 添付ファイルを置くフォルダー(既定は現在のフォルダー)。その外は拒否。",
    ),
    "cli.help.parallel": (
        "With --batch: use N connections at once (1-32).",
        "--batch と共に: N 本の接続を同時に使います(1〜32)。",
    ),
    "cli.help.completion": (
        "Print a shell completion script: bash, zsh or powershell.",
        "シェル補完スクリプトを出力します: bash、zsh、powershell。",
    ),
    "cli.help.setup": (
        "Open the settings page in the browser (same as smail-token setup).",
        "ブラウザで設定ページを開きます(smail-token setup と同じ)。",
    ),
    "cli.bad_retry": (
        'Option {option}: "{value}" is not a number of seconds from 0 to 604800.',
        "オプション {option}: 「{value}」は 0〜604800 の秒数ではありません。",
    ),
    "cli.bad_parallel": (
        'Option {option}: "{value}" is not a number from 1 to 32.',
        "オプション {option}: 「{value}」は 1〜32 の数ではありません。",
    ),
}
