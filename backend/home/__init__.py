"""The mini-program's home screen in one request: who the caller is, their unread notices, their open votes, the
village's newest disclosure and what their household was paid this year — read through the other domains' public
functions, never their tables. Nothing else imports it but the app's wiring."""

__all__: list[str] = []
