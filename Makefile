# rasd: every target is a thin wrapper over a `python -m <package>` command.
# Variables: BASE_MODEL EPOCHS SEED (train/eval/pretrain), CORPUS OUT MAX_STEPS (pretrain), IN OUT
# (score, preannotate), EVENTS (score), FORMAT (preannotate), HOST PORT DEVICE (serve, score).
# Each is passed on only when set: the defaults live in the commands (`--help` shows them).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
MODEL  := models/current

# One stamp per set of extras (.venv/.installed-dev, .venv/.installed-dev+ray), so `make test`
# after `make run` installs the extras the tests need instead of trusting run's stamp.
EXTRAS ?= dev
TEST_EXTRAS := dev,ray
comma := ,
stamp = $(VENV)/.installed-$(subst $(comma),+,$(1))
STAMP := $(call stamp,$(EXTRAS))
TEST_STAMP := $(call stamp,$(TEST_EXTRAS))
# `--name value` when the variable is set, nothing otherwise.
opt = $(if $($(2)),$(1) "$($(2))")
TRAINING_OPTIONS = $(call opt,--base-model,BASE_MODEL) $(ANNOTATIONS) $(call opt,--epochs,EPOCHS) $(call opt,--seed,SEED)
SERVING_OPTIONS = $(call opt,--host,HOST) $(call opt,--port,PORT) $(call opt,--device,DEVICE)

.PHONY: help install chromium validate test train eval pretrain serve run score preannotate bench

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' Makefile | sed 's/:.*## /\t/'

install: $(STAMP)  ## create .venv, install rasd (torch pinned first); EXTRAS=dev,ray adds Ray

$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[$(subst +,$(comma),$*)]"
	touch $@

validate: $(STAMP)  ## check annotations/*.jsonl, print counts per layer, label and document
	$(PY) -m training validate

# The browser test drives Debian's chromium (never `playwright install`, which downloads one).
chromium:  ## install Debian's chromium for the browser test when it is missing (as root: apt-get)
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser test (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs /usr/bin/chromium: run \`sudo apt-get install -y chromium\` and make test again"; exit 1; \
	  fi; }

test: $(TEST_STAMP) chromium  ## the whole test suite (installs the dev and ray extras and chromium first; offline)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q

train: $(STAMP)  ## train on annotations/*.jsonl -> models/<timestamp>, repoint models/current
	$(PY) -m training train $(TRAINING_OPTIONS)

eval: $(STAMP)  ## held-out scores beside baselines -> reports/eval.{md,json} [TEST=file.jsonl CURVE=5,15,30]
	$(PY) -m training eval $(TRAINING_OPTIONS) $(call opt,--test,TEST) $(call opt,--curve,CURVE) $(call opt,--out-dir,OUT)

pretrain: $(STAMP)  ## masked-LM pre-training on CORPUS (folder of .txt or JSONL) -> OUT [MAX_STEPS=]
	@test -n "$(CORPUS)" || { echo "usage: make pretrain CORPUS=path [BASE_MODEL=compact] [OUT=dir]"; exit 2; }
	$(PY) -m training pretrain "$(CORPUS)" $(TRAINING_OPTIONS) $(call opt,--out,OUT) $(call opt,--max-steps,MAX_STEPS)

$(MODEL):
	$(MAKE) train

serve: $(STAMP)  ## serve models/current on HOST:PORT (see `python -m serve api --help`)
	$(PY) -m serve api $(SERVING_OPTIONS)

run: $(STAMP) $(MODEL)  ## install if needed, train the default model if none, then serve it (as `make serve`)
	$(PY) -m serve api $(SERVING_OPTIONS)

score: $(STAMP) $(MODEL)  ## batch-score IN (folder/JSONL/CSV, gz ok) -> OUT (JSONL), resumable [EVENTS=events.csv]
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make score IN=dump OUT=results.jsonl [EVENTS=events.csv]"; exit 2; }
	$(PY) -m serve score "$(IN)" "$(OUT)" $(call opt,--device,DEVICE) $(call opt,--events,EVENTS)

preannotate: $(STAMP) $(MODEL)  ## model suggestions for IN as Label Studio or doccano tasks -> OUT
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make preannotate IN=dump OUT=tasks.json FORMAT=labelstudio|doccano"; exit 2; }
	$(PY) -m training preannotate "$(IN)" "$(OUT)" $(call opt,--format,FORMAT) $(call opt,--device,DEVICE)

bench: $(STAMP) $(MODEL)  ## throughput/latency/memory vs the transformers pipeline -> BENCHMARKS.md
	$(PY) -m serve bench
