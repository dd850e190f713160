# Fast checks for everyday work (included by the main Makefile).
#   make unit   the unit tests only: no servers started, well under 90 s on 2 cores
#               (tests marked slow, such as a whole benchmark run, wait for `make test`)
#   make lint   ruff (lint + format check) and mypy on the packages
#   make fmt    ruff's formatter and import sorting, applied
LINT_PATHS := config retrieval shopper actions nlg channels

.PHONY: unit lint fmt

unit: setup
	$(PY) -m pytest tests/unit -q -m "not slow"

lint: setup
	@echo ">> ruff check"
	@.venv/bin/ruff check $(LINT_PATHS)
	@echo ">> ruff format --check"
	@.venv/bin/ruff format --check $(LINT_PATHS)
	@echo ">> mypy"
	@.venv/bin/mypy

fmt: setup
	.venv/bin/ruff check --select I --fix $(LINT_PATHS)
	.venv/bin/ruff format $(LINT_PATHS)

TEST_STEPS += lint
