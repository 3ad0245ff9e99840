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
    # Ctrl+C during a batch (ERR-0016, as every interrupt); {detail}: the sentences below
    "batch.interrupted": (
        "Interrupted: {sent} of {total} message(s) were accepted by the server, {failed} "
        "failed, {unsent} not sent.{detail}",
        "中断しました。{total} 通中 {sent} 通はサーバーが受け付け、{failed} 通は失敗、{unsent} 通は"
        "未送信です。{detail}",
    ),
    "batch.interrupted_nothing": (
        "Interrupted before any message went to the server; nothing was sent.{detail}",
        "どのメッセージもサーバーに渡す前に中断しました。送信していません。{detail}",
    ),
    "batch.interrupted_maybe": (
        "Row(s) {rows} went to the server whole, but its answer had not come: the server may "
        "have accepted it. Check before sending it again.",
        "{rows} 件目はメッセージ全体をサーバーに渡しましたが、応答の前に中断しました。サーバーが"
        "受け付けた可能性があります。もう一度送る前に確認して下さい。",
    ),
    "batch.interrupted_in_flight": (
        "Row(s) {rows} were being sent: the server may have accepted them. Check before sending "
        "them again.",
        "{rows} 件目は送信中でした。サーバーが受け付けた可能性があります。もう一度送る前に確認して"
        "下さい。",
    ),
    "batch.interrupted_cut": (
        "Row(s) {rows} was being sent but had not gone to the server whole: not sent.",
        "{rows} 件目は送信中でしたが、サーバーに全体を渡していないため未送信です。",
    ),
    "batch.interrupted_report": (
        "The report {path} marks every row sent, failed, maybe_sent or not_sent.",
        "レポート {path} に各行の結果（sent、failed、maybe_sent、not_sent）があります。",
    ),
    # the report's reply column of a row left by Ctrl+C
    "batch.row_maybe_sent": (
        "Interrupted after this message went to the server, before its answer: it may have "
        "been delivered.",
        "このメッセージをサーバーに渡した後、応答の前に中断しました。配信された可能性があります。",
    ),
    "batch.row_in_flight": (
        "Interrupted while this message was being sent: it may have been delivered.",
        "このメッセージの送信中に中断しました。配信された可能性があります。",
    ),
    "batch.row_interrupted": (
        "Not sent: the batch was interrupted before this message went to the server.",
        "未送信: このメッセージをサーバーに渡す前に一括送信が中断されました。",
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
