# chainrule: two commands on a fresh clone.
#   make run    set up .venv and run the main job: train a CNN on the embedded digits (runs/digits-lenet/)
#   make test   set up .venv with the test tools and run the whole test suite
# Also: make docs (regenerate docs/derivatives.md), make bench, make clean.
#
# Installs happen once: a stamp file in .venv records each install and is remade
# only when pyproject.toml changes, so a second `make test` goes straight to pytest.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
PYTEST_ARGS ?=

# Installed package only; and package + test tools (+ PyTorch when it installs).
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev

.PHONY: run test docs bench clean distclean

run: $(STAMP_RUN)
	$(VENV)/bin/chainrule train

test: $(STAMP_DEV)
	$(PY) -m pytest $(PYTEST_ARGS)

docs: $(STAMP_RUN)
	$(VENV)/bin/chainrule docs --output docs/derivatives.md

bench: $(STAMP_DEV)
	$(PY) benchmarks/run_all.py

$(PY):
	$(PYTHON) -m venv $(VENV)

# `make test` before `make run` already installed the package: reuse that install.
$(STAMP_RUN): pyproject.toml | $(PY)
	if [ -f $(STAMP_DEV) ] && [ $(STAMP_DEV) -nt pyproject.toml ]; then :; else $(PIP) install -e .; fi
	touch $@

# PyTorch 2.13.0 (a local CPU wheel on the project's machines) lets the tests compare
# with it; where it cannot be installed those tests skip, so its failure is not ours.
$(STAMP_DEV): pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	$(PIP) install torch==2.13.0 || echo "note: torch==2.13.0 not installed; PyTorch comparisons will skip"
	touch $@ $(STAMP_RUN)

clean:
	rm -rf build dist src/*.egg-info .pytest_cache .hypothesis
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
