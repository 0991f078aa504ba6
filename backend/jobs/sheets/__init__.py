"""公示 sheets for the village board (A4 PDF): placeholder, filled in by issue 19."""
