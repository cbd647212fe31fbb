"""What coach itself says outside the routine's own words, in one place.

The first entries of the phrases table: the player says these, and the render
step makes them part of every session, so no sink ever asks for speech.
"""

from __future__ import annotations

PAUSED = "Paused. Press space to go on."
RESUMING = "Resuming in 3, 2, 1."

LIVE = (PAUSED, RESUMING)
"""Said by the live player at a key press, not at a planned time."""
