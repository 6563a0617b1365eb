#!/usr/bin/env bash
# buildah on this project's image storage, with its settings (hack/image/common.sh): what tests and
# people use to reach the image `make image` built, e.g. `bash hack/image/buildah.sh images`.
set -euo pipefail
source "$(dirname "$0")/common.sh"
exec buildah --root "$image_cache/storage" --runroot "$image_cache/run" --storage-driver overlay "$@"
