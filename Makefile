# The two commands a new machine needs: `make run` (serve the seeded site) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run dev bench bench-deps test test-fast lint system-deps test-sqlite test-postgres postgres setup install install-dev python-version clean eval-import eval-align

python-version:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	  echo "error: Python 3.10 or newer is needed; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
	  echo "Install a newer python3 or run: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }

$(VENV)/.installed: requirements.txt | python-version
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A generated key, kept out of git; DJANGO_SECRET_KEY in the environment wins over it.
.secret_key: | $(VENV)/.installed
	umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# Database, static files, the seeded corpus and the search index (built when missing or
# of another schema; beside the SQLite file, or KB_SEARCH_INDEX): safe to run again.
setup: install .secret_key
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_roles
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_seed_corpus
	$(PY) manage.py rebuild_search_index --if-needed

# The server and, beside it, the search indexer (scripts/serve starts and stops both).
run: setup
	@echo "Serving the Lei Jun knowledge base on http://127.0.0.1:$(PORT)/"
	@echo "The admin: http://127.0.0.1:$(PORT)/$${DJANGO_ADMIN_PATH:-admin/} (the first editor: $(PY) manage.py createsuperuser)"
	VENV=$(VENV) scripts/serve $(PORT) 2

dev: setup
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# What the tests need from Debian: chromium (Playwright drives it, never a downloaded
# browser), a Java runtime for the Nu HTML Checker, and wrk for the pages bench's own test.
system-deps:
	@command -v chromium >/dev/null && command -v java >/dev/null && command -v wrk >/dev/null || { \
	  echo "Installing chromium, a Java runtime and wrk with apt (browser, HTML and bench tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium default-jre-headless wrk >/dev/null; }

test: install-dev .secret_key system-deps lint
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory verify-seed
	@# Both databases at once (one per core): each suite's output is printed when it ends.
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

# The fast lane while you work: every test but the system tests marked slow (the list is in
# tests/conftest.py), on SQLite only, one process per core (pytest-xdist). `make test` runs
# them all, on both databases.
test-fast: install-dev
	env -u DATABASE_URL $(PY) -m pytest -q -m "not slow" -p no:cacheprovider -n auto

# The seeded corpus, loaded into a throw-away SQLite file, passes verify_corpus (every span
# and every source's sha256).
verify-seed: install .secret_key
	rm -f .verify.sqlite3*
	DATABASE_URL=sqlite:///$(CURDIR)/.verify.sqlite3 sh -c '$(PY) manage.py migrate --noinput -v0 \
	  && $(PY) manage.py load_seed_corpus && $(PY) manage.py verify_corpus'; \
	  status=$$?; rm -f .verify.sqlite3*; exit $$status

test-sqlite:
	@echo "== tests on SQLite"
	$(PY) -m pytest -q

test-postgres: postgres
	@echo "== tests on PostgreSQL ($(PG_URL))"
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q

# Benchmarks: measured figures, not timed tests. Parts: import (SIZE_MB of generated text),
# search (PASSAGES/QUOTES generated in SQLite and PostgreSQL, vs the bare query and tantivy),
# pages (the site under wrk load at SIZE/100, SIZE/10 and SIZE passages, DURATION s a URL),
# bigsource (one generated BIG_MB source through the pages, the API, the admin, verify_corpus
# and backup, on SQLite and PostgreSQL: time and peak RSS against issue #22's targets).
BENCH_PART ?= pages
SIZE_MB ?= 50
PASSAGES ?= 1000000
QUOTES ?= 100000
SIZE ?= 1000000
DURATION ?= 20
SERVERS ?= gunicorn-sync
BENCH_ARGS_import = --size-mb $(SIZE_MB)
BENCH_ARGS_search = --passages $(PASSAGES) --quotes $(QUOTES) --reuse
BENCH_ARGS_pages = --size $(SIZE) --duration $(DURATION) --servers $(SERVERS)
BIG_MB ?= 20
BENCH_ARGS_bigsource = --size-mb $(BIG_MB)

# The pages part's load generator, from Debian.
bench-deps:
	@command -v wrk >/dev/null || { \
	  echo "Installing wrk with apt (the load generator of make bench BENCH_PART=pages)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

$(VENV)/.installed-bench: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: install .secret_key $(VENV)/.installed-bench $(if $(filter search pages bigsource,$(BENCH_PART)),postgres) $(if $(filter pages,$(BENCH_PART)),bench-deps)
	$(PY) -m bench --json bench-results-$(BENCH_PART).json $(BENCH_PART) $(BENCH_ARGS_$(BENCH_PART))

# The importer scored on hand-made gold standards (tests/ingest_eval, and unseen/: texts
# written after the importer, kept apart): speaker turns, page chrome, quotes and who said
# them, people wrongly created. No database needed.
eval-import: install .secret_key
	$(PY) -m kb.ingest.evaluate --verbose tests/ingest_eval
	$(PY) -m kb.ingest.evaluate --verbose tests/ingest_eval/unseen

# The aligner (kb.align) scored against the hand-made gold of tests/align_samples/.
eval-align: install
	$(PY) -m kb.align.evaluate

# Start (or install) the local PostgreSQL server the tests use; fails loudly if it can't.
postgres:
	bash scripts/ensure-postgres.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
