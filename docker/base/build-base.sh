#!/bin/sh
# Build a minimal Debian bookworm base image without any registry: debootstrap a root filesystem from
# Debian's packages and `docker import` it. Used when `python:3.11-slim` cannot be pulled; the stack
# Dockerfile only needs python3 (3.11) with venv and pip, which is exactly what this installs.
#
# usage: build-base.sh TAG [MIRROR]
set -eu

tag="${1:?usage: build-base.sh TAG [MIRROR]}"
mirror="${2:-http://deb.debian.org/debian}"

command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 3; }

rootfs="$(mktemp -d /var/tmp/chaosdrill-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" "$mirror"

# CPython 3.11.2 (bookworm's) starts reading a new connection even when connection_made() paused it; the
# embedded proxy relies on that pause. Apply the upstream fix (in 3.11.3+: the transport's
# _add_reader honours is_reading()) so the base behaves like python:3.11-slim.
selector_events="$rootfs/usr/lib/python3.11/asyncio/selector_events.py"
if ! grep -q "if not self.is_reading():" "$selector_events"; then
    sed -i '/    def _add_reader(self, fd, callback, \*args):/{n;s/        if self._closing:/        if not self.is_reading():/}' \
        "$selector_events"
    grep -q "if not self.is_reading():" "$selector_events"
    rm -rf "$rootfs"/usr/lib/python3.11/asyncio/__pycache__
fi

# Package caches and docs are dead weight in every container started from this image.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/var/cache/debconf/*-old

tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL chaosdrill.image=base' \
    --change 'CMD ["/bin/bash"]' \
    - "$tag"
