"""Stage 2, plan: a pure, deterministic planner from a routine and a pace to a timeline."""
