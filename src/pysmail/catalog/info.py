"""Catalogue entries of the `-i` information block and of the main command."""

MESSAGES: dict[str, tuple[str, str]] = {
    "info.header": (
        "#---------------------- pysmail {version} Information -------------------",
        "#---------------------- pysmail {version} 情報 -------------------",
    ),
    "info.config": ("#Settings file         : {value}", "#設定ファイル          : {value}"),
    "info.settings_account": (
        "#Settings account      : {value}",
        "#設定のアカウント      : {value}",
    ),
    "info.pop": ("#POP before SMTP       : {value}", "#POP before SMTP       : {value}"),
    "info.apop": ("#APOP                  : {value}", "#APOP                  : {value}"),
    "info.auth": ("#SMTP auth             : {value}", "#SMTP 認証             : {value}"),
    "info.oauth_file": (
        "#OAuth settings file   : {value}",
        "#設定ファイル(OAUTH 用): {value}",
    ),
    "info.api_account": ("#API account           : {value}", "#API アカウント        : {value}"),
    "info.account": ("#SMTP account          : {value}", "#SMTP アカウント       : {value}"),
    "info.smtps": ("#SMTPS (SMTP over SSL) : {value}", "#SMTPS (SMTP over SSL) : {value}"),
    "info.verify": ("#TLS verification      : {value}", "#TLS 証明書検証        : {value}"),
    "info.starttls": ("#STARTTLS              : {value}", "#STARTTLS              : {value}"),
    "info.body_file": ("#Body file             : {value}", "#本文ファイル          : {value}"),
    "info.attachments": ("#Attachments           : {value}", "#添付ファイル          : {value}"),
    "info.proxy": ("#Proxy                 : {value}", "#プロキシ              : {value}"),
    "info.server": ("#Mail server           : {value}", "#メールサーバ          : {value}"),
    "info.from": ("#From                  : {value}", "#メール送り元          : {value}"),
    "info.to": ("#To                    : {value}", "#メール送り先          : {value}"),
    "info.cc": ("#Cc                    : {value}", "#CC 送り先            : {value}"),
    "info.bcc": ("#Bcc                   : {value}", "#BCC 送り先           : {value}"),
    "info.subject": ("#Subject               : {value}", "#サブジェクト内容      : {value}"),
    "info.charset": ("#Charset               : {value}", "#キャラクターセット    : {value}"),
    "info.encoding": ("#Encoding              : {value}", "#エンコーディング      : {value}"),
    "info.used": ("used", "使う"),
    "info.not_used": ("not used", "使わない"),
    "info.none": ("none", "なし"),
    "info.auth_auto": (
        "auto (best mechanism the server offers)",
        "自動 (サーバが提示する方式から選択)",
    ),
    "info.auth_mech": ("used, AUTH {mechanism}", "使う AUTH {mechanism} を利用"),
    "info.verify_system": ("on (system CA store)", "する (システムの証明書ストア)"),
    "info.verify_cafile": ("on (CA file [{path}])", "する (CA ファイル [{path}])"),
    "info.verify_off": ("OFF (--insecure: UNSAFE)", "しない (--insecure: 危険)"),
    "main.insecure": (
        "WARNING: TLS certificate verification is OFF (--insecure / tls_verify = no).",
        "警告: TLS 証明書の検証をしていません (--insecure / tls_verify = no)。",
    ),
    "main.dry_run_message": (
        "--dry-run: message {number}, not sent; MAIL FROM:<{sender}> RCPT TO: {recipients}",
        "--dry-run: {number} 通目 (送信していません); MAIL FROM:<{sender}> RCPT TO: {recipients}",
    ),
    "main.unknown_key": (
        "note: {path}: unknown key [{section}] {key} ignored",
        "注意: {path}: 不明なキー [{section}] {key} は無視しました",
    ),
    "main.internal": (
        "Internal error ({kind}). Please report it; run with PYSMAIL_TRACEBACK=1 for details.",
        "内部エラー ({kind})。報告して下さい。詳細は PYSMAIL_TRACEBACK=1 を付けて実行すると表示されます。",
    ),
    "main.interrupted": ("Interrupted; nothing was sent.", "中断しました。送信していません。"),
    "main.interrupted_after_data": (
        "Interrupted after the whole message went to the server, before its answer: the server "
        "may have accepted it. Check before sending it again.",
        "メッセージ全体をサーバーに渡した後、その応答の前に中断しました。サーバーが受け付けた"
        "可能性があります。もう一度送る前に確認して下さい。",
    ),
    "main.body_file_missing": (
        "Body file not found: {path} ({reason})",
        "本文ファイルがみつかりません: {path} ({reason})",
    ),
    "main.html_file_missing": (
        "HTML file not found: {path} ({reason})",
        "HTML ファイルがみつかりません: {path} ({reason})",
    ),
    "main.body_file_too_large": (
        "{path} is too large for a body file ({size} bytes; the limit is {limit} MiB). "
        "Send it as an attachment (-a) instead.",
        "{path} は本文ファイルとして大きすぎます({size} バイト。上限は {limit} MiB)。"
        "添付ファイル(-a)として送って下さい。",
    ),
    "main.no_sender": (
        "No sender: give -f<address> (or from = in smail.ini).",
        "送信者がありません: -f<アドレス> (または smail.ini の from =) を指定して下さい。",
    ),
    "main.sent": (
        "Sent to {count} recipient(s): {reply}",
        "{count} 件の宛先に送信しました: {reply}",
    ),
}
