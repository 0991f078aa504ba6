"""Public-benefit job postings, applications, selection, publicity and pay (issue 7)."""
