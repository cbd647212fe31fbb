"""Stage 0, the words: each language's phrase table, which speech and every written view share."""
