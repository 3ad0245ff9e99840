"""Catalogue entries of smail-sendmail: message id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "sendmail.unknown_option": (
        'Unknown option "{option}". Run smail-sendmail --help for the options.',
        "不明なオプションです:「{option}」。smail-sendmail --help でオプション一覧を表示します。",
    ),
    "sendmail.missing_value": (
        "Option {option} needs a value.",
        "オプション {option} に値がありません。",
    ),
    "sendmail.unsupported": (
        "Option {option} is not supported: smail-sendmail sends the message on standard input, "
        "lists the outbox (-bp) and sends it (-q); it runs no daemon and speaks no SMTP on "
        "standard input.",
        "オプション {option} には対応していません。smail-sendmail は標準入力のメッセージの送信、"
        "送信待ちフォルダの一覧（-bp）と送信（-q）だけを行います。デーモンとしての動作や標準入力での "
        "SMTP には対応していません。",
    ),
    "sendmail.queue_interval": (
        "Option {option} would run a daemon: run smail-sendmail -q from a timer (cron, "
        "systemd) instead.",
        "オプション {option} はデーモンとして動作させるものです。代わりにタイマー（cron、systemd）"
        "から smail-sendmail -q を実行して下さい。",
    ),
    "sendmail.no_recipients": (
        "No recipient: give the recipients as arguments, or -t to take them from the To, Cc "
        "and Bcc headers of the message.",
        "送信先がありません。送信先を引数で指定するか、-t でメッセージの To、Cc、Bcc "
        "ヘッダから読み取って下さい。",
    ),
    "sendmail.deferred": (
        "Not sent yet ({reason}); the message is kept in the outbox: {path}.",
        "まだ送信されていません（{reason}）。メッセージは送信待ちフォルダに保存されています: {path}",
    ),
    "sendmail.busy": (
        "Another process kept the outbox busy for {wait} s; the message is kept there: {path}.",
        "別のプロセスが {wait} 秒間送信待ちフォルダを使用中でした。メッセージはそこに保存されています: {path}",
    ),
    "sendmail.flush_hint": (
        "smail-sendmail -q (or smail --flush) sends it later.",
        "smail-sendmail -q（または smail --flush）で後から送信されます。",
    ),
    "sendmail.not_sent": (
        "The outbox could not send the message (its recipients are more than the provider's "
        "limits allow, or it could not be read back).",
        "送信待ちフォルダからメッセージを送信できませんでした（送信先がプロバイダの上限を超えているか、"
        "読み戻せませんでした）。",
    ),
    "sendmail.usage": (
        "smail-sendmail (pysmail {version}) - a sendmail-compatible command that sends through "
        "the settings of smail (smail.ini, OAuth, the outbox)\n"
        "\n"
        "usage: smail-sendmail [options] [--] [recipient ...] < message\n"
        "\n"
        "  -t              also send to every address of the To, Cc and Bcc headers\n"
        '  -i, -oi         a line holding a lone "." does not end the message\n'
        "  -f ADDR, -r ADDR  envelope sender (default: the sender of smail.ini, else From)\n"
        "  -F NAME         full name for the From header added when the message has none\n"
        "  -odq            put the message in the outbox without trying to send it now\n"
        "  -bp             list the outbox\n"
        "  -q              send what is due in the outbox\n"
        "  -C FILE, --config FILE  the settings file (smail.ini)\n"
        "  --account NAME  the [account NAME] of smail.ini (default: default_account, else [smail])\n"
        "  --debug         the SMTP dialogue on standard error\n"
        "  --lang en|ja    the language of the messages\n"
        "  --help, --version\n"
        "\n"
        "Accepted and ignored, as Postfix's sendmail does: -B TYPE, -N DSN, -R RET, -V ENVID,\n"
        "-L TAG, -h N, -O OPT, -X FILE, -p PROTO, -e X, -o X (-odi, -odb, -oem, ...), -v, -m,\n"
        "-n, -G, -U, -bm; -bi and -I do nothing (there is no alias database).\n"
        "Exit codes: sysexits.h (0 sent or safely queued, 64 usage, 67 recipient refused,\n"
        "69 message refused, 75 try again later, 78 settings); see docs/sendmail.md.",
        "smail-sendmail (pysmail {version}) - smail の設定（smail.ini、OAuth、送信待ちフォルダ）で"
        "送信する sendmail 互換コマンド\n"
        "\n"
        "使い方: smail-sendmail [オプション] [--] [送信先 ...] < メッセージ\n"
        "\n"
        "  -t              To、Cc、Bcc ヘッダのアドレスにも送信する\n"
        "  -i, -oi         「.」だけの行をメッセージの終わりとしない\n"
        "  -f ADDR, -r ADDR  エンベロープの差出人（既定: smail.ini の差出人、なければ From）\n"
        "  -F NAME         From ヘッダがないときに追加する From の名前\n"
        "  -odq            すぐには送信せず、送信待ちフォルダに入れる\n"
        "  -bp             送信待ちフォルダの一覧\n"
        "  -q              送信待ちフォルダの送信時期が来たメッセージを送信する\n"
        "  -C FILE, --config FILE  設定ファイル（smail.ini）\n"
        "  --account NAME  smail.ini の [account NAME]（既定: default_account、なければ [smail]）\n"
        "  --debug         SMTP の対話を標準エラーに表示する\n"
        "  --lang en|ja    メッセージの言語\n"
        "  --help, --version\n"
        "\n"
        "Postfix の sendmail と同じく、次のオプションは受け付けて無視します: -B TYPE、-N DSN、\n"
        "-R RET、-V ENVID、-L TAG、-h N、-O OPT、-X FILE、-p PROTO、-e X、-o X（-odi、-odb、\n"
        "-oem など）、-v、-m、-n、-G、-U、-bm。-bi と -I は何もしません（別名データベースはありません）。\n"
        "終了コード: sysexits.h（0 送信済みまたは送信待ちフォルダに保存、64 使い方の誤り、\n"
        "67 送信先の拒否、69 メッセージの拒否、75 後で再試行、78 設定）。docs/sendmail.md を参照。",
    ),
}
