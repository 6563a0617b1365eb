# ecs-operator image: multi-stage, pinned base and dependencies, runtime dependencies only, non-root.
#   docker build -t ecs-operator:0.1.0 .
# This project's CI builds it with buildah on a Debian 12 base it makes itself (`make image`,
# hack/image/build.sh), with the two build arguments below; README "Container image".
#
# PYTHON_IMAGE: the base. Any Debian-based image with python3 (3.11+) and its venv module: the
# public one by default, pinned to a patch release of Python and a Debian release. For reproducible
# builds pin its digest as well (PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest>): a tag
# is rebuilt upstream for security fixes, a digest never changes.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# PIP_SOURCE: where the build stage gets the dependencies' wheels. By default the package index;
# `--no-index --find-links /wheels` installs from a wheelhouse mounted there instead (make image).
ARG PIP_SOURCE=""
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY deploy/image/constraints.txt ./
COPY operator/ operator/
# The project's wheel, built from these sources, and the wheels of its dependencies at the versions
# of constraints.txt (direct and transitive); then a virtual environment with exactly those, which
# the runtime stage copies whole (same base image, so the same interpreter path). The installers
# are removed from it, and the sources and wheels stay behind in this stage.
RUN python3 -m venv /opt/ecs-operator \
 && /opt/ecs-operator/bin/pip wheel --quiet ${PIP_SOURCE} --constraint constraints.txt --wheel-dir /tmp/wheels . \
 && /opt/ecs-operator/bin/pip install --quiet --no-index --find-links /tmp/wheels ecs-operator \
 && /opt/ecs-operator/bin/pip uninstall --quiet --yes setuptools pip

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="ecs-operator" \
      org.opencontainers.image.description="Amazon ECS scheduling semantics on Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
# PYTHONDONTWRITEBYTECODE: the root filesystem is read-only in the chart (the .pyc files were
# written at install time). HOME: anything that wants a home gets the chart's writable /tmp.
ENV PATH=/opt/ecs-operator/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
COPY --from=build /opt/ecs-operator /opt/ecs-operator
# A passwd entry for the numeric user: Kopf names itself user@host (getpass) when POD_ID is unset.
RUN useradd --uid 65532 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin ecs-operator
# Numeric, so that the kubelet can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# 8080: Kopf's liveness endpoint (--liveness http://0.0.0.0:8080/healthz); 9090: Prometheus metrics.
EXPOSE 8080 9090
ENTRYPOINT ["ecs-operator", "run"]
