"""The ECS API (JSON 1.1 protocol) over the custom resources: `ecs-operator api`.

`errors`, `arns`, `sigv4`, `wire` and `views` are pure (no Kubernetes): the wire format, ARNs,
signature verification and the translation of objects into ECS's response shapes. `operations`
makes the calls through `kube/` as the caller; `server` is the thin HTTPS shell.
"""
