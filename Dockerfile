# ecs-operator image: multi-stage, pinned base, runtime dependencies only, non-root.
# Build:  docker build -t ecs-operator:dev .
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY operator/ operator/
# A wheel of the project and of its pinned runtime dependencies (no dev extras).
RUN pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels ecs-operator && rm -rf /wheels \
 && useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin ecs-operator
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["ecs-operator", "run"]
