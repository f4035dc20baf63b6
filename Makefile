# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the pinned project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_STAMP := node_modules/.installed

.PHONY: demo test lint clean tools fabric fabric-if-go system-deps

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

# Debian packages that some tests drive as real programs: xmlsec1 (the reference checker of
# our XML signatures), wrk (HTTP load), chromium (the pages' browser tests). Needs root;
# as another user it says what to install and goes on (those tests then skip, saying why).
SYSTEM_PACKAGES := xmlsec1 wrk chromium chromium-driver
system-deps:
	@if [ "$$(id -u)" = 0 ]; then \
		missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing; fi; \
	else echo "not root: install $(SYSTEM_PACKAGES) with apt-get for the tests that use them"; fi

# Hyperledger Fabric's peer, orderer, configtxgen and osnadmin at the pinned v3.1.x commit,
# into the git-ignored .fabric/bin; a no-op when they are there. `go install` by commit
# through the module proxy, else from FABRIC_SRC (a git repository of hyperledger/fabric).
fabric: $(STAMP)
	$(BIN)/python -m network.fabric build

# `make test` builds Fabric when Go is present; when it cannot, the Fabric tests say why
# in one line and are skipped.
fabric-if-go: $(STAMP)
	@if command -v go >/dev/null 2>&1; then $(BIN)/python -m network.fabric build || true; \
	else echo "Go is not installed: the Fabric tests will be skipped"; fi

demo: $(STAMP)
	$(BIN)/tdx demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The Fabric tests run in a pytest of their own, without xdist: one network serves them
# all (each xdist worker would start its own on these 2 cores).
test: lint $(NODE_STAMP) fabric-if-go
	$(BIN)/pytest -n 2 -m "not fabric"
	$(BIN)/pytest -m fabric

clean:
	rm -rf $(VENV) build *.egg-info node_modules .fabric
