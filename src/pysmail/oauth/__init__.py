"""OAuth 2.0 access tokens for SMTP/POP3: token file, providers, refresh, cache, lock.

The only entry point the rest of pysmail uses is `pysmail.oauth.provider.TokenSource`; the
other modules are its parts.
"""
