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

# The ECS API beside the operator (README, "The ECS API"): plain HTTP on loopback, one local
# access key mapped to a ServiceAccount that may do everything (a local sandbox, not a model).
api_port="${ECS_OPERATOR_API_PORT:-4566}"
"${kubectl[@]}" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata: {name: ecs-api-local, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ecs-api-local}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ecs-api-local, namespace: default}]
---
apiVersion: v1
kind: Secret
metadata:
  name: ecs-api-local-key
  namespace: default
  labels: {ecs-operator.dev/access-key-id: AKIALOCALDEVELOPMENT}
stringData:
  secretAccessKey: local-development-only
  user: system:serviceaccount:default:ecs-api-local
YAML

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

  The ECS API (boto3, the aws CLI) on http://127.0.0.1:$api_port, with a local access key:

    export AWS_ACCESS_KEY_ID=AKIALOCALDEVELOPMENT AWS_SECRET_ACCESS_KEY=local-development-only AWS_DEFAULT_REGION=us-east-1
    aws ecs list-clusters --endpoint-url http://127.0.0.1:$api_port

  Starting the operator now (Ctrl-C to stop it; 'make down' stops the control plane).

MSG
.venv/bin/ecs-operator api --kubeconfig "$kubeconfig" --insecure-http --port "$api_port" \
  --namespace default --keys-namespace default >"$state/ecs-api.log" 2>&1 &
api_pid=$!
trap 'kill "$api_pid" 2>/dev/null || true' EXIT
# The admission webhook on 127.0.0.1 (self-signed): bad query and schedule expressions are refused
# at `kubectl apply` (README, "Bad input").
.venv/bin/ecs-operator run --kubeconfig "$kubeconfig" --webhook-port "${ECS_OPERATOR_WEBHOOK_PORT:-9443}"
