"""Delivery: scheduling, retry, pacing, the outbox and --batch."""
