# rasd: every target is a thin wrapper over a `python -m <package>` command.
# Variables: BASE_MODEL EPOCHS SEED (train/eval), CORPUS OUT MAX_STEPS (pretrain), IN OUT (score,
# preannotate), FORMAT (preannotate), HOST PORT DEVICE (serve).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
MODEL  := models/current

BASE_MODEL ?= CAMeL-Lab/bert-base-arabic-camelbert-msa
HOST   ?= 127.0.0.1
PORT   ?= 8000
DEVICE ?= auto
FORMAT ?= labelstudio
EXTRAS ?= dev
export BASE_MODEL

.PHONY: help install validate test train eval pretrain serve run score preannotate bench

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' Makefile | sed 's/:.*## /\t/'

install: $(STAMP)  ## create .venv, install rasd (torch pinned first); EXTRAS=dev,ray adds Ray

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

validate: $(STAMP)  ## check annotations/*.jsonl, print counts per layer, label and document
	$(PY) -m training validate

test: $(STAMP)  ## the whole test suite (tiny encoders, offline)
	$(PY) -m pytest -q

train: $(STAMP)  ## train on annotations/*.jsonl -> models/<timestamp>, repoint models/current
	$(PY) -m training train $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(SEED),--seed $(SEED))

eval: $(STAMP)  ## leave-one-document-out cross-validation -> reports/eval.{md,json}
	$(PY) -m training eval $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(SEED),--seed $(SEED))

pretrain: $(STAMP)  ## masked-LM pre-training on CORPUS (folder of .txt or JSONL) -> OUT [MAX_STEPS=]
	@test -n "$(CORPUS)" || { echo "usage: make pretrain CORPUS=path [BASE_MODEL=compact] [OUT=dir]"; exit 2; }
	$(PY) -m training pretrain "$(CORPUS)" $(if $(OUT),--out "$(OUT)") $(if $(MAX_STEPS),--max-steps $(MAX_STEPS))

$(MODEL):
	$(MAKE) train

serve: $(STAMP)  ## serve models/current on HOST:PORT (default 127.0.0.1:8000)
	$(PY) -m serve api --host $(HOST) --port $(PORT) --device $(DEVICE)

run: $(STAMP) $(MODEL)  ## install if needed, train the default model if none, serve on 127.0.0.1:8000
	$(PY) -m serve api --host $(HOST) --port $(PORT) --device $(DEVICE)

score: $(STAMP) $(MODEL)  ## batch-score IN (folder/JSONL/CSV, gz ok) -> OUT (JSONL), resumable
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make score IN=dump OUT=results.jsonl"; exit 2; }
	$(PY) -m serve score "$(IN)" "$(OUT)" --device $(DEVICE)

preannotate: $(STAMP) $(MODEL)  ## model suggestions for IN as Label Studio or doccano tasks -> OUT
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make preannotate IN=dump OUT=tasks.json FORMAT=labelstudio|doccano"; exit 2; }
	$(PY) -m training preannotate "$(IN)" "$(OUT)" --format $(FORMAT)

bench: $(STAMP) $(MODEL)  ## throughput/latency/memory vs the transformers pipeline -> BENCHMARKS.md
	$(PY) -m serve bench
