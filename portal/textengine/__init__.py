"""Japanese text analysis and TF-IDF retrieval, shared by matching (engine) and portal (FAQ)."""
