#!/usr/bin/env bash
# MLServer (Seldon's Open Inference Protocol model server) with its scikit-learn runtime, from PyPI, in a
# venv of its own: it pins older FastAPI and Starlette than chaosdrill runs on, so it cannot share
# chaosdrill's environment. The tests run it from $CHAOSDRILL_MLSERVER if set, else from this venv
# (tests/e2e/model_servers.py). Idempotent and silent once the venv is complete; about 40 s otherwise.
# Run as the user who runs the tests (the venv is in their cache folder), not as root for someone else.
set -euo pipefail

VENV=${XDG_CACHE_HOME:-$HOME/.cache}/chaosdrill/venvs/mlserver
PACKAGES=(mlserver==1.7.1 mlserver-sklearn==1.7.1)

[[ -f $VENV/.complete ]] && exit 0

echo "install-mlserver: creating $VENV (${PACKAGES[*]})" >&2
rm -rf "$VENV"  # an interrupted install: start again
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PACKAGES[@]}"
"$VENV/bin/mlserver" --version >/dev/null
touch "$VENV/.complete"
