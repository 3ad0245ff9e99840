"""Our own SMTP client: wire grammar (replies), socket/TLS (transport), dialogue (session)."""
