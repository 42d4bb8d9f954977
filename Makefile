# serverless-jobs: `make dev` runs the product locally, `make test` runs every test.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

# A working python3.13 (the Lambda runtime) where one exists, else python3 (>= 3.11). PYTHON overrides.
PYTHON ?= $(shell for p in "$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3" python3.13 python3; do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARCH ?= arm64
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help venv lock dev docs test test-others lint unit usecases contract integration infrastructure e2e fuzz openapi build deploy package publish bench clean

help:
	@echo "make dev    run the whole product locally on http://127.0.0.1:$${PORT:-3000}"
	@echo "make test   lint, cfn-lint, unit, integration, end-to-end and build-check tests"
	@echo "make unit | usecases | contract | integration | infrastructure | e2e   one layer of the tests"
	@echo "make fuzz   the property and OpenAPI fuzz tests with $(FUZZ_SCALE)x the examples (minutes)"
	@echo "make openapi   rewrite docs/openapi.json from the API (review and commit the diff)"
	@echo "make build  sam build (ARCH=$(ARCH); the template's default is arm64)"
	@echo "make deploy   build, then sam deploy with your samconfig.toml (CONFIG_ENV=$(CONFIG_ENV)); upgrade: git pull && make deploy"
	@echo "make package S3_BUCKET=...   build and upload for the Serverless Application Repository; make publish"
	@echo "make bench  benchmarks"
	@echo "make lock   write constraints.txt again (the pinned dev environment) from pyproject.toml's ranges"
	@echo "make docs   serve the docs site on http://127.0.0.1:$(DOCS_PORT) (mkdocs.yml, pages under docs/)"

venv: $(STAMP)
# The version is the package metadata's too: a bump reinstalls, so `serverless-jobs --version` follows it.
$(STAMP): pyproject.toml constraints.txt layers/core/requirements.txt client/requirements.txt layers/core/serverless_jobs/version.py
	@test -n "$(PYTHON)" || { echo "no python >= 3.11 found; set PYTHON=/path/to/python3.13"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]' 2>&1 | { grep -v "is ignored: it is neither" || true; }
	touch $(STAMP)

# constraints.txt again, from a fresh install of pyproject.toml's ranges in a throwaway environment.
LOCK_VENV := .venv-lock
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev]' 2>&1 | { grep -v "is ignored: it is neither" || true; }
	{ sed -n '1,3p' constraints.txt; $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^serverless-jobs'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf $(LOCK_VENV)

dev: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/python -m local_stack

# The docs site (mkdocs.yml): served on loopback only; `make lint` builds it with --strict (no broken link or
# anchor). Material's notice about MkDocs 2.0 is silenced: it says nothing about this site.
DOCS_PORT ?= 8000
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs
docs: venv
	$(MKDOCS) serve --dev-addr 127.0.0.1:$(DOCS_PORT)

lint: venv
	$(MKDOCS) build --strict --quiet
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml examples/nested/template.yaml examples/consumer/template.yaml

PYTEST := PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest
FUZZ_SCALE ?= 20

# The console's browser tests skip without Chromium; say how to get it rather than skip in silence.
BROWSER_HINT = PYTHONPATH=. $(BIN)/python -c 'from devtools.browser import missing; print(f"note: {missing()}") if missing() else None'

# The end-to-end tests mostly wait on a local stack's real time, so they run beside the others, in a pytest
# process of their own (about 2 minutes saved on 2 cores); each prints when it is done. make's own jobs, not
# a shell's `&`: a non-interactive shell's background job ignores Ctrl-C, and so would every process it starts.
test: lint
	@echo "tests/e2e run beside the others; each part prints when it ends"
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-others e2e

# A coverage figure for the code that runs on Lambda and locally; the e2e tests' subprocesses are not counted.
# sys.monitoring (Python 3.12+) keeps the cost at about 2 %; older Pythons fall back to a slower tracer.
COVERED := layers/core/serverless_jobs client/serverless_jobs_client functions local_stack
test-others: venv
	COVERAGE_CORE=sysmon $(PYTEST) --ignore=tests/e2e $(addprefix --cov=,$(COVERED)) --cov-report=
	@echo "coverage: $$($(BIN)/coverage report --format=total --precision=1)% of the lines of $(COVERED) (tests other than e2e)"

unit: venv
	$(PYTEST) tests/unit

# The use cases on the in-memory stores: no moto, seconds.
usecases: venv
	$(PYTEST) tests/usecases

# The stores' contract, on both adapters (DynamoDB over moto, in memory).
contract: venv
	$(PYTEST) tests/contract

integration: venv
	$(PYTEST) tests/integration

infrastructure: venv
	$(PYTEST) tests/infrastructure

e2e: venv
	@$(BROWSER_HINT)
	$(PYTEST) tests/e2e

fuzz: venv
	FUZZ_SCALE=$(FUZZ_SCALE) $(PYTEST) tests/unit/test_cron_oracle.py tests/e2e/test_readme_and_fuzz.py -k "oracle or fuzzing"
	FUZZ_SCALE=$(FUZZ_SCALE) $(PYTEST) -s tests/integration/test_faults.py -k for_long

openapi: venv
	UPDATE_OPENAPI_SNAPSHOT=1 $(PYTEST) -q tests/integration/test_openapi_snapshot.py

build: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build --parameter-overrides Architecture=$(ARCH)

# Your deploy settings: samconfig.toml, untracked and ignored by git, so a pull never touches it. Made from the
# project's samconfig.example.toml when missing, never overwritten (no prerequisite: a newer example leaves it be).
CONFIG_ENV ?= default
samconfig.toml:
	cp samconfig.example.toml $@
	@echo "wrote samconfig.toml from samconfig.example.toml: your stack's settings; edit them there"

# Everything but the credentials comes from samconfig.toml's CONFIG_ENV environment: stack, region, parameters.
deploy: build samconfig.toml
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam deploy --config-env $(CONFIG_ENV)

# The Serverless Application Repository reads code, LICENSE and README from S3_BUCKET, a bucket whose policy lets
# serverlessrepo.amazonaws.com s3:GetObject (SAM's managed bucket does not); publish creates or updates the
# application and adds the template's SemanticVersion (serverless_jobs/version.py's) to it.
PACKAGED := .aws-sam/packaged.yaml
package: build
	@test -n "$(S3_BUCKET)" || { echo "set S3_BUCKET=<a bucket serverlessrepo.amazonaws.com may read>"; exit 1; }
	$(BIN)/sam package --template-file .aws-sam/build/template.yaml --s3-bucket $(S3_BUCKET) \
		--s3-prefix serverless-jobs --output-template-file $(PACKAGED)

publish: venv
	@test -f $(PACKAGED) || { echo "no $(PACKAGED): make package S3_BUCKET=... first"; exit 1; }
	$(BIN)/sam publish --template $(PACKAGED)

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) site .aws-sam .pytest_cache .mypy_cache .ruff_cache
