"""Tables like kubectl's, ages in kubectl's human form, JSON and YAML documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml

from ecs_operator.cli.render import age, document, human_duration, table


def test_table_aligns_columns_and_marks_empty_cells() -> None:
    got = table(
        ("name", "last status", "instance"), [["web-1", "RUNNING", "prod.worker-a1"], ["w", None, ""]]
    )
    assert got.splitlines() == [
        "NAME    LAST STATUS   INSTANCE",
        "web-1   RUNNING       prod.worker-a1",
        "w       <none>        <none>",
    ]


def test_table_without_rows_prints_the_headers() -> None:
    assert table(("a", "bb"), []) == "A   BB"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (330, "5m30s"),
        (600, "10m"),
        (125 * 60, "125m"),
        (3 * 3600, "3h"),
        (7 * 3600 + 12 * 60, "7h12m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (12 * 86400, "12d"),
        (800 * 86400, "2y"),
    ],
)
def test_human_duration_like_kubectl(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_age_from_a_timestamp() -> None:
    now = datetime(2026, 11, 27, 10, 5, 30, tzinfo=UTC)
    assert age("2026-11-27T10:00:00Z", now) == "5m30s"
    assert age(None, now) == "<unknown>"
    assert age("2026-11-27T10:10:00Z", now) == "0s"  # clock skew never shows a negative age


def test_documents_keep_key_order() -> None:
    data = {"tasks": [{"taskArn": "ns/a", "lastStatus": "RUNNING"}], "failures": []}
    assert json.loads(document(data, "json")) == data
    text = document(data, "yaml")
    assert yaml.safe_load(text) == data
    assert text.index("tasks") < text.index("failures")
