"""What the command line may set over smail.ini: the one input of config.merge besides the INI.

config owns these value objects and cli fills them from the parsed command line (every row of
cli.smail_args.OPTIONS names a field of Overrides, of its Mode or MessageSettings, or of cli's
own CommandLine), so
config needs nothing of cli: the dependency points one way, cli -> config. The setup page and
`smail-token check` build one for their runs.
"""

from __future__ import annotations

from pysmail.config.model import MessageSettings
from pysmail.record import field, record

TYPE_CHECKING = False  # docs/decisions.md D8: `typing` stays out of start-up
if TYPE_CHECKING:
    from pysmail.config.model import AuthMode, TlsMode
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
    # the run
    debug: bool = False
    info: bool = False
    silent: bool = False
    dry_run: bool = False
    lang: str | None = None
    queue: bool = False
    retry: float | None = None
    mode: Mode = field(default_factory=Mode)
    # the message: sender, body_encoding and charset None where smail.ini may set them
    message: MessageSettings = field(default_factory=MessageSettings)
