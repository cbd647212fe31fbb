"""Stage 1, load: a routine file read and checked into frozen dataclasses (no audio here)."""
