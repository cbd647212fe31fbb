"""Where a live session's commands come from: keys, MPRIS, the microphone, plugins."""
