# ecs-operator image: multi-stage, pinned base, runtime dependencies only, non-root.
#   docker build -t ecs-operator:0.1.0 .
# Not built in this project's CI (its machine has no container engine); README "Install on kind".
#
# The base is pinned to a patch release of Python and a Debian release. For reproducible builds pin
# its digest as well (PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest>): a tag is rebuilt
# upstream for security fixes, a digest never changes.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator/ operator/
# The project and its pinned runtime dependencies (no dev extras) in a virtual environment that the
# runtime stage copies whole (same base image, so the same interpreter path); the installers are
# removed from it, and the sources stay behind in this stage.
RUN python -m venv /opt/ecs-operator \
 && /opt/ecs-operator/bin/pip install . \
 && /opt/ecs-operator/bin/pip uninstall --yes setuptools pip

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
