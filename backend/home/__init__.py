"""The mini-program's home screen in one request (issue 9): who the caller is, their unread notices, their open
votes, the village's newest disclosure and what their household was paid this year — read through the other
domains' services, never their tables."""
