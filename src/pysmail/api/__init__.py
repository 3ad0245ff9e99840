"""pysmail's public Python API (docs/api.md): `import pysmail`, then `pysmail.send(...)`,
`pysmail.Mailer(account)`, `pysmail.Account`, `pysmail.Message`, `pysmail.Receipt` and the
exceptions. The names are exported lazily by pysmail/__init__.py; this package sits above app/
(docs/architecture.md): nothing below it imports it.
"""

from __future__ import annotations

# Re-exported as `name as name` (PEP 484): the list of public names is pysmail/__init__.py's
# `__all__`, kept once; tests/unit/test_public_api.py pins it.
from pysmail.api.account import Account as Account
from pysmail.api.mailer import Mailer as Mailer
from pysmail.api.mailer import send as send
from pysmail.api.message import Message as Message
from pysmail.api.message import Receipt as Receipt
from pysmail.errors import AuthError as AuthError
from pysmail.errors import ConfigError as ConfigError
from pysmail.errors import InputError as InputError
from pysmail.errors import NetworkError as NetworkError
from pysmail.errors import OAuthError as OAuthError
from pysmail.errors import Pop3Error as Pop3Error
from pysmail.errors import SmailError as SmailError
from pysmail.errors import SmtpReplyError as SmtpReplyError
from pysmail.errors import UsageError as UsageError
