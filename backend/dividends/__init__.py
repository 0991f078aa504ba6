"""Share register, distributions, per-household payouts and statements (issue 5)."""
