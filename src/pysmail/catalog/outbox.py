"""Catalogue entries of the outbox area (queue, flush, retries): id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # errors (ERR-0004 work file, or the code of the failure they wrap)
    "outbox.folder_failed": (
        "Cannot create the outbox folder {path}: {reason}.",
        "送信待ちフォルダ {path} を作成できません: {reason}。",
    ),
    "outbox.write_failed": (
        "Cannot write the outbox file {path}: {reason}. Nothing was queued.",
        "送信待ちファイル {path} を書き込めません: {reason}。キューには入っていません。",
    ),
    "outbox.read_failed": (
        "Cannot read the outbox folder {path}: {reason}.",
        "送信待ちフォルダ {path} を読み込めません: {reason}。",
    ),
    "outbox.move_failed": (
        "Cannot move the outbox file {path}: {reason}. It stays where it is.",
        "送信待ちファイル {path} を移動できません: {reason}。ファイルはそのまま残っています。",
    ),
    "outbox.remove_failed": (
        "The message {path} was sent, but cannot be removed from the outbox: {reason}. "
        "Remove it by hand, or it will be sent again.",
        "メッセージ {path} は送信されましたが、送信待ちフォルダから削除できません: {reason}。"
        "手動で削除しないと再送されます。",
    ),
    "outbox.lock_failed": (
        "Cannot lock the outbox ({path}): {reason}.",
        "送信待ちフォルダをロックできません（{path}）: {reason}。",
    ),
    "outbox.reply_lost": (
        "The connection to {host} was lost after the whole message was sent, before the "
        "server confirmed it ({reason}). The message may have been delivered; a retry may "
        "deliver it twice, with the same Message-ID.",
        "メッセージ全体を送信した後、{host} からの確認応答の前に接続が失われました（{reason}）。"
        "メッセージは配送された可能性があります。再送すると同じ Message-ID で二重に届く"
        "ことがあります。",
    ),
    "outbox.kept": (
        "The message was not sent; its text is kept in {path}.",
        "メッセージは送信されていません。本文は {path} に保存されています。",
    ),
    "outbox.retrying": (
        "Attempt {attempt} failed ({reason}); trying again in {wait} seconds.",
        "{attempt} 回目の送信に失敗しました（{reason}）。{wait} 秒後に再試行します。",
    ),
    # flush report, one line per message
    "outbox.queued": (
        "Queued {name} ({message_id}); smail --flush sends it if it is not sent now.",
        "{name}（{message_id}）を送信待ちに入れました。今送信できなければ smail --flush で"
        "送信されます。",
    ),
    # Ctrl+C during --queue or --flush (ERR-0016, as every interrupt)
    "outbox.interrupted_queued": (
        "Interrupted before the message went to the server: it was not sent. It stays queued "
        "as {name} ({message_id}), and the next `smail --flush` sends it. To drop it instead, "
        "delete {path}.",
        "メッセージをサーバーに渡す前に中断しました。送信していません。{name}（{message_id}）として"
        "送信待ちに残り、次の `smail --flush` で送信されます。送信しない場合は {path} を削除して"
        "下さい。",
    ),
    "outbox.interrupted_queued_after_data": (
        "Interrupted after the whole message went to the server, before its answer: the server "
        "may have accepted it. It stays queued as {name} ({message_id}), and the next "
        "`smail --flush` sends it again with the same Message-ID, so receivers can drop a copy. "
        "To drop it instead, delete {path}.",
        "メッセージ全体をサーバーに渡した後、その応答の前に中断しました。サーバーが受け付けた可能性"
        "があります。{name}（{message_id}）として送信待ちに残り、次の `smail --flush` で同じ "
        "Message-ID のまま再送されます（受信側で重複を除けます）。送信しない場合は {path} を削除"
        "して下さい。",
    ),
    "outbox.interrupted_sent": (
        "Interrupted after {name} was sent; it is no longer in the outbox.",
        "{name} の送信後に中断しました。送信待ちには残っていません。",
    ),
    "outbox.interrupted_flush": (
        "Interrupted: {sent} message(s) were sent in this run; {left} message(s) stay in the "
        "outbox {spool} for the next `smail --flush`.",
        "中断しました。今回 {sent} 通を送信しました。{left} 通が {spool} に残り、次の "
        "`smail --flush` で送信されます。",
    ),
    "outbox.interrupted_flush_after_data": (
        "Interrupted: {sent} message(s) were sent in this run; {left} message(s) stay in the "
        "outbox {spool} for the next `smail --flush`. The one being sent had gone to the server "
        "whole and may have been accepted: --flush sends it again with the same Message-ID.",
        "中断しました。今回 {sent} 通を送信しました。{left} 通が {spool} に残り、次の "
        "`smail --flush` で送信されます。送信中だった 1 通はサーバーに全体を渡しており、受け付け"
        "られた可能性があります。--flush は同じ Message-ID のまま再送します。",
    ),
    "outbox.busy": (
        "Another smail --flush is running; it sends the queue.",
        "別の smail --flush が実行中です。キューはそちらで送信されます。",
    ),
    "outbox.sent": (
        "Sent {name} {message_id} to {recipients} (attempt {attempts}).",
        "{name} {message_id} を {recipients} に送信しました（{attempts} 回目）。",
    ),
    "outbox.paced": (
        "Waiting {wait} s before {name} to stay within the provider's sending limits.",
        "プロバイダの送信制限を守るため、{name} の前に {wait} 秒待ちます。",
    ),
    "outbox.deferred": (
        "Not sent yet: {name} {message_id} (attempt {attempts}); next try in {wait} s. {reason}",
        "未送信: {name} {message_id}（{attempts} 回目）。{wait} 秒後に再試行します。{reason}",
    ),
    "outbox.failed": (
        "Failed for good: {name} {message_id} to {recipients}; moved to {where}. {reason}",
        "送信できません: {name} {message_id}（宛先 {recipients}）を {where} に移しました。{reason}",
    ),
    "outbox.expired": (
        "Gave up after {attempts} attempts: {name} {message_id}; moved to {where}. {reason}",
        "{attempts} 回試行しても送信できませんでした: {name} {message_id} を {where} に"
        "移しました。{reason}",
    ),
    "outbox.corrupt": (
        "Not an outbox file: {name}; moved to {where}. {reason}",
        "送信待ちファイルではありません: {name} を {where} に移しました。{reason}",
    ),
    # --queue-list
    "outbox.list_header": (
        "Outbox {spool}: {count} message(s) queued.",
        "送信待ちフォルダ {spool}: {count} 通。",
    ),
    "outbox.list_entry": (
        "{name}  created {created}  {size} bytes  attempts {attempts}  next try {next_try}\n"
        "  from {sender} to {recipients}\n  Message-ID {message_id}\n  last error: {last_error}",
        "{name}  作成 {created}  {size} バイト  試行 {attempts} 回  次回 {next_try}\n"
        "  差出人 {sender} 宛先 {recipients}\n  Message-ID {message_id}\n"
        "  直前のエラー: {last_error}",
    ),
    "outbox.list_bad": (
        "Not an outbox file: {path} ({reason}).",
        "送信待ちファイルではありません: {path}（{reason}）。",
    ),
    "outbox.list_failed": (
        "{count} message(s) failed for good in {folder} (each with a .reason file).",
        "送信できなかったメッセージが {folder} に {count} 通あります（理由は .reason ファイル）。",
    ),
    "outbox.list_unsent": (
        "{count} message(s) kept unsent in {folder}; move one into the outbox folder to send it.",
        "未送信のまま保存されたメッセージが {folder} に {count} 通あります。送信するには"
        "送信待ちフォルダへ移してください。",
    ),
}
