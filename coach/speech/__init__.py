"""Stage 3, speech: text to clips through a speech engine, behind a cache."""
