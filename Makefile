# One task runner. Run ./setup.sh first (the README's commands do).
VENV := .venv/bin

.PHONY: test lint typecheck pytest bench sounds

test: lint typecheck pytest

lint:
	$(VENV)/ruff format --check coach tests bench scripts
	$(VENV)/ruff check coach tests bench scripts

typecheck:
	$(VENV)/mypy coach

pytest:
	$(VENV)/pytest -q

bench:
	$(VENV)/python -m bench

sounds:
	$(VENV)/python scripts/make_sounds.py
