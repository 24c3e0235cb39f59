# OSS Pulse. `make help` lists the targets. The two commands of a fresh machine: `make demo`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OSSPULSE := $(BIN)/osspulse
PYTEST := $(BIN)/pytest
DATA ?=

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: setup
setup: ## install everything (venv, Trino, MinIO, jars, Debian packages); idempotent, cached in ~/.cache/osspulse
	@$(PYTHON) -m osspulse.install

.PHONY: lock
lock: ## re-resolve requirements.in into requirements.lock (exact pins and hashes)
	@$$($(PYTHON) -m osspulse.install --print-venv)/../../tools/uv-*/bin/uv pip compile requirements.in \
		--python-version 3.11 --generate-hashes -q -o requirements.lock --custom-compile-command "make lock"

.PHONY: up
up: setup ## start the native stack (osspulse stack up)
	@$(OSSPULSE) stack up

.PHONY: down
down: ## stop the native stack
	@$(OSSPULSE) stack down

.PHONY: status
status: ## the native stack's services, ports, pids and health
	@$(OSSPULSE) stack status

.PHONY: demo
demo: setup ## the whole pipeline end to end on simulator data (DATA=DIR replays a dataset)
	@$(OSSPULSE) demo $(if $(DATA),--data $(DATA))

.PHONY: lint
lint: ## ruff (python), sqlfluff (dbt models) and the dependency audit
	@$(BIN)/ruff check osspulse simulator devtools dags spark_jobs tests
	@$(BIN)/ruff format --check osspulse simulator devtools dags spark_jobs tests
	@$(BIN)/sqlfluff lint dbt_project/models --processes 2
	@$(BIN)/python -m osspulse.audit

.PHONY: audit
audit: ## pip-audit of requirements.lock (accepted findings: security/known-vulnerabilities.toml)
	@$(BIN)/python -m osspulse.audit

.PHONY: test
test: setup lint ## lint, then unit and integration tests against the real native stack
	@$(PYTEST) -v --suite=all --timeout=1800 --junitxml=artifacts/junit.xml

.PHONY: test-unit
test-unit: ## only the tests that need no running services (what a bare `pytest` runs)
	@$(PYTEST) -v

.PHONY: bench
bench: bench-stack bench-ingest bench-load bench-dbt bench-e2e bench-dashboard ## every benchmark (prints figures and ratios; never gates CI)

.PHONY: bench-load
bench-load: ## Postgres -> Iceberg rows/s at 100k and 1M staged commits, Spark vs PyIceberg baseline
	@$(BIN)/python -m osspulse_dev.bench.load

.PHONY: bench-ingest
bench-ingest: ## ingest requests used vs the minimum (backfill, incremental) and records/s at scale 1 and 10
	@$(BIN)/python -m osspulse_dev.bench.ingest

.PHONY: bench-stack
bench-stack: setup ## setup time, stack start-up time and idle memory per service
	@$(BIN)/python -m osspulse_dev.bench.stack

.PHONY: clean
clean: ## stop the stack and delete its state (keeps the download cache)
	-@$(OSSPULSE) stack down
	rm -rf .osspulse artifacts

.PHONY: images
images: ## build the Docker images (a local Debian base when no registry serves one; docs/docker.md)
	@$(OSSPULSE) images build

.PHONY: bench-images
bench-images: ## image build time cold (deletes BuildKit's cache) and after a one-line code change; sizes
	@$(OSSPULSE) images bench

COMPOSE := docker compose
COMPOSE_DEMO := $(COMPOSE) -f docker-compose.yml -f docker/compose.demo.yml
SCALE ?= --scale trino-worker=1 --scale spark-worker=1

.PHONY: compose-up
compose-up: ## start the compose deployment and wait until healthy (SCALE="--scale trino-worker=2 ...")
	@$(COMPOSE) up -d --wait $(SCALE)

.PHONY: compose-demo
compose-demo: ## the compose deployment with the API simulator as the pipeline's sources, then one pipeline pass
	@$(COMPOSE_DEMO) up -d --wait $(SCALE)
	@$(OSSPULSE) compose pipeline

.PHONY: compose-down
compose-down: ## stop the compose deployment (the named volumes keep the data; `docker compose down -v` deletes it)
	@$(COMPOSE_DEMO) down

.PHONY: compose-config
compose-config: ## check docker-compose.yml with your .env (docker compose config; docs/docker.md)
	@docker compose version >/dev/null 2>&1 || { echo "no 'docker compose': docker/build-docker-plugins.sh builds the plugin"; exit 1; }
	@docker compose config --quiet && echo "docker-compose.yml: valid with .env"

.PHONY: test-compose
test-compose: setup images ## the demo through Airflow on compose (2 Spark + 2 Trino workers); gold must equal the native run's
	@$(PYTEST) -v -m compose --timeout=5400 --junitxml=artifacts/junit-compose.xml tests/deploy

.PHONY: bench-dbt
bench-dbt: ## dbt full refresh vs incremental after one new day, 20 repos x 1 year and 50 repos x 5 years (wall, rows read, per model)
	@$(BIN)/python -m osspulse_dev.bench.dbt

.PHONY: bench-e2e
bench-e2e: ## trigger -> fresh gold through Airflow per stage, backfill and one incremental day; peak stack RSS
	@$(BIN)/python -m osspulse_dev.bench.e2e

.PHONY: bench-scaling
bench-scaling: ## one daily run for 1, 10 and 100 tracked repositories through Airflow: requests, rows, wall per stage
	@$(BIN)/python -m osspulse_dev.bench.scaling

.PHONY: test-faults
test-faults: ## only the fault suite (API, process and data faults; gold must equal a clean run)
	@$(PYTEST) -v -m faults --timeout=1800 --junitxml=artifacts/junit-faults.xml

.PHONY: bench-dashboard
bench-dashboard: ## dashboard page load (warm/cold, through Chromium) and Trino time per chart query
	@$(BIN)/python -m osspulse_dev.bench.dashboard
