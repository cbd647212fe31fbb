"""coach: a voice-guided audio coach that speaks a routine's cues on time, offline."""

__version__ = "0.1.0"
