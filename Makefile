# Developer and CI entry points; `make help` lists them. Tools run from .venv explicitly.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN := .venv/bin
TEMPLATE := infra/template.yaml
TEST_TIERS := tests/unit tests/integration tests/packaging tests/stack
# Tests read the deployed stack's variables from here; `make test STACK_ENV=` ignores it.
STACK_ENV ?= .stack/stack.env
PYTEST_FLAGS ?=
# `down` and `clean` must work even when .venv is gone.
TOOLS_PYTHON := $(if $(wildcard $(BIN)/python),$(BIN)/python,python3)

export DEVSTACK_STARTED_AT := $(shell date +%s.%N)

# pytest on folders $(1). Exit 5 (no test collected) stays a failure, with a word on why.
pytest = $(BIN)/pytest $(PYTEST_FLAGS) $(1) || { status=$$?; if [[ $$status -eq 5 ]]; then \
	echo "pytest: no test collected in $(1); a tier without tests fails on purpose"; fi; \
	exit $$status; }
# The same, with the deployed stack's variables when STACK_ENV names a file.
pytest_with_stack_env = if [[ -n "$(STACK_ENV)" && -f "$(STACK_ENV)" ]]; then \
	echo "pytest: with the variables of $(STACK_ENV)"; set -a; . "$(STACK_ENV)"; set +a; fi; \
	$(call pytest,$(1))
# Template checks need a region and credentials, but contact no endpoint and read no profile.
offline_aws = env -u AWS_ENDPOINT_URL -u AWS_PROFILE -u AWS_SESSION_TOKEN \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
	AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=.stack/no-aws-config \
	AWS_SHARED_CREDENTIALS_FILE=.stack/no-aws-credentials SAM_CLI_TELEMETRY=0

.PHONY: help venv dev down status clean test test-unit test-integration test-packaging \
	test-stack lint lint-template check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN { FS = ":.*## " } { printf "  make %-16s %s\n", $$1, $$2 }'

venv: ## create or update .venv (Python 3.13, requirements-dev.txt, quiz_core editable)
	@bash tools/bootstrap.sh

dev: venv ## start PostgreSQL and ministack, build and deploy the stack; re-run to redeploy
	@$(BIN)/python tools/devstack.py up

down: ## stop what `make dev` started; PostgreSQL keeps its data
	@$(TOOLS_PYTHON) tools/devstack.py down

status: ## show what runs
	@$(TOOLS_PYTHON) tools/devstack.py status

clean: ## stop everything and delete .stack (database included) and .aws-sam
	@$(TOOLS_PYTHON) tools/devstack.py clean

test: venv ## all test tiers, with the stack's variables when `make dev` ran
	@$(call pytest_with_stack_env,$(TEST_TIERS))

test-unit: venv ## unit tests: no I/O
	@$(call pytest,tests/unit)

test-integration: venv ## handlers in-process against moto and PostgreSQL (DATABASE_URL)
	@$(call pytest_with_stack_env,tests/integration)

test-packaging: venv ## what the layer and the functions ship
	@$(call pytest,tests/packaging)

test-stack: venv ## the deployed stack (make dev first, or set AWS_ENDPOINT_URL)
	@$(call pytest_with_stack_env,tests/stack)

# Every linter runs even when an earlier one fails, so one run shows all the problems.
lint: venv ## ruff check, ruff format --check, mypy
	@failed=0; \
	for check in "ruff check ." "ruff format --check ." "mypy" "mypy tools/devstack.py"; do \
		echo "lint: $$check"; $(BIN)/$$check || failed=1; \
	done; exit $$failed

lint-template: venv ## cfn-lint and sam validate --lint on the template, offline
	$(offline_aws) $(BIN)/cfn-lint $(TEMPLATE)
	$(offline_aws) $(BIN)/sam validate --lint --template-file $(TEMPLATE)

check: lint lint-template test ## everything CI checks
