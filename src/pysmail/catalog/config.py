"""Catalogue entries of the config area: message id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {
    # --- finding and reading smail.ini (ERR-0027) ---
    "config.not_found": (
        "Settings file {path} does not exist (given with --config).",
        "設定ファイル {path} がありません(--config で指定)。",
    ),
    "config.env_not_found": (
        "Settings file {path} does not exist (given in the environment variable {variable}).",
        "設定ファイル {path} がありません(環境変数 {variable} で指定)。",
    ),
    "config.unreadable": (
        "Cannot read the settings file {path}: {reason}.",
        "設定ファイル {path} が読めません: {reason}",
    ),
    # fs.trust: a settings file someone else can change is not used (docs/settings.md 1)
    "config.untrusted_owner": (
        "The settings file {path} belongs to another user ({owner}), so it is not used: "
        "whoever can change a settings file can send your mail elsewhere or run commands as "
        "you. If the file is yours, run: {fix}. To use it anyway, name it with --config {path}.",
        "設定ファイル {path} は別のユーザー ({owner}) の所有なので使いません: 設定ファイルを"
        "書き換えられる人は、あなたのメールを別の宛先に送らせたり、あなたとしてコマンドを"
        "実行させたりできます。あなたのファイルなら {fix} を実行して下さい。それでも使う場合は "
        "--config {path} で指定して下さい。",
    ),
    "config.untrusted_writable": (
        "Other users may change the settings file {path} ({who}), so it is not used: whoever "
        "can change a settings file can send your mail elsewhere or run commands as you. "
        "Run: {fix}. To use it anyway, name it with --config {path}.",
        "設定ファイル {path} は他のユーザーも書き換えられる ({who}) ので使いません: 設定"
        "ファイルを書き換えられる人は、あなたのメールを別の宛先に送らせたり、あなたとして"
        "コマンドを実行させたりできます。{fix} を実行して下さい。それでも使う場合は "
        "--config {path} で指定して下さい。",
    ),
    "config.command_untrusted": (
        "password_command in {path} is not run: other users may change that file ({why}), "
        "and whoever can change it could run commands as you. Run: {fix}, or give the "
        "password another way (password_keyring = yes).",
        "{path} の password_command は実行しません: このファイルは他のユーザーも書き換え"
        "られる ({why}) ため、あなたとしてコマンドを実行させられます。{fix} を実行するか、"
        "別の方法 (password_keyring = yes) でパスワードを指定して下さい。",
    ),
    "config.encoding": (
        "Cannot decode the settings file {path}: save it as UTF-8 (or Shift_JIS).",
        "設定ファイル {path} の文字コードが判別できません。"
        "UTF-8(または Shift_JIS)で保存して下さい。",
    ),
    "config.syntax": (
        "The settings file {path} is not a valid INI file (line {line}).",
        "設定ファイル {path} の書式が正しくありません({line} 行目)。",
    ),
    "config.bad_value": (
        'The settings file {path}, section [{section}]: {key}="{value}" is not valid '
        "(expected: {expected}).",
        "設定ファイル {path} の [{section}] {key}=「{value}」は正しくありません"
        "(指定できる値: {expected})。",
    ),
    # --- choosing an [account NAME] (config/accounts.py; docs/settings.md 3a) ---
    "config.unknown_account": (
        'The settings file {path} has no account "{name}" (no [account {name}] section). '
        "Its accounts: {accounts}.",
        "設定ファイル {path} にアカウント「{name}」はありません([account {name}] セクションが"
        "ありません)。このファイルのアカウント: {accounts}",
    ),
    "config.unknown_default_account": (
        "default_account = {name} in [smail] of the settings file {path} names no account "
        "(no [account {name}] section). Its accounts: {accounts}.",
        "設定ファイル {path} の [smail] の default_account = {name} に当たるアカウントが"
        "ありません([account {name}] セクションがありません)。このファイルのアカウント: "
        "{accounts}",
    ),
    "config.account_without_file": (
        'The account "{name}" was asked for, but no settings file was found: put smail.ini in '
        "the current folder or in the user settings folder, or name it with --config or "
        "SMAIL_CONFIG.",
        "アカウント「{name}」が指定されましたが、設定ファイルが見つかりません: smail.ini を"
        "カレントフォルダかユーザー設定フォルダに置くか、--config または SMAIL_CONFIG で"
        "指定して下さい。",
    ),
    # --- merging the command line and smail.ini ---
    "config.no_server": (
        "No mail server: give -h<host> or set server= in smail.ini.",
        "メールサーバが指定されていません。-h<ホスト名> を付けるか smail.ini に server= を"
        "書いて下さい。",
    ),
    "config.no_recipient": (
        "No recipient: give at least one address, e.g. you@example.com.",
        "送信先がありません。メールアドレスを 1 つ以上指定して下さい(例: you@example.com)。",
    ),
    "config.text_too_long": (
        "The {option} text is {length} characters long; the limit is {limit} "
        "(max_text_length in smail.ini).",
        "{option} の文字数 {length} が上限 {limit} を超えています"
        "(上限は smail.ini の max_text_length で変更できます)。",
    ),
    "config.auth_needs_user": (
        "SMTP AUTH {mode} needs an account: set user= in smail.ini or give --user.",
        "SMTP 認証 {mode} にはアカウントが必要です。smail.ini に user= を書くか --user を"
        "指定して下さい。",
    ),
    "config.pop_no_account": (
        "POP before SMTP is enabled but has no account: set user= in [pop_before_smtp].",
        "POP before SMTP が有効ですがアカウントがありません。[pop_before_smtp] に user= を"
        "書いて下さい。",
    ),
    # --- passwords (config/secrets.py) ---
    "config.password_prompt": (
        "Password for {user} at {server}: ",
        "{server} の {user} のパスワード: ",
    ),
    "config.no_password": (
        "No password for {user} at {server}: set password_command= or password_keyring=yes "
        "(keyring set {service} {account}) in smail.ini, or run smail from a terminal to be "
        "asked.",
        "{server} の {user} のパスワードがありません。smail.ini に password_command= または "
        "password_keyring=yes(keyring set {service} {account} で登録)を書くか、"
        "端末から実行して入力して下さい。",
    ),
    "config.password_command_syntax": (
        "password_command in smail.ini cannot be read as a command (check its quotes).",
        "smail.ini の password_command をコマンドとして解釈できません(引用符を確認して下さい)。",
    ),
    "config.password_command_start": (
        'password_command could not start "{program}": {reason}.',
        "password_command の「{program}」を起動できません: {reason}",
    ),
    "config.password_command_failed": (
        "password_command failed (exit status {status}); its messages are not shown. "
        "Run it yourself to see why.",
        "password_command が失敗しました(終了コード {status})。出力は表示しません。"
        "原因は手動で実行して確認して下さい。",
    ),
    "config.password_command_timeout": (
        "password_command did not finish within {seconds} seconds.",
        "password_command が {seconds} 秒以内に終了しませんでした。",
    ),
    "config.password_command_empty": (
        "password_command printed no password.",
        "password_command がパスワードを出力しませんでした。",
    ),
    "config.keyring_missing": (
        "password_keyring=yes needs the keyring package: pip install keyring",
        "password_keyring=yes には keyring パッケージが必要です: pip install keyring",
    ),
    "config.keyring_error": (
        "The system keyring failed while reading {account} ({reason}).",
        "システムのキーリングから {account} を読み取れませんでした({reason})。",
    ),
    "config.keyring_no_entry": (
        "The system keyring has no password for {account}. Store it with: "
        "keyring set {service} {account}",
        "システムのキーリングに {account} のパスワードがありません。"
        "次のコマンドで登録して下さい: keyring set {service} {account}",
    ),
    "config.not_private": (
        "The settings file {path} holds a password but other users may read it "
        "(permissions {mode}). Run: chmod 600 {path}",
        "設定ファイル {path} にはパスワードがありますが、他のユーザも読める権限 ({mode}) です。"
        "chmod 600 {path} を実行して下さい。",
    ),
    "config.not_private_acl": (
        "The settings file {path} holds a password but other users may use it: {reason}. "
        'Make it yours alone (in cmd.exe): icacls "{path}" /inheritance:r /grant:r "%USERNAME%:F"',
        "設定ファイル {path} にはパスワードがありますが、他のユーザもアクセスできます: {reason}。"
        'cmd.exe で icacls "{path}" /inheritance:r /grant:r "%USERNAME%:F" を実行して本人専用にして下さい。',
    ),
    "config.acl_unreadable": (
        "Cannot read the Windows permissions of the settings file {path} ({reason}), so its "
        "password is not used. Move it to your own profile folder or use password_keyring=yes.",
        "設定ファイル {path} の Windows のアクセス権を読めないため({reason})、そのパスワードは"
        "使いません。自分のプロファイルのフォルダに移すか、password_keyring=yes を使って下さい。",
    ),
    # --- warnings (printed, not errors) ---
    "config.acl_unchecked": (
        "warning: {path} holds a password; its Windows permissions could not be checked here. "
        "Make sure only you can read it, or use password_keyring=yes.",
        "警告: {path} にパスワードがあります。Windows のアクセス権をここでは確認できません。"
        "本人だけが読めるようにするか、password_keyring=yes を使って下さい。",
    ),
    "config.unknown_key": (
        "warning: {path}: unknown key {key} in [{section}] ignored.",
        "警告: {path}: [{section}] の不明なキー {key} は無視します。",
    ),
    "config.unknown_section": (
        "warning: {path}: unknown section [{section}] ignored.",
        "警告: {path}: 不明なセクション [{section}] は無視します。",
    ),
    "config.insecure": (
        "WARNING: --insecure: the server certificate is NOT verified; the password and the "
        "mail can be read by anyone on the network path.",
        "警告: --insecure: サーバ証明書を検証しません。経路上の第三者にパスワードとメールを"
        "読まれる恐れがあります。",
    ),
    # text/ini_edit.py, the one writer of smail.ini and smail_refreshtoken.ini
    "config.unsafe_value": (
        "Not saved: the value of {key} holds a line break or another control character (or a "
        "character the encoding of {path} cannot hold); written as it is, it would add lines to "
        "the file. {path} was left as it was: enter the value again without it.",
        "保存していません: {key} の値に改行などの制御文字（または {path} の文字コードで表せない"
        "文字）が含まれており、そのまま書くとファイルに行が追加されてしまいます。{path} は"
        "変更していません。その文字を含まない値を入力し直して下さい。",
    ),
}
