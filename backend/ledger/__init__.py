"""Collective accounts: chart of accounts (2023), vouchers, periods, reports, disclosures (issue 3)."""
