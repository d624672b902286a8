# rasd: every target is a thin wrapper over a `python -m <package>` command.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install validate test

install: $(STAMP)  ## create .venv and install rasd (torch pinned first: an unpinned torch pulls GBs of CUDA)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

validate: $(STAMP)  ## check annotations/*.jsonl, print counts per layer, label and document
	$(PY) -m training validate

test: $(STAMP)  ## the whole test suite (tiny encoders, offline)
	$(PY) -m pytest -q
