# Baseline: `make run` for a development server, `make test` for the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | sha256sum | cut -c1-12)

DEV_ENV := DEBUG=true BASELINE_REQUIRE_MFA=false
TEST_ENV := DEBUG=false \
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/baseline} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/0} \
	CELERY_BROKER_URL=$${TEST_CELERY_BROKER_URL:-redis://127.0.0.1:6379/1}

.PHONY: run test lint worker beat bench venv clean client-wheel

venv: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt
	$(PY) -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	rm -f $(VENV)/.installed-*; touch $(STAMP)

run: venv
	mkdir -p var/static
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: venv
	$(TEST_ENV) $(PY) bin/check-services
	$(PY) -m ruff check .
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .

worker: venv
	$(PY) -m celery -A config worker --loglevel=INFO

beat: venv
	$(PY) -m celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule

bench: venv
	$(PY) bench/run.py $(BENCH)

# The partner client as wheels partners install without a compiler: baseline_client and a built
# pdqhash (PyPI has no pdqhash wheels). pip install --find-links dist/client baseline-client
client-wheel: venv
	rm -rf dist/client
	$(PY) -m pip wheel --quiet --no-deps --wheel-dir dist/client ./client pdqhash==0.2.8

clean:
	rm -rf $(VENV) var/static
