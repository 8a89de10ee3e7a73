# The reference serving stack (model server, gateway, Toxiproxy-compatible proxy) in one image; which of
# them a container runs is its command. Build from the repository root:
#   docker build -f docker/stack.Dockerfile -t chaosdrill/stack .
# Without a registry, `chaosdrill images build` builds a Debian base locally and passes it as BASE_IMAGE.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# A venv works the same on python:3.11-slim and on Debian's python3, whose system pip is externally managed.
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Where pip cannot reach an index (no network, or TLS interception the image does not trust), the builder
# puts wheels downloaded on the host into docker/wheels/ and passes PIP_OPTIONS="--no-index --find-links
# /tmp/build"; the pattern copies nothing when that folder does not exist.
ARG PIP_OPTIONS=""
COPY docker/stack-requirements.txt docker/wheel[s] /tmp/build/
RUN pip install --no-cache-dir --disable-pip-version-check $PIP_OPTIONS -r /tmp/build/stack-requirements.txt \
    && rm -rf /tmp/build

WORKDIR /app
COPY stack/ /app/stack/
COPY faults/__init__.py /app/faults/__init__.py
COPY faults/toxiproxy/ /app/faults/toxiproxy/
CMD ["python", "-m", "stack.gateway", "--help"]
