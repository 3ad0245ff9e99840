"""Files: owner-only permissions, trust checks, atomic writes, locks."""
