#!/usr/bin/env bash
# Build the image's Debian base here, from Debian's own packages, or reuse the cached one.
#
# Why: the Dockerfile's public base (python:*-slim-bookworm) comes from a registry this project's
# CI cannot reach. debootstrap makes a Debian 12 root filesystem (variant and packages in
# pins.env), brought up to date with the suite's updates and security updates, which becomes a
# one-layer base image in this project's buildah storage (hack/image/common.sh).
#
# The Debian mirror is the one the machine's apt already uses (apt-get indextargets), never a
# address written here; ECS_OPERATOR_DEBIAN_MIRROR and ECS_OPERATOR_DEBIAN_SECURITY override it.
# The cache key derives from pins.env and this script: the first build takes about a minute, later
# runs print the cached reference at once. Prints the base image's reference as its last line of
# stdout; progress goes to stderr.
set -euo pipefail
source "$(dirname "$0")/common.sh"

key="$(cat "$here/pins.env" "$here/base.sh" | sha256sum | cut -c1-16)"
ref="$IMAGE_NAME-base:$DEBIAN_SUITE-$key"
if have_image "$ref" 2>/dev/null; then echo "$ref"; exit 0; fi

ensure_tools debootstrap buildah
[[ "$(id -u)" == 0 ]] || die "debootstrap needs root (it creates device files and chroots)"

mirror_of() { # suite -> the URI apt fetches it from
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | awk -v s="$1" '$2 == s {print $1; exit}'
}
mirror="${ECS_OPERATOR_DEBIAN_MIRROR:-$(mirror_of "$DEBIAN_SUITE")}"
security="${ECS_OPERATOR_DEBIAN_SECURITY:-$(mirror_of "$DEBIAN_SUITE-security")}"
if [[ -z "$mirror" ]]; then
  log "apt knows no mirror for $DEBIAN_SUITE yet: apt-get update"
  apt-get update -qq >&2 || true
  mirror="$(mirror_of "$DEBIAN_SUITE")"; security="${security:-$(mirror_of "$DEBIAN_SUITE-security")}"
fi
[[ -n "$mirror" ]] || die "no Debian mirror for $DEBIAN_SUITE in apt's sources; set ECS_OPERATOR_DEBIAN_MIRROR"

start=$SECONDS
work="$image_cache/base-$key"
rm -rf "$work"; mkdir -p "$work"
rootfs="$work/rootfs"
cleanup() {
  for m in proc dev; do mountpoint -q "$rootfs/$m" 2>/dev/null && umount -l "$rootfs/$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

log "debootstrap $DEBIAN_SUITE ($DEBIAN_VARIANT + $BASE_PACKAGES) from $mirror"
# debootstrap's own progress lines (I: Retrieving/Validating/Unpacking/Configuring <package>).
debootstrap --variant="$DEBIAN_VARIANT" --include="$BASE_PACKAGES" \
  "$DEBIAN_SUITE" "$rootfs" "$mirror" 2>&1 \
  | awk '/^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) / {n++; if (n % 50) next} {print "[image] " $0; fflush()}' >&2
[[ "${PIPESTATUS[0]}" == 0 ]] || die "debootstrap failed"

# Updates and security updates: debootstrap takes one archive, the security archive is another.
{
  echo "deb $mirror $DEBIAN_SUITE main"
  echo "deb $mirror $DEBIAN_SUITE-updates main"
  [[ -n "$security" ]] && echo "deb $security $DEBIAN_SUITE-security main"
} >"$rootfs/etc/apt/sources.list"
mount -t proc proc "$rootfs/proc"
log "apt-get upgrade in the root filesystem (updates and security updates)"
chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
  'apt-get update -qq && apt-get upgrade -y -qq -o Dpkg::Use-Pty=0 >/dev/null || { apt-get check; exit 1; }' >&2 || die "apt-get upgrade failed"
umount -l "$rootfs/proc"
# The image carries no apt lists, package caches, logs, nor anything of the machine that built it
# (its mirror address, resolver and host name: a container engine provides the last two).
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/* \
  "$rootfs"/var/cache/debconf/*-old "$rootfs/etc/apt/sources.list" "$rootfs/etc/resolv.conf" \
  "$rootfs/etc/hostname" "$rootfs"/tmp/* "$rootfs"/root/.cache
log "root filesystem: $(du -sh "$rootfs" | cut -f1)"

ctr="$(bah from scratch)"
trap 'bah rm "$ctr" >/dev/null 2>&1 || true; cleanup' EXIT
mnt="$(bah mount "$ctr")"
tar -C "$rootfs" -cf - . | tar -C "$mnt" -xpf - --numeric-owner
bah umount "$ctr" >/dev/null
bah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash \
  --label "org.opencontainers.image.description=Debian $DEBIAN_SUITE $DEBIAN_VARIANT with $BASE_PACKAGES" \
  "$ctr"
bah commit --quiet --rm "$ctr" "$ref" >/dev/null
# A base built from older pins goes (images built on it keep the layers they use).
bah images --format '{{.Name}}:{{.Tag}}' | grep -x "$IMAGE_NAME-base:.*" | grep -vx "$ref" \
  | while read -r old; do bah rmi "$old" >/dev/null || true; done || true
log "base image $ref built in $((SECONDS - start)) s"
echo "$ref"
