#!/usr/bin/env bash
# The README's run command (`make run`): start the local control plane (building it the first
# time), apply the CRDs and the example objects with the real kubectl, and run the operator in the
# foreground. Ctrl-C stops the operator; `make down` stops the control plane.
set -euo pipefail
cd "$(dirname "$0")/.."
state="${ECS_OPERATOR_STATE:-/tmp/ecs-operator-local}"
bin="$(bash hack/controlplane/build.sh)"
kubeconfig="$(.venv/bin/python hack/controlplane/localcp.py up --state-dir "$state")"
kubectl=("$bin/kubectl" "--kubeconfig=$kubeconfig")

"${kubectl[@]}" apply --server-side --force-conflicts -f crds/ >/dev/null
"${kubectl[@]}" wait --for=condition=Established --timeout=60s crd -l app.kubernetes.io/part-of=ecs-operator >/dev/null
"${kubectl[@]}" apply -f deploy/examples/

cat > "$state/env" <<ENV
export KUBECONFIG="$kubeconfig"
export PATH="$bin:$PWD/.venv/bin:\$PATH"
ENV
cat <<MSG

  The local control plane is up and the example objects are applied. In another terminal:

    source $state/env
    kubectl get nodes -L topology.kubernetes.io/zone,node.kubernetes.io/instance-type
    kubectl get ecs            # every ECS object
    kubectl get ecsci          # one container instance per EC2 node
    kubectl cordon worker-a1   # its instance turns DRAINING

  Starting the operator now (Ctrl-C to stop it; 'make down' stops the control plane).

MSG
# The admission webhook on 127.0.0.1 (self-signed): bad query and schedule expressions are refused
# at `kubectl apply` (README, "Bad input").
exec .venv/bin/ecs-operator run --kubeconfig "$kubeconfig" --webhook-port "${ECS_OPERATOR_WEBHOOK_PORT:-9443}"
