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

.PHONY: help venv dev test test-others lint unit usecases contract integration infrastructure e2e fuzz openapi build deploy package publish bench clean

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

venv: $(STAMP)
# The version is the package metadata's too: a bump reinstalls, so `serverless-jobs --version` follows it.
$(STAMP): pyproject.toml layers/core/requirements.txt client/requirements.txt layers/core/serverless_jobs/version.py
	@test -n "$(PYTHON)" || { echo "no python >= 3.11 found; set PYTHON=/path/to/python3.13"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2>&1 | { grep -v "is ignored: it is neither" || true; }
	touch $(STAMP)

dev: venv
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/python -m local_stack

lint: venv
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

test-others: venv
	$(PYTEST) --ignore=tests/e2e

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
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
