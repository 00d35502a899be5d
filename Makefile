# Hisho: `make run` sets up and serves the embedded shape; `make test` sets up and runs
# the whole suite. Both work on a fresh clone; they install what they need into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup setup-dev setup-bench migrate demo serve test lint typecheck pytest bench clean
.PHONY: fuzz
.PHONY: worker
.PHONY: scaled
.PHONY: upgrade test-latest
.PHONY: messages
.PHONY: screenshots
.PHONY: setup-peer

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the locked set (requirements*.txt, hashed; docs/dependencies.md), then Hisho
# itself with no dependency resolution of its own. Stamp files so a second `make` does
# not reinstall; a changed lock does.
define install_locked
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
endef

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(call install_locked,requirements.txt)
	touch $@

# The browser tests' JavaScript (axe-core), exactly as tests/js/package-lock.json pins it.
$(VENV)/.installed-dev: requirements-dev.txt pyproject.toml tests/js/package-lock.json | $(BIN)/python
	$(call install_locked,requirements-dev.txt)
	npm ci --prefix tests/js --no-audit --no-fund --silent
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: requirements-bench.txt pyproject.toml tests/js/package-lock.json | $(BIN)/python
	$(call install_locked,requirements-bench.txt)
	npm ci --prefix tests/js --no-audit --no-fund --silent
	touch $(VENV)/.installed $(VENV)/.installed-dev $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev
setup-bench: $(VENV)/.installed-bench

# The peer of the side-by-side bench (bench/peer_bench.py): django-helpdesk in a venv of
# its own from its own hashed lock (bench/peer/requirements.txt), never in Hisho's locks.
PEER := .venv-peer
$(PEER)/.installed: bench/peer/requirements.txt
	rm -rf $(PEER)
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet --require-hashes --no-deps -r bench/peer/requirements.txt
	touch $@

setup-peer: $(PEER)/.installed

migrate: setup
	$(BIN)/hisho migrate --no-input

demo: migrate
	$(BIN)/hisho demo

# `hisho check` first: it refuses to go on when the master keyring does not match the
# keys in the database (vault.E001/E002), so uvicorn never serves with the wrong keys.
# The embedded shape runs its job worker beside the server (DESIGN: "worker inside
# serve"); stopping the server stops the worker.
# Links in e-mails point at the address served, unless HISHO_PUBLIC_URL says otherwise
# (`make scaled` sets its own: scripts/scaled.py). Websocket frames over 256 KiB are
# refused before uvicorn buffers them (its default holds 16 MiB per socket), as in
# scripts/scaled.py; the chat itself takes 64 KiB (docs/api-limits.md).
run serve: export HISHO_PUBLIC_URL ?= http://$(HOST):$(PORT)

serve: setup
	$(BIN)/hisho check
	$(BIN)/hisho privacy-retention --schedule
	$(BIN)/hisho backup --schedule
	$(BIN)/hisho worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/uvicorn hisho.asgi:application --host $(HOST) --port $(PORT) --ws-max-size 262144

run: demo serve

lint: setup-dev
	$(BIN)/ruff check hisho tests bench
	$(BIN)/ruff format --check hisho tests bench
	$(BIN)/lint-imports

typecheck: setup-dev
	$(BIN)/mypy hisho

# Extra pytest arguments: make pytest ARGS="-k matrix"
pytest: setup-dev
	$(BIN)/python -m pytest $(ARGS)

test: lint typecheck pytest

# The contract tests of `make test` (tests/contract/test_schemathesis.py: schemathesis,
# every check, customer and assistant) for longer and with a random seed, printed so a
# failure can be replayed: make fuzz FUZZ_EXAMPLES=500 FUZZ_SEED=1234
FUZZ_EXAMPLES ?= 200
fuzz: setup-dev
	HISHO_FUZZ=1 HISHO_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) HISHO_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/python -m pytest tests/contract/test_schemathesis.py -q -s -p no:logging

