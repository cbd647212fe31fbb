"""Stage 2's product: the timeline of events a session plays, and its written views."""
