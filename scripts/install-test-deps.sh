#!/usr/bin/env bash
# System packages the test suite needs, from Debian's archive: a PostgreSQL server (the history tests start
# their own throw-away server with initdb/pg_ctl), Chromium (the trends page is loaded in a real headless
# browser), systemd (`systemd-analyze verify` checks the timer example in docs/ci/) and HAProxy (the load
# balancer in front of third-party model servers in the user-stack drills). Idempotent and quick
# when everything is there: `apt-get update` runs only when something is missing, and then once. Run as
# root, or as a user who may `sudo`.
set -euo pipefail

PACKAGES=(postgresql chromium systemd haproxy nginx)

# MLServer, from PyPI into a venv of the invoking user's (not on the second pass, under sudo).
[[ -n ${SUDO_USER:-} ]] || bash "$(dirname "$0")/install-mlserver.sh"

missing=()
for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
        echo "install-test-deps: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
    exec sudo "$0" "$@"
fi

echo "install-test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
