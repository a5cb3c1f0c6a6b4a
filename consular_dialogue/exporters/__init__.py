"""Export formats: pure functions returning text or bytes, and their registry."""
