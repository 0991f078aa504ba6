"""四议两公开 decisions: stages, meetings, votes and ballots (issue 4)."""
