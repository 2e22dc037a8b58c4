# fonet — the two commands of the quick start are `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PIP = $(VENV)/bin/pip install -q -c constraints.txt

.PHONY: setup setup-test system-deps demo test lint bench lock docs-img

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed-demo: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) -e '.[demo,osm]'
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) -e '.[test]'
	touch $@

api/static/node_modules/.package-lock.json: api/static/package-lock.json
	npm ci --prefix api/static --no-audit --no-fund

setup: $(VENV)/.installed-demo api/static/node_modules/.package-lock.json  ## fonet, the simulator and the map's npm packages in .venv

setup-test: $(VENV)/.installed-test api/static/node_modules/.package-lock.json  ## everything the tests need

system-deps:  ## Debian packages the tests use (snmpd, snmp tools, GDAL, poppler, Chromium)
	bash scripts/install-system-deps.sh

demo: setup  ## the whole regency, planned, simulated and served live (Ctrl-C stops it)
	$(VENV)/bin/fonet demo

lint: setup-test  ## ruff, mypy and the layering contract (api -> collectors, gis -> fonet)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: setup-test system-deps lint  ## lint, then the whole test suite (starts a local PostgreSQL)
	FONET_TEST_PG_URL="$${FONET_TEST_PG_URL:-$$(bash scripts/start-postgres.sh)}" CI="$${CI:-true}" $(VENV)/bin/pytest -q

bench: setup-test system-deps  ## run the benchmarks
	$(VENV)/bin/python benchmarks/steiner.py
	$(VENV)/bin/python benchmarks/poll.py
	$(VENV)/bin/python benchmarks/demo.py

lock:  ## re-pin constraints.txt to the newest versions the floors in pyproject.toml allow
	$(PIP) pip-tools
	$(VENV)/bin/pip-compile --upgrade --all-extras --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host -q \
	  -o constraints.txt pyproject.toml
	sed -i '/^fonet @ /,+1d' constraints.txt  # the extras' reference to fonet itself

docs-img: setup-test system-deps  ## regenerate the user guide's screenshots (docs/id/img) from a running service
	FONET_DOCS_IMG=$(CURDIR)/docs/id/img .venv/bin/pytest -q tests/api/test_e2e_field_phone.py
