"""Read-only cross-village views for township staff: progress, rankings, exports (issue 8)."""
