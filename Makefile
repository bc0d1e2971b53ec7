# The two commands of the README: `make demo` and `make test`. Everything else helps them.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PORT    ?= 8000
HOST    ?= 127.0.0.1
TEST_WORKERS ?= 2

.PHONY: demo test lint venv venv-dev system-deps migrate serve stop-db clean-db bench-rating worker

# Runtime packages only: enough for `make demo`.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $(STAMP)

# Test and lint tools on top.
$(DEVSTAMP): $(STAMP) requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(DEVSTAMP)

venv: $(STAMP)

venv-dev: $(DEVSTAMP)

# Debian packages the tests need (headless Chromium for end-to-end tests, fonts for PDFs).
system-deps:
	@bash scripts/system_deps.sh

# With no DATABASE_URL, the first manage.py call starts the embedded PostgreSQL under var/.
migrate: venv
	$(BIN)/python manage.py migrate --noinput

# One command: install, migrate, load the demo data, print the logins and URLs, serve on localhost:$(PORT).
demo: migrate
	$(BIN)/python manage.py load_demo --base-url http://localhost:$(PORT)
	@echo ""
	@echo "Serving on http://localhost:$(PORT)/  (Ctrl-C stops the server; 'make stop-db' the embedded PostgreSQL)"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

serve: venv
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

# The whole suite: linters, migrations in sync, then pytest on a real PostgreSQL.
test: venv-dev system-deps lint
	$(BIN)/python -m pytest --create-db -n $(TEST_WORKERS) $(PYTEST_ARGS)

worker: venv
	$(BIN)/celery -A billing_site worker -l info

stop-db:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m billing_site.embedded_db stop; else echo "no venv: nothing to stop"; fi

# Stops the embedded PostgreSQL and deletes its data (the next `make demo` starts from scratch).
clean-db: stop-db
	rm -rf var/pgdata
