# The two commands: `make dev` runs everything locally, `make test` passes every test. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# This machine's environment sets PYTHONDONTWRITEBYTECODE=1: every process (each local server, each execution
# environment, each mutation rerun) then compiled every module it imported from source, about 3 s of a local
# server's start. The virtualenv is compiled once at install; our own modules write their bytecode as they load.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: dev test token install browser ffmpeg valgrind lint format typecheck unit integration infra e2e bench synth openapi clean

$(VENV)/.installed: layers/dependencies/requirements.txt layers/video/requirements.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --no-compile --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m compileall -q -j 0 $(VENV)/lib >/dev/null
	touch $@

# CPython 3.12 in WebAssembly (Pyodide, pinned in the lockfile) to byte-compile the Lambda assets for python3.12.
PYCOMPILE := infra/pycompile
$(PYCOMPILE)/node_modules/.installed: $(PYCOMPILE)/package.json $(PYCOMPILE)/package-lock.json
	npm ci --prefix $(PYCOMPILE) --no-audit --no-fund --loglevel=error
	touch $@

# The TypeScript client (#18): its generator, tsc and types, for tests/e2e/test_ts_client.py (dist/ is committed).
TSCLIENT := clients/typescript
$(TSCLIENT)/node_modules/.installed: $(TSCLIENT)/package.json $(TSCLIENT)/package-lock.json
	npm ci --prefix $(TSCLIENT) --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed $(PYCOMPILE)/node_modules/.installed $(TSCLIENT)/node_modules/.installed

# Debian's Chromium and its driver for the browser tests; installed when missing and we are root.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "browser: could not install chromium; browser tests will be skipped"; \
	  else echo "browser: not root, chromium not installed; browser tests will be skipped"; fi; \
	fi

dev: install
	$(PY) -m devserver

token: install
	@$(PY) -m devserver token $(USER)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest tests/unit -q

integration: install
	$(PY) -m pytest tests/integration -q

infra: install
	$(PY) -m pytest tests/infra -q

# With API_URL (and E2E_USER_POOL_ID + E2E_USER_POOL_CLIENT_ID, or E2E_TOKEN_<USER>=…), the same contract tests run
# against a deployed stack: README, "Verify a deployment". Make passes command-line variables to pytest's environment.
e2e: install $(if $(API_URL),,browser)
	$(PY) -m pytest tests/e2e -q

# IAM_COVERAGE=1: the run fails if any function holds a grant none of its tests' calls used (usage in test-output/);
# then the mutation check reruns, per grant, a few tests that used it without that grant, and expects a failure.
# pytest runs in two xdist workers, a whole module each (an e2e module shares one local server), so the CPU-bound
# tiers fill the core the e2e tier leaves idle while it waits on its servers and browsers; mypy checks the tree
# meanwhile. mypy's report is printed after pytest's, and either failing fails the target.
test: install browser lint
	@mkdir -p test-output
	@$(VENV)/bin/mypy > test-output/mypy.txt 2>&1 & mypy=$$!; \
	  IAM_COVERAGE=1 $(PY) -m pytest -q -n 2 --dist loadfile; tests=$$?; \
	  wait $$mypy; typed=$$?; echo "mypy:"; cat test-output/mypy.txt; \
	  [ $$tests -eq 0 ] && [ $$typed -eq 0 ]
	$(PY) -m tests.iam_mutation test-output/iam-usage.jsonl

# $(call debian_tool,COMMAND,WHAT IS SKIPPED WITHOUT IT): Debian's package of that name, installed when the command
# is missing and we are root.
define debian_tool
	@if ! command -v $(1) >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null) \
	      || echo "$(1): could not install $(1); $(2) will be skipped"; \
	  else echo "$(1): not root, $(1) not installed; $(2) will be skipped"; fi; \
	fi
endef

# The command line the video bench compares the poster code with.
ffmpeg:
	$(call debian_tool,ffmpeg,the video bench)

# Its callgrind counts the instructions behind the crafted images' and the gallery page's ratios.
valgrind:
	$(call debian_tool,valgrind,the instruction-count benches)

bench: install ffmpeg valgrind
	$(PY) -m bench

synth: install
	$(PY) app.py

# The OpenAPI document the docs function serves, written from the API routes (run after changing a route or model).
openapi: install
	$(PY) -m infra.openapi

clean:
	rm -rf cdk.out .local-state layers/build test-output
