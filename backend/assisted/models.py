"""Tables of this package (filled in by issue 18)."""
