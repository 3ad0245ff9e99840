"""Bulk sending: `smail --batch FILE` and `smail --eml FILE|-` (plan.py, to be split)."""
