#!/usr/bin/env bash
# Build Toxiproxy's server from its pinned Go module (hack/chaos/toxiproxy), or reuse the cache.
#
# Why separate from hack/controlplane/build.sh: that script's cache key covers the control plane's
# pins and modules, and adding a module there would rebuild Kubernetes for everyone. This one has
# its own key (this script, go.mod and go.sum) and its own cache directory.
#
# Prints the directory holding `toxiproxy-server` as its last line of stdout; progress goes to
# stderr. The cache lives in ECS_OPERATOR_CACHE (default ~/.cache/ecs-operator)/toxiproxy/<key>/bin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mod="$here/toxiproxy"
cache_root="${ECS_OPERATOR_CACHE:-$HOME/.cache/ecs-operator}"
key="$(cat "$here/build-toxiproxy.sh" "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)"
bin="$cache_root/toxiproxy/$key/bin"

if [[ -x "$bin/toxiproxy-server" ]]; then echo "$bin"; exit 0; fi

log() { echo "[toxiproxy build] $*" >&2; }
command -v go >/dev/null || { log "go is not installed"; exit 1; }
export CGO_ENABLED=0
pkg=github.com/Shopify/toxiproxy/v2/cmd/server
version="$(cd "$mod" && go list -m -f '{{.Version}}' github.com/Shopify/toxiproxy/v2)"
total="$(cd "$mod" && go list -deps "$pkg" | wc -l)"
log "building toxiproxy-server $version ($total packages)"
start=$SECONDS
mkdir -p "$bin"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# -v prints each package as it is compiled; count them so the build shows it is alive.
(cd "$mod" && go build -trimpath -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=$version" \
  -v -o "$tmp/toxiproxy-server" "$pkg") 2>&1 \
  | awk -v t="$total" '{n++; if (n % 25 == 0) { printf("[toxiproxy build] %d/%d packages compiled\n", n, t); fflush() } } /^(#|go: |.*\.go:[0-9]+)/ {print; fflush()}' >&2
[[ "${PIPESTATUS[0]}" == 0 ]] || { log "go build failed"; exit 1; }
mv "$tmp/toxiproxy-server" "$bin/"
log "done in $((SECONDS - start)) s: $bin"
echo "$bin"
