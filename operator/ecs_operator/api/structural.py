"""Turn pydantic's JSON Schema into a structural OpenAPI v3 schema that kube-apiserver accepts.

Why: a CRD's schema must be *structural* (every node typed, no `$ref`, no `anyOf`/`oneOf` for
optionality, `additionalProperties` never beside `properties`), or the API server refuses it and
cannot prune, default or run CEL rules. pydantic emits draft 2020-12 JSON Schema; this module:

- inlines every `$ref` into `$defs` (a field's own keys, e.g. its description, win over the
  definition's; a definition's docstring never becomes a field description);
- drops `null` from `anyOf` (Optional fields are simply not required: nulls are pruned);
- turns `const` into a one-value `enum`, drops `title`, `additionalProperties: false` and
  `default: null`;
- refuses anything it does not know (`exclusiveMinimum`, `uniqueItems`, a real union, ...),
  and any property without a description, naming the path.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

Schema = dict[str, Any]

_KEY_ORDER = (
    "description",
    "type",
    "format",
    "enum",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-validations",
)
_RULE_KEY_ORDER = ("rule", "messageExpression", "message", "fieldPath", "reason")
_DROPPED = frozenset({"title", "examples"})


class SchemaError(ValueError):
    """The model cannot be expressed as a structural schema."""


def structural(model: type[BaseModel], path: str) -> Schema:
    """The structural schema of `model`, as the wire (camelCase) sees it."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs: dict[str, Schema] = raw.pop("$defs", {})
    return _convert(raw, defs, path)


def _resolve(node: Schema, defs: dict[str, Schema], path: str) -> Schema:
    """Inline `$ref`/single `allOf` and strip `null` from `anyOf`, until the node is concrete."""
    while True:
        if "$ref" in node:
            ref = node["$ref"]
            name = ref.rsplit("/", 1)[-1]
            if name not in defs:
                raise SchemaError(f"{path}: unresolved $ref {ref}")
            target = {k: v for k, v in defs[name].items() if k != "description"}
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
        elif "anyOf" in node:
            options = [o for o in node["anyOf"] if o != {"type": "null"}]
            if len(options) != 1:
                raise SchemaError(f"{path}: a union of {len(options)} types cannot be structural")
            node = {**options[0], **{k: v for k, v in node.items() if k != "anyOf"}}
        else:
            return node


def _convert(node: Schema, defs: dict[str, Schema], path: str) -> Schema:
    node = _resolve(node, defs, path)
    out: Schema = {}
    for key, value in node.items():
        if key in _DROPPED or (key == "default" and value is None):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "properties":
            out[key] = {name: _property(sub, defs, f"{path}.{name}") for name, sub in value.items()}
        elif key == "items":
            item = _convert(value, defs, f"{path}[]")
            item.pop("description", None)
            out[key] = item
        elif key == "additionalProperties":
            if value is False:
                continue
            if not isinstance(value, dict):
                raise SchemaError(f"{path}: additionalProperties must be a schema")
            out[key] = _convert(value, defs, f"{path}.*")
        elif key == "x-kubernetes-validations":
            out[key] = [{k: r[k] for k in _RULE_KEY_ORDER if k in r} for r in value]
        elif key in _KEY_ORDER:
            out[key] = value
        else:
            raise SchemaError(f"{path}: unsupported JSON Schema keyword {key!r}")
    if "type" not in out and not (
        out.get("x-kubernetes-int-or-string") or out.get("x-kubernetes-preserve-unknown-fields")
    ):
        raise SchemaError(f"{path}: no type")
    if "properties" in out and "additionalProperties" in out:
        raise SchemaError(f"{path}: properties and additionalProperties together")
    return {key: out[key] for key in _KEY_ORDER if key in out}


def _property(node: Schema, defs: dict[str, Schema], path: str) -> Schema:
    out = _convert(node, defs, path)
    if not out.get("description"):
        raise SchemaError(f"{path}: property has no description")
    return out
