# MLServer (Open Inference Protocol, from PyPI) with its scikit-learn runtime, in an image of its own: it
# pins an older FastAPI and Starlette than MLflow's server runs on, and no container has to share them. The
# model is the processes example's train.py's, trained during the build as a joblib file (never
# downloaded). chaosdrill builds it from compose.mlserver.yaml (the examples folder is the context) FROM
# chaosdrill/base:bookworm. Where pip cannot reach an index from inside a build:
#   chaosdrill images wheels scenarios/examples/compose_haproxy_mlflow/requirements-mlserver.txt \
#       --dest scenarios/examples/compose_haproxy_mlflow/wheels/mlserver
FROM chaosdrill/base:bookworm
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# `mlserve[r]` copies the wheels' folder if there is one (its files land in /tmp/build), nothing otherwise.
COPY compose_haproxy_mlflow/requirements-mlserver.txt compose_haproxy_mlflow/wheels/mlserve[r] /tmp/build/
RUN if ls /tmp/build/*.whl >/dev/null 2>&1; then wheels="--no-index --find-links /tmp/build"; fi \
    && pip install --no-cache-dir --disable-pip-version-check $wheels -r /tmp/build/requirements-mlserver.txt \
    && rm -rf /tmp/build

COPY processes_haproxy_mlflow/train.py /opt/train.py
COPY compose_haproxy_mlflow/mlserver/ /opt/models/
RUN python /opt/train.py /opt/models/risk/model.joblib --format joblib
EXPOSE 8080
CMD ["mlserver", "start", "/opt/models"]
