"""The read-only JSON API under /api/: sources, passages, quotes, principles, themes, people."""
