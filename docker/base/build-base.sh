#!/bin/sh
# Build a minimal Debian bookworm base image without any registry: debootstrap a root filesystem from
# Debian's packages and `docker import` it. Used when `python:3.11-slim` cannot be pulled; the stack
# Dockerfile only needs python3 (3.11) with venv and pip, which is exactly what this installs.
#
# usage: build-base.sh TAG [MIRROR]
set -eu

tag="${1:?usage: build-base.sh TAG [MIRROR]}"
mirror="${2:-http://deb.debian.org/debian}"

# The project installs what it needs itself: debootstrap comes from Debian's packages when missing.
if ! command -v debootstrap >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    else
        echo "debootstrap is not installed: run 'apt-get install debootstrap' as root" >&2
        exit 3
    fi
fi

rootfs="$(mktemp -d /var/tmp/chaosdrill-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" "$mirror"

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
