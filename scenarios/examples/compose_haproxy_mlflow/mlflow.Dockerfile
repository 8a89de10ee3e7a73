# An MLflow scoring server (mlflow-skinny from PyPI) with the drill's model, trained during the build by the
# processes example's train.py: never downloaded. chaosdrill builds it from compose.yaml (the examples
# folder is the context), FROM the base `chaosdrill images build` tags: Debian bookworm, python3 3.11, venv,
# pip. Where pip cannot reach an index from inside a build, download the wheels into the context first:
#   chaosdrill images wheels scenarios/examples/compose_haproxy_mlflow/requirements-mlflow.txt \
#       --dest scenarios/examples/compose_haproxy_mlflow/wheels/mlflow
FROM chaosdrill/base:bookworm
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# `mlflo[w]` copies the wheels' folder if there is one (its files land in /tmp/build), nothing otherwise.
COPY compose_haproxy_mlflow/requirements-mlflow.txt compose_haproxy_mlflow/wheels/mlflo[w] /tmp/build/
RUN if ls /tmp/build/*.whl >/dev/null 2>&1; then wheels="--no-index --find-links /tmp/build"; fi \
    && pip install --no-cache-dir --disable-pip-version-check $wheels -r /tmp/build/requirements-mlflow.txt \
    && rm -rf /tmp/build

COPY processes_haproxy_mlflow/train.py /opt/train.py
RUN python /opt/train.py /opt/model
EXPOSE 8080
CMD ["mlflow", "models", "serve", "-m", "/opt/model", "--env-manager", "local", "-h", "0.0.0.0", "-p", "8080"]
