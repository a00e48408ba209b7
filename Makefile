# Newsroom: `make run` serves the site, `make test` runs the suite.
VENV := .venv
BIN := $(VENV)/bin
PYPROJECT_PYTHONS := $(shell ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV)

.PHONY: install run test e2e screenshots loadtest bench lint format migrations-check clean

# A bare `python3.13` can be a pyenv shim that fails, so every candidate is asked to run.
$(VENV)/.installed: pyproject.toml
	@py=""; \
	for candidate in $(or $(PYTHON),python3.13 python3.12 python3 $(PYPROJECT_PYTHONS)); do \
		if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
			py=$$candidate; break; \
		fi; \
	done; \
	if [ -z "$$py" ]; then \
		echo "Newsroom needs Python 3.12 or newer; none found on PATH or under pyenv." >&2; \
		echo "Install one, or point PYTHON=/path/to/python3.12 at it." >&2; exit 1; \
	fi; \
	echo "Using $$py ($$("$$py" --version))"; \
	[ -x $(BIN)/python ] || "$$py" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

# The task worker that makes image renditions runs in the background, beside the server, and
# stops with it (Ctrl+C).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo
	@TASKS_BACKEND=database $(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	TASKS_BACKEND=database $(BIN)/python manage.py runserver 127.0.0.1:8000

# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
test: install
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "No tests were collected." >&2; exit 1; fi; exit $$rc

# The browser tests alone (Chromium at /usr/bin/chromium); here a missing browser is a failure.
e2e: install
	E2E_REQUIRED=1 $(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

# The README's pictures, taken by the journeys that visit those pages.
screenshots: install
	E2E_REQUIRED=1 SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q \
		tests/e2e/test_journey_reader.py tests/e2e/test_journey_reporter.py tests/e2e/test_journey_editor.py \
		tests/e2e/test_journey_live.py

# 64 readers for 60 s against gunicorn on 127.0.0.1 while an editor changes a story every second,
# on its own PostgreSQL database (LOADTEST_DATABASE_URL); fails on any 5xx or stale page.
loadtest: install
	$(BIN)/python -m benchmarks.loadtest $(LOADTEST_ARGS)

# Speed at 100,000 stories on PostgreSQL (BENCH_ARGS="--articles 1000000" for a million).
bench: install
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Style, types, and the rooms' one-way imports (the contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/
