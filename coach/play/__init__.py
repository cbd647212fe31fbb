"""Stage 4, the live sink: a session played on the speakers at its times, with commands heard."""