# Benchmarks print markdown tables; the figures recorded in docs/performance.md and
# docs/dlp.md come from these commands.
bench: setup-bench setup-peer
	$(BIN)/python -m bench.dlp.evaluate
	$(BIN)/python -m bench.dlp.lists
	$(BIN)/python -m bench.dlp.cards_in_lists
	$(BIN)/python -m bench.dlp.ways
	$(BIN)/python -m bench.dlp.remask
	$(BIN)/python bench/vault_bench.py
	$(BIN)/python bench/attachments_bench.py --rounds 10
	$(BIN)/python bench/privacy_bench.py
	$(BIN)/python bench/audit_bench.py
	$(BIN)/python bench/crash_retry_bench.py
	$(BIN)/python bench/payments_bench.py
	$(BIN)/python bench/backup_bench.py
	$(BIN)/python bench/partners_bench.py --customers 100000 --rounds 5
	$(BIN)/python bench/outreach_bench.py --recipients 10000
	$(BIN)/python bench/search_bench.py --messages 10000 --rounds 100
	@# The live-chat bench drives the scaled shape with wrk (Debian's package).
	@command -v wrk >/dev/null 2>&1 || apt-get install -y --no-install-recommends wrk
	$(BIN)/python bench/live_bench.py
	@# The same shape with the websockets on a process of their own (docs/scaling.md).
	$(BIN)/python bench/live_bench.py --socket-apps 1 --no-steps --no-profile \
		--out var/bench/live-socket-apps.json
	$(BIN)/python bench/peer_bench.py

# The job worker (Django Tasks, database queue): queues the daily connection-data
# retention run if none is pending, then runs jobs (policy e-mails, retention).
worker: setup
	$(BIN)/hisho privacy-retention --schedule
	$(BIN)/hisho backup --schedule
	$(BIN)/hisho worker

# The scaled shape on this machine (docs/scaling.md): PostgreSQL and Redis (both must be
# running on 127.0.0.1), two app processes on ports 18100-18101 and a job worker; Ctrl-C
# stops them all. Options: make scaled ARGS="--apps 3 --fresh".
scaled: setup
	$(BIN)/python scripts/scaled.py --demo $(ARGS)

# Re-lock: the newest versions pyproject.toml allows, hashed (docs/dependencies.md). Then
# `make test` on the new lock, and commit requirements*.txt with what changed and why.
LOCK = $(BIN)/uv pip compile --quiet pyproject.toml requirements-build.in \
	--python-version 3.11 --python-platform linux --generate-hashes --no-header
# The development set is resolved first and constrains the others, so the runtime and
# the bench run exactly the versions the suite tested (tests/test_lock.py checks it).
upgrade: setup-dev
	$(LOCK) --upgrade --extra dev -o requirements-dev.txt
	$(LOCK) --upgrade -c requirements-dev.txt -o requirements.txt
	$(LOCK) --upgrade --extra dev --extra bench -c requirements-dev.txt -o requirements-bench.txt

# The suite on the newest versions pyproject.toml allows, without the lock, in a venv of
# its own: what the next `make upgrade` would bring. Not in CI (docs/dependencies.md).
LATEST := .venv-latest
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet -e '.[dev]'
	$(LATEST)/bin/python -m pytest $(ARGS)

clean:
	rm -rf $(VENV) $(LATEST) $(PEER) var .pytest_cache .mypy_cache .ruff_cache

# The Japanese catalogue: collect new strings, then (after translating them in
# hisho/locale/ja/LC_MESSAGES/django.po) compile. Both files are committed, so a fresh
# clone needs no build step; tests/test_translations.py fails on a gap or a stale .mo.
messages: setup-dev
	cd hisho && DJANGO_SETTINGS_MODULE=hisho.settings ../$(BIN)/python -m hisho makemessages -l ja --no-location
	cd hisho && DJANGO_SETTINGS_MODULE=hisho.settings ../$(BIN)/python -m hisho compilemessages

# Screenshots of the main pages at 390 and 1280 px, in English and Japanese, into
# docs/screenshots/ (scripts/screenshots.py: the demo data served on a free loopback port
# from a temporary directory, headless Chromium). Not part of `make test`.
screenshots: setup-dev
	$(BIN)/python scripts/screenshots.py
