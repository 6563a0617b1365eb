#!/usr/bin/env bash
# Build the operator image from the Dockerfile with buildah, on the Debian base of base.sh, or
# reuse the cached one.
#
# The Dockerfile is the one users build with Docker; here its base is the local Debian 12 image
# (build argument PYTHON_IMAGE) and its Python dependencies come from a wheelhouse built on this
# machine with pip (PIP_SOURCE), mounted into the build: inside a build, TLS to the package index
# would need a CA that the host trusts and the base does not have. The image is tagged
# IMAGE_NAME:<version>-<key>, the key derived from the base and every file the build reads, and also
# IMAGE_NAME:<version>. Prints the reference as its last line of stdout; progress goes to stderr.
set -euo pipefail
source "$(dirname "$0")/common.sh"

base="$(bash "$here/base.sh" | tail -n 1)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml")"
inputs=("$root/Dockerfile" "$root/.dockerignore" "$root/pyproject.toml" "$root/README.md"
  "$root/deploy/image/constraints.txt" "$here/build.sh")
key="$( { echo "$base"; cat "${inputs[@]}";
  (cd "$root" && find operator -type f ! -path '*/__pycache__/*' ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum); } \
  | sha256sum | cut -c1-16)"
ref="$IMAGE_NAME:$version-$key"
if have_image "$ref"; then echo "$ref"; exit 0; fi
ensure_tools buildah

start=$SECONDS
wheels="$image_cache/wheels-$key"
rm -rf "$wheels"; mkdir -p "$wheels"
trap 'rm -rf "$wheels"' EXIT
pip=("$root/.venv/bin/python" -m pip)
[[ -x "${pip[0]}" ]] || pip=(python3 -m pip)
log "wheelhouse: the dependencies in deploy/image/constraints.txt and the build backend (pip wheel)"
build_backend="$(sed -n 's/^requires = \["\(setuptools[^"]*\)"\]$/\1/p' "$root/pyproject.toml")"
(cd "$root" && "${pip[@]}" wheel --quiet --disable-pip-version-check --constraint deploy/image/constraints.txt \
  --wheel-dir "$wheels" . "$build_backend") >&2 || die "pip wheel failed"
rm -f "$wheels"/ecs_operator-*.whl   # the image builds its own from the sources

log "buildah bud $ref (base $base)"
bah bud --isolation chroot --pull=never --layers=false \
  --build-arg "PYTHON_IMAGE=$base" --build-arg "PIP_SOURCE=--no-index --find-links /wheels" \
  --volume "$wheels:/wheels:ro" --tag "$ref" --tag "$IMAGE_NAME:$version" \
  --file "$root/Dockerfile" "$root" 2>&1 | sed -u 's/^/[image] /' >&2
[[ "${PIPESTATUS[0]}" == 0 ]] || die "buildah bud failed"
have_image "$ref" || die "buildah bud reported success but $ref is not in the storage"

# Older builds of the operator image go: the cache holds the base and the current image.
bah images --format '{{.Name}}:{{.Tag}}' | grep -x "$IMAGE_NAME:$version-[0-9a-f]*" | grep -vx "$ref" \
  | while read -r old; do bah rmi "$old" >/dev/null || true; done || true
log "image $ref built in $((SECONDS - start)) s"
echo "$ref"
