"""Announcements, read receipts and the WeChat push outbox (issue 8)."""
