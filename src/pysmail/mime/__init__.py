"""MIME composition without the email package: addresses, charsets, headers, parts, compose.

Import the submodules directly (pysmail.mime.compose, pysmail.mime.addresses, ...); this package
imports nothing so that parsing an address does not load the composer.
"""

__all__: list[str] = []
