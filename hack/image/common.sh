# Shared by hack/image/base.sh and hack/image/build.sh: tools, cache and buildah settings.
# shellcheck shell=bash
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=pins.env
source "$here/pins.env"
cache_root="${ECS_OPERATOR_CACHE:-$HOME/.cache/ecs-operator}"
image_cache="$cache_root/image"

log() { echo "[image] $*" >&2; }
die() { log "error: $*"; exit 1; }

# The Debian packages that provide each tool; installed with apt-get when missing and running as
# root (a fresh CI machine), otherwise the error says what to install.
declare -A tool_package=([debootstrap]=debootstrap [buildah]=buildah)
ensure_tools() {
  local missing=() tool
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("${tool_package[$tool]}"); done
  ((${#missing[@]} == 0)) && return 0
  if [[ "$(id -u)" != 0 ]]; then
    die "missing ${missing[*]}: install with 'sudo apt-get install -y ${missing[*]}'"
  fi
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  log "installing the Debian packages ${missing[*]} (apt-get)"
  apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
}

# buildah with this project's storage under the cache (never the machine's default storage) and
# the settings that work without a container runtime: chroot isolation, containers.conf above.
export CONTAINERS_CONF="$here/containers.conf" BUILDAH_ISOLATION=chroot
bah() {
  buildah --root "$image_cache/storage" --runroot "$image_cache/run" --storage-driver overlay "$@"
}
have_image() { bah inspect --type image "$1" >/dev/null 2>&1; }
