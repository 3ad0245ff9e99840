"""Catalogue entries of the oauth area: message id -> (english, japanese)."""

MESSAGES: dict[str, tuple[str, str]] = {}
