"""The title of each ERR code: SMAIL's own Japanese text for 0000-0022 and 0028."""

from pysmail.exitcodes import ErrCode

TITLES: dict[ErrCode, tuple[str, str]] = {
    ErrCode.OK: ("Normal end.", "正常終了。"),
    ErrCode.RECIPIENT: ("Recipient missing or unclear.", "送信先の指定が不明です。"),
    ErrCode.BODY_FILE: ("Body file not found.", "本文ファイルがみつかりません。"),
    ErrCode.ATTACHMENT: ("Attachment file not found.", "添付ファイルがみつかりません。"),
    ErrCode.WORK_FILE: ("Cannot create a work file.", "作業ファイルが作れません。"),
    ErrCode.SOCKET_INIT: (
        "Cannot initialise TCP/IP sockets.",
        "TCP/IPソケットが初期化できません。",
    ),
    ErrCode.HOST_LOOKUP: ("Cannot resolve the host name.", "ホスト名が解釈できません。"),
    ErrCode.SOCKET_CREATE: ("Cannot create a TCP/IP socket.", "TCP/IPソケットが生成できません。"),
    ErrCode.CONNECT: (
        "Connection error with the mail server.",
        "メールサーバとのコネクションエラー。",
    ),
    ErrCode.SEND: ("Error sending to the mail server.", "メールサーバへの送信エラー。"),
    ErrCode.RECEIVE: ("Error receiving from the mail server.", "メールサーバからの受信エラー。"),
    ErrCode.HANDLING: ("Mail server handling error.", "メールサーバハンドリングエラー。"),
    ErrCode.NO_SERVER: ("No mail server specified.", "メールサーバが指定されていません。"),
    ErrCode.LOCAL_HOST: ("Cannot get the local host name.", "ホスト名が取得できません。"),
    ErrCode.MEMORY: ("Memory overflow.", "メモリーオーバーフロー。"),
    ErrCode.ENCODING: ("Encoding error.", "エンコードエラー。"),
    ErrCode.UNKNOWN: ("Unknown error.", "不明なエラーです。"),
    ErrCode.OPTION: ("Option specification error.", "オプション指定エラー。"),
    ErrCode.TOO_LONG: ("Too many characters in -s/-T.", "-s/-Tでの文字オーバエラー。"),
    ErrCode.POP3_TIMEOUT: ("POP3 timeout.", "POP3タイムアウトエラーです。"),
    ErrCode.POP3_CONNECT: ("Cannot connect to the POP3 server.", "POP3サーバと接続できません。"),
    ErrCode.POP3_ACCOUNT: ("No POP3 account.", "POP3アカウントがありません。"),
    ErrCode.POP3_LOGIN: (
        "POP3 account or password wrong.",
        "POP3アカウントまたはパスワードが間違っています。",
    ),
    ErrCode.TLS: ("TLS error.", "TLS(SSL)通信エラー。"),
    ErrCode.STARTTLS: ("STARTTLS not available.", "STARTTLSが使えません。"),
    ErrCode.AUTH_FAILED: ("SMTP authentication failed.", "SMTP認証に失敗しました。"),
    ErrCode.AUTH_UNAVAILABLE: ("SMTP authentication not possible.", "SMTP認証ができません。"),
    ErrCode.CONFIG: ("Settings file error.", "設定ファイルエラー。"),
    ErrCode.NO_ACCESS_TOKEN: (
        "Could not get an access token from the OAuth server.",
        "OAUTH 認証サーバからアクセストークンが取得できませんでした。",
    ),
    ErrCode.TEMPORARY: (
        "Temporary failure; nothing was sent. Try again later.",
        "一時的なエラーです。送信していません。後で再実行して下さい。",
    ),
}
