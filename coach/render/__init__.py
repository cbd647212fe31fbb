"""Stage 3, render: a timeline and its clips gathered into a session any sink can play."""
