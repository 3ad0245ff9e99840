"""What the command line may set over smail.ini: the one input of config.merge besides the INI.

config owns these value objects and cli fills them from the parsed command line (every row of
cli.smail_args.OPTIONS names a field of Overrides, of Mode or of cli's own CommandLine), so
config needs nothing of cli: the dependency points one way, cli -> config. The setup page and
`smail-token check` build one for their runs.
"""

from __future__ import annotations

from pysmail.record import field, record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.config.model import AuthMode, Charset, TlsMode
    from pysmail.net.proxy import ProxySetting

__all__ = ["Mode", "Overrides"]


@record
class Mode:
    """Which messages a run sends: one (the default), the outbox (--flush), the files of --eml,
    or the rows of --batch (with --report, --attach-dir and --parallel)."""

    flush: bool = False
    batch: str | None = None
    eml: str | None = None
    report: str | None = None
    attach_dir: str | None = None
    parallel: int | None = None

    @property
    def single(self) -> bool:
        return not (self.flush or self.batch or self.eml)


@record
class Overrides:
    """The command-line layer of the settings; None / () / False where not given."""

    # server
    host: str | None = None
    port: int | None = None
    tls: TlsMode | None = None
    timeout: float | None = None
    insecure: bool = False
    cafile: str | None = None
    helo: str | None = None
    proxy: ProxySetting | None = None  # "none": no proxy, overriding smail.ini
    no_chunking: bool = False
    # authentication
    auth: AuthMode | None = None
    user: str | None = None
    allow_plaintext_auth: bool = False
    # message
    sender: str | None = None
    subject: str | None = None
    body_text: str | None = None
    body_file: str | None = None
    body_encoding: str | None = None
    html_file: str | None = None
    attachments: tuple[str, ...] = ()
    priority: int | None = None
    message_id: str | None = None  # "" for a bare -m: generate one
    charset: Charset | None = None
    reply_to: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    recipients: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    # the run
    debug: bool = False
    info: bool = False
    silent: bool = False
    dry_run: bool = False
    lang: str | None = None
    queue: bool = False
    retry: float | None = None
    mode: Mode = field(default_factory=Mode)
