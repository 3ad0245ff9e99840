"""Catalogue entries of the mime area: message id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "mime.bad_address": (
        "not a valid mail address: {address}",
        "メールアドレスの形式が正しくありません: {address}",
    ),
    "mime.address_too_long": (
        "the mail address is longer than SMTP allows ({limit} octets, RFC 5321): {address}",
        "メールアドレスが SMTP の上限（{limit} オクテット, RFC 5321）を超えています: {address}",
    ),
    "mime.no_recipient": (
        "no recipient address was given",
        "送信先のメールアドレスが指定されていません",
    ),
    "mime.unknown_charset": (
        "unknown charset: {charset} (use auto, utf-8, iso-2022-jp, shift_jis, euc-jp or us-ascii)",
        "文字セット {charset} は使えません（auto, utf-8, iso-2022-jp, shift_jis, euc-jp, "
        "us-ascii のいずれかを指定してください）",
    ),
    "mime.cannot_encode": (
        "the text contains a character that {charset} cannot represent: {char}",
        "{charset} で表せない文字が含まれています: {char}",
    ),
    "mime.unknown_encoding": (
        "unknown text encoding: {encoding}",
        "文字コード {encoding} は使えません",
    ),
    "mime.cannot_decode": (
        "{source} cannot be read as {encoding} (invalid bytes at offset {offset})",
        "{source} を {encoding} として読めません（{offset} バイト目に不正なバイトがあります）",
    ),
    "mime.undetectable_encoding": (
        "cannot tell the text encoding of {source}; it may be a binary file, "
        "or its encoding must be given explicitly",
        "{source} の文字コードを判定できません。バイナリファイルでないか確認するか、"
        "文字コードを明示して指定してください",
    ),
    "mime.header_injection": (
        "the {header} header may not contain line breaks or NUL characters",
        "{header} ヘッダに改行文字や NUL 文字は使えません",
    ),
    "mime.bad_header_name": (
        "not a valid header name: {header}",
        "ヘッダ名として正しくありません: {header}",
    ),
    "mime.reserved_header": (
        "the {header} header is written by pysmail itself and cannot be added",
        "{header} ヘッダは pysmail が自動で付けるため、追加できません",
    ),
    "mime.bad_message_id": (
        "not a valid Message-ID: {message_id}",
        "Message-ID として正しくありません: {message_id}",
    ),
    "mime.message_id_too_long": (
        "the Message-ID is {length} characters long; it cannot be folded, so it may have at "
        "most {limit} (RFC 5322 2.1.1: a header line is at most 998)",
        "Message-ID が {length} 文字あります。折り返せないため {limit} 文字までです"
        "（RFC 5322 2.1.1: ヘッダの 1 行は 998 文字まで）",
    ),
    "mime.bad_priority": (
        "the priority must be a number from 1 to 9, not {priority}",
        "優先度は 1 から 9 の数字で指定してください（指定値: {priority}）",
    ),
    "mime.attachment_not_found": (
        "attachment not found: {path}",
        "添付ファイルが見つかりません: {path}",
    ),
    "mime.attachment_unreadable": (
        "cannot read the attachment {path}: {reason}",
        "添付ファイル {path} を読み込めません: {reason}",
    ),
}
