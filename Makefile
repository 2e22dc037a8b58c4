# fonet — the two commands of the quick start are `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3

.PHONY: setup system-deps demo test bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed  ## create the virtual environment and install fonet
	[ api/static/node_modules/.package-lock.json -nt api/static/package-lock.json ] || npm ci --prefix api/static --no-audit --no-fund

system-deps:  ## Debian packages the tests use (snmpd, snmp tools, GDAL, poppler)
	bash scripts/install-system-deps.sh

demo: setup  ## the whole regency, planned, simulated and served live (Ctrl-C stops it)
	$(VENV)/bin/fonet demo

test: setup system-deps  ## run ruff and the whole test suite (starts a local PostgreSQL)
	$(VENV)/bin/ruff check .
	FONET_TEST_PG_URL="$${FONET_TEST_PG_URL:-$$(bash scripts/start-postgres.sh)}" $(VENV)/bin/pytest -q

bench: setup system-deps  ## run the benchmarks
	$(VENV)/bin/python benchmarks/steiner.py
	$(VENV)/bin/python benchmarks/poll.py
	$(VENV)/bin/python benchmarks/demo.py
