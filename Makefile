# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the pinned project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_STAMP := node_modules/.installed

.PHONY: demo test lint clean tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Pinned node tools (solc, anvil, TradeTrust's contracts) in the git-ignored node_modules/.
$(NODE_STAMP): package.json package-lock.json
	# `npm ci` refuses this lock: the other platforms' anvil packages are not on this
	# registry. `npm install --no-save` installs exactly the locked versions all the same.
	npm install --no-save --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

tools: $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/tdx demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint $(NODE_STAMP)
	$(BIN)/pytest -n 2

clean:
	rm -rf $(VENV) build *.egg-info node_modules
