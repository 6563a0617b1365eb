#!/usr/bin/env bash
# Build the local control plane's binaries from the pinned wrapper modules, or reuse the cache.
#
# Prints the directory holding the binaries as its last line of stdout. The cache lives outside
# the work tree (ECS_OPERATOR_CACHE, default ~/.cache/ecs-operator) under a key derived from the
# pins, so a build happens once per machine and again only when a pin changes. The first build
# takes many minutes on 2 cores; progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/pins.env"
source "$here/packages.sh"
cache_root="${ECS_OPERATOR_CACHE:-$HOME/.cache/ecs-operator}"
key="$(cat "$here/pins.env" "$here/packages.sh" "$here"/modules/*/go.mod "$here"/modules/*/go.sum | sha256sum | cut -c1-16)"
bin="$cache_root/controlplane/$key/bin"
all=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok helm)

have_all() { for b in "${all[@]}"; do [[ -x "$bin/$b" ]] || return 1; done; }
if have_all; then echo "$bin"; exit 0; fi

log() { echo "[controlplane build] $*" >&2; }
mkdir -p "$bin"
command -v go >/dev/null || { log "go is not installed"; exit 1; }
export CGO_ENABLED=0

build_module() { # tool output-name-override...
  local tool="$1" pkgs ldflags="-s -w"
  pkgs="$(packages_of "$tool")"
  if [[ "$tool" == kubernetes ]]; then
    local v="${KUBERNETES_VERSION}" minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
    ldflags+=" -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1"
    ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  fi
  if [[ "$tool" == helm ]]; then
    ldflags+=" -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  fi
  local total
  total="$(cd "$here/modules/$tool" && go list -deps $pkgs | wc -l)"
  log "building $tool ($total packages): $pkgs"
  local tmp; tmp="$(mktemp -d)"
  # -v prints each package as it is compiled; count them so a long build shows it is alive.
  (cd "$here/modules/$tool" && go build -trimpath -ldflags "$ldflags" -v -o "$tmp/" $pkgs) 2>&1 \
    | awk -v t="$total" -v name="$tool" '{n++; if (n % 100 == 0) { printf("[controlplane build] %s: %d/%d packages compiled\n", name, n, t); fflush() } } /^(#|go: |.*\.go:[0-9]+)/ {print; fflush()}' >&2
  [[ "${PIPESTATUS[0]}" == 0 ]] || { log "go build failed for $tool"; exit 1; }
  [[ -x "$tmp/server" ]] && mv "$tmp/server" "$tmp/etcd"   # etcd's main package is named after its directory
  [[ -x "$tmp/v3" ]] && mv "$tmp/v3" "$tmp/etcd"
  mv "$tmp"/* "$bin/"; rmdir "$tmp"
  log "built $tool"
}

start=$SECONDS
for tool in etcd kwok helm kubernetes; do build_module "$tool"; done
have_all || { log "missing binaries in $bin: $(ls "$bin")"; exit 1; }
log "done in $((SECONDS - start)) s: $bin"
echo "$bin"
