# syntax=docker/dockerfile:1.7
#
# The Python trainer (services/trainer), run as a batch job:
#
#   docker build -f deploy/docker/trainer.Dockerfile -t ghcr.io/offerstream/trainer:0.1.0 .
#   docker run --rm ghcr.io/offerstream/trainer:0.1.0            # = python -m offerstream_trainer train
#
# torch comes from PyTorch's CPU wheel index by default: from PyPI, Linux torch pulls
# several GB of CUDA libraries. For a CUDA trainer pass e.g.
#   --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY services/trainer /src/services/trainer
# The project pins its dependencies in services/trainer/pyproject.toml.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --extra-index-url "${TORCH_INDEX_URL}" /src/services/trainer \
    && python -c "import offerstream_trainer"

# ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 offerstream \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
         --shell /usr/sbin/nologin offerstream \
    && mkdir -p /var/lib/offerstream/models \
    && chown 10001:10001 /var/lib/offerstream/models
COPY --from=build /opt/venv /opt/venv
# HOME=/tmp: libraries that cache under ~ write to the (emptyDir) /tmp; the root
# filesystem is read-only in Kubernetes.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["python", "-m", "offerstream_trainer"]
CMD ["train"]
