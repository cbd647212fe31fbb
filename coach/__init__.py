"""coach: a voice-guided audio coach that speaks a routine's cues on time, offline."""

__version__ = "0.1.0"
DISTRIBUTION = "floorcoach"
"""The name coach is installed by (``pip install floorcoach``; ``coach`` on PyPI is
another project's); the command and the package are ``coach``."""
