# Shopping guide: the commands a user and CI run. See README.md.
SHELL := /bin/bash
PY    := .venv/bin/python
LOCK_HASH := $(shell cat pyproject.toml requirements.lock 2>/dev/null | sha256sum | cut -c1-16)
VENV_STAMP := .venv/.installed-$(LOCK_HASH)
CATALOG ?= demo
# Extra steps other modules add to `make test` (mk/*.mk append to this).
TEST_STEPS :=

.PHONY: setup test bench-retrieval index lock clean-cache help

help:
	@echo "make run | make shell | make test | make bench-retrieval | make index CATALOG=bigbasket"

setup: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml requirements.lock
	@scripts/setup_venv.sh "$(VENV_STAMP)"

# Refresh requirements.lock from the current venv (after changing pyproject pins).
lock:
	@scripts/setup_venv.sh --relock

index: setup
	$(PY) -m retrieval.build --catalog $(CATALOG) $(if $(MAPPING),--mapping $(MAPPING))

bench-retrieval: setup
	$(PY) -m retrieval.bench --fresh-build

-include mk/*.mk

test: setup $(TEST_STEPS)
	$(PY) -m pytest tests

clean-cache:
	rm -rf $${HOME}/.cache/shopguide
