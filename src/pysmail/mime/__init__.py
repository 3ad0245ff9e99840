"""MIME composition without the email package: addresses, charsets, headers, parts, compose;
and eml, finished messages sent as they are (it parses their address headers with email.utils,
imported when first needed).

Import the submodules directly (pysmail.mime.compose, pysmail.mime.addresses, ...); this package
imports nothing so that parsing an address does not load the composer.
"""

__all__: list[str] = []
