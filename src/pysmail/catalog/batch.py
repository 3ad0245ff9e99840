"""Catalogue entries of bulk sending (--batch, --eml, --report): id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # the batch file (ERR-0017 unless said otherwise)
    "batch.read_failed": (
        "Cannot read the batch file {path}: {reason}.",
        "一括送信ファイル {path} を読み込めません: {reason}。",
    ),
    "batch.bad_csv": (
        "{path}, row {row}: {reason}.",
        "{path} の {row} 行目: {reason}。",
    ),
    "batch.bad_json": (
        "{path}, line {row}: not a JSON object ({reason}).",
        "{path} の {row} 行目: JSON オブジェクトではありません（{reason}）。",
    ),
    "batch.duplicate_column": (
        "{path}: the column {column} appears twice in the header row.",
        "{path}: 見出し行に列 {column} が 2 回あります。",
    ),
    "batch.empty": (
        "{path} holds no message rows.",
        "{path} には送信する行がありません。",
    ),
    "batch.no_to": (
        '{path}, row {row}: no recipient (the column or key "to" is missing or empty).',
        '{path} の {row} 件目: 送信先がありません（列またはキー "to" がないか空です）。',
    ),
    "batch.attachment_outside": (  # ERR-0003
        "{path}, row {row}: the attachment {name} is outside the attachments folder {folder} "
        "(a path out of it, or a link that leads out of it). Put the file in that folder, or "
        "give the folder it is in with --attach-dir DIR.",
        "{path} の {row} 件目: 添付ファイル {name} は添付フォルダー {folder} の外にあります"
        "（フォルダーの外を指すパス、または外を指すリンク）。ファイルをそのフォルダーに置くか、"
        "ファイルのあるフォルダーを --attach-dir DIR で指定してください。",
    ),
    "batch.in_row": (
        "In {path}, row {row}:",
        "{path} の {row} 件目:",
    ),
    "batch.missing_key": (
        "Row {row} has no value for {{{key}}} used in the {template} template "
        "(write {{{{ and }}}} for literal braces).",
        "{row} 件目には {template} のテンプレートで使われている {{{key}}} の値がありません"
        "（波かっこそのものは {{{{ と }}}} と書きます）。",
    ),
    "batch.bad_template": (
        "The {template} template is not valid: {reason} (write {{{{ and }}}} for literal braces).",
        "{template} のテンプレートが正しくありません: {reason}（波かっこそのものは {{{{ と }}}} と"
        "書きます）。",
    ),
    "batch.bad_parallel": (
        "--parallel needs a number of connections from 1 to {limit}, not {value}.",
        "--parallel には 1 から {limit} までの接続数を指定してください（指定値: {value}）。",
    ),
    "batch.too_many_recipients": (
        "{count} recipients are more than {preset} accepts for one message.",
        "送信先 {count} 件は {preset} が 1 通に受け付ける数を超えています。",
    ),
    "batch.not_sent": (
        "Not sent: the batch stopped before this message.",
        "未送信: このメッセージの前に一括送信が中断されました。",
    ),
    # the report file (ERR-0004)
    "batch.report_failed": (
        "Cannot write the report file {path}: {reason}.",
        "レポートファイル {path} を書き込めません: {reason}。",
    ),
    # output
    "batch.row_failed": (
        "Row {row} ({recipients}) was not sent: {error}",
        "{row} 件目（{recipients}）は送信されませんでした: {error}",
    ),
    "batch.maybe_duplicate": (
        "Row {row} was sent again after a lost reply; it may arrive twice (same Message-ID).",
        "{row} 件目は応答が失われたため再送しました。同じ Message-ID で二重に届くことがあります。",
    ),
    "batch.summary": (
        "{sent} of {total} message(s) sent, {failed} not sent, in {seconds} s ({rate} messages/s).",
        "{total} 通中 {sent} 通を送信、{failed} 通は未送信（{seconds} 秒、毎秒 {rate} 通）。",
    ),
    # --eml: a finished message
    "batch.eml_read_failed": (
        "Cannot read the message {path}: {reason}.",
        "メッセージ {path} を読み込めません: {reason}。",
    ),
    "batch.eml_header_too_long": (
        "The header of {path} is longer than {limit} bytes: not an RFC 5322 message.",
        "{path} のヘッダが {limit} バイトを超えています。RFC 5322 のメッセージではありません。",
    ),
    "batch.eml_nul": (
        "Line {line} of {path} holds a NUL byte, which a message may not carry (RFC 5322 2.3).",
        "{path} の {line} 行目に NUL バイトがあります。メッセージには使えません（RFC 5322 2.3）。",
    ),
    "batch.eml_line_too_long": (
        "Line {line} of {path} is longer than {limit} bytes, the most a line of a message "
        "may have (RFC 5322 2.1.1).",
        "{path} の {line} 行目が {limit} バイトを超えています。メッセージの 1 行は {limit} "
        "バイトまでです（RFC 5322 2.1.1）。",
    ),
    "batch.eml_no_sender": (
        "No sender for {path}: give -f, or a From header in the message.",
        "{path} の差出人がありません。-f を指定するか、メッセージに From ヘッダを書いてください。",
    ),
    "batch.eml_no_recipient": (
        "No recipient for {path}: give one on the command line, or To, Cc or Bcc headers in "
        "the message.",
        "{path} の送信先がありません。コマンドラインで指定するか、メッセージに To、Cc、Bcc "
        "ヘッダを書いてください。",
    ),
    "batch.eml_folder_empty": (
        "The folder {path} holds no .eml files.",
        "フォルダ {path} に .eml ファイルがありません。",
    ),
}
