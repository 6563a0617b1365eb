# ecs-operator developer entry points. Every target installs what it needs on a fresh machine.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
STATE ?= $(or $(ECS_OPERATOR_STATE),/tmp/ecs-operator-local)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv controlplane image up down run test lint unit integration crds bench bench-scale chaos clean

help:
	@echo "make run    - build and start the local control plane, apply CRDs and examples, run the operator"
	@echo "make test   - lint, type-check, CRD drift check, unit and integration tests"
	@echo "make down   - stop the local control plane started by 'make run'"
	@echo "make image  - build the operator image with buildah on a local Debian 12 base (cached), print its reference"
	@echo "make bench  - benchmarks (prints a table, writes bench/results/); BENCH_SCALE=1 for the scale set"
	@echo "make bench-scale - end to end at 1,000 nodes / 10,000 tasks and at ECS's quotas (5,000 / 5,000)"
	@echo "make chaos  - fault-injection suite, CHAOS_RUNS (20) seeded runs from CHAOS_SEED (1); writes bench/results/chaos-*.md"

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || PY=python3; test -d $(VENV) || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip==25.3
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

controlplane:
	bash hack/controlplane/build.sh >/dev/null

# The operator image from the Dockerfile, built with buildah on a Debian 12 base made by debootstrap
# (hack/image/); both cached in ~/.cache/ecs-operator/image. Installs debootstrap and buildah if missing.
image: venv
	bash hack/image/build.sh

up: venv controlplane
	$(VENV)/bin/python hack/controlplane/localcp.py up --state-dir $(STATE)

down: venv
	$(VENV)/bin/python hack/controlplane/localcp.py down --state-dir $(STATE)

run: venv controlplane
	bash hack/run-local.sh

lint: venv
	$(VENV)/bin/ruff check operator tests hack bench examples
	$(VENV)/bin/ruff format --check operator tests hack bench examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m ecs_operator.api.crdgen --check

unit: venv
	bash hack/pytest.sh tests/unit

integration: venv controlplane
	bash hack/pytest.sh tests/integration

test: lint controlplane
	bash hack/pytest.sh tests

crds: venv
	$(VENV)/bin/python -m ecs_operator.api.crdgen
	cp crds/*.yaml deploy/helm/ecs-operator/crds/

# The default set: placement engine, end to end at 100 nodes / 1,000 tasks, scheduled tasks.
# BENCH_SCALE=1 (or make bench-scale): end to end at 1,000 nodes / 10,000 tasks and at ECS's quotas.
# BENCH_E2E=1000x2000: only the end-to-end benchmark at those sizes.
bench: venv controlplane
	$(VENV)/bin/python bench/run.py $(if $(BENCH_E2E),--e2e $(BENCH_E2E))

bench-scale: venv controlplane
	BENCH_SCALE=1 $(VENV)/bin/python bench/run.py

chaos: venv controlplane
	bash hack/chaos/build-toxiproxy.sh >/dev/null
	$(VENV)/bin/python hack/chaos/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
