"""Votes on a decision's stage: a frozen electorate, secret ballots with receipts, written proxies, paper tallies
from in-person meetings, and the sealed tally at close. Never imports the pipeline."""
