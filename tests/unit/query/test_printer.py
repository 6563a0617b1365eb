"""The printer: canonical text that parses back to an equal tree."""

import pytest

from ecs_operator.query import parse
from ecs_operator.query.printer import quote, to_text


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("attribute:x equals a", "attribute:x == a", id="alias-to-symbol"),
        pytest.param("attribute:x not_exists", "attribute:x !exists", id="not-exists"),
        pytest.param("attribute:x in ['a','b c']", "attribute:x in [a, 'b c']", id="list"),
        pytest.param("attribute:x == 'and'", "attribute:x == 'and'", id="reserved-word-stays-quoted"),
        pytest.param('attribute:x == "it\'s"', 'attribute:x == "it\'s"', id="double-quotes-when-needed"),
        pytest.param("attribute:x == ''", "attribute:x == ''", id="empty"),
        pytest.param("attribute:x =~ 'a|b'", "attribute:x =~ 'a|b'", id="regex-with-delimiter"),
        pytest.param("! attribute:x exists", "not(attribute:x exists)", id="negation"),
        pytest.param("(attribute:a exists)", "attribute:a exists", id="redundant-group"),
        pytest.param(
            "attribute:a exists && (attribute:b exists || attribute:c exists)",
            "attribute:a exists and (attribute:b exists or attribute:c exists)",
            id="or-inside-and",
        ),
        pytest.param(
            "(attribute:a exists and attribute:b exists) and attribute:c exists",
            "(attribute:a exists and attribute:b exists) and attribute:c exists",
            id="nested-and-kept",
        ),
        pytest.param(
            "attribute:a exists and attribute:b exists or attribute:c exists",
            "attribute:a exists and attribute:b exists or attribute:c exists",
            id="and-inside-or",
        ),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    root = parse(text).root
    assert to_text(root) == canonical
    assert parse(canonical).root == root


def test_a_value_with_both_quotes_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="both kinds of quote"):
        quote('it\'s "x"')
