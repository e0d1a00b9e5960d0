# Quxiang — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint migrate seed clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The web server and one background worker (Celery on the file broker under var/); Ctrl-C stops both.
run: seed
	$(PY) scripts/run.py 127.0.0.1:8000

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)
	@command -v npm >/dev/null 2>&1 || { echo "error: Node.js 20 and npm are needed for the mini-program tests (miniprogram/): apt-get install nodejs npm, or install Node 20 from nodejs.org"; exit 1; }
	cd miniprogram && npm ci --no-audit --no-fund && PYTHON=$(CURDIR)/$(PY) npm run ci

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
