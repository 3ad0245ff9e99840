"""Text handling shared by every command: decoding, escaping, INI editing."""
