"""Java regular expressions: translation to Python, behaviour, and refusals with their offsets.

The expected results of MATCHING were checked against OpenJDK 17 and 25 (``Pattern.matches``);
the translator was also compared with both on thousands of generated patterns while it was built.
"""

import re

import pytest

from ecs_operator.query import QuerySyntaxError, parse
from ecs_operator.query.ast import Condition, Pattern
from ecs_operator.query.errors import LiteralError
from ecs_operator.query.regex import compile_java, translate


@pytest.mark.parametrize(
    ("java", "python"),
    [
        pytest.param("t2.*", r"t2[^\n\r\x85\u2028\u2029]*", id="dot-excludes-java-line-terminators"),
        pytest.param("(?s)a.", r"a(?s:.)", id="dotall-flag"),
        pytest.param("(?<zone>us-east-1[ab])", r"(?P<zone>us\-east\-1[ab])", id="named-group"),
        pytest.param(r"(?<n>a)\k<n>", r"(?P<n>a)(?P=n)", id="named-reference"),
        pytest.param(r"(a)\1", r"(a)(?:\1)", id="numbered-reference"),
        pytest.param(r"(a)\11", r"(a)(?:\1)1", id="reference-takes-only-existing-group-digits"),
        pytest.param(r"\Qa.b*\E+", r"a\.b\*+", id="quoted-section"),
        pytest.param(r"\Q1\E", r"1", id="quoted-digit"),
        pytest.param(r"a\z", r"a\Z", id="absolute-end"),
        pytest.param(
            r"\e\cA\0101\x41\x{1F600}\uD83D\uDE00", "\x1b\x01AA\U0001f600\U0001f600", id="characters"
        ),
        pytest.param(r"[]a-c\d-]", r"[\]a-c\d\-]", id="class-punctuation-escaped"),
        pytest.param(r"[^^]", r"[^\^]", id="negated-caret"),
        pytest.param(r"a{2,}?b{3}c{1,2}", r"a{2,}?b{3}c{1,2}", id="counted-and-lazy"),
        pytest.param(r"(?i:a)(?-i:b)", r"(?i:a)(?-i:b)", id="scoped-flags"),
    ],
)
def test_translation(java: str, python: str) -> None:
    assert translate(java)[0] == python


def test_flags_at_the_start_become_compile_flags() -> None:
    assert translate("(?i)a")[:2] == ("a", re.ASCII | re.IGNORECASE)
    assert translate("a")[1] == re.ASCII


MATCHING = [
    ("t2.*", "t2.small", True),
    ("t2.*", "xt2.small", False),  # whole-string, like String.matches
    ("t2", "t2.small", False),
    (".*small", "t2.small", True),
    ("g2.*", "g2.2xlarge", True),
    ("a|ab", "ab", True),
    ("us-east-1[a-c]", "us-east-1b", True),
    ("us-east-1[^a-c]", "us-east-1b", False),
    ("i-[0-9a-f]{8}", "i-abcd1234", True),
    ("i-[0-9a-f]{8}", "i-abcd12345", False),
    ("a.c", "a\nc", False),
    ("a.c", "a\rc", False),  # Java's . excludes \r too
    ("a.c", "a\u2028c", False),
    ("(?s)a.c", "a\rc", True),
    ("a(?s:.)c", "a\u2028c", True),
    ("a$", "a", True),
    ("a$\r", "a\r", True),  # $ before a final \r: Java yes, Python's $ no
    ("a$\r\n", "a\r\n", True),
    ("a$\n", "a\n", True),
    ("a$", "a\n", False),  # matches() must consume the terminator
    ("a\\Z\r", "a\r", True),
    ("a\\z\r", "a\r", False),
    ("^a", "a", True),
    ("\\Aa", "a", True),
    ("(?i)T2.SMALL", "t2.small", True),
    ("(?i)k", "\u212a", False),  # Kelvin sign: ASCII-only case folding in both
    ("(?i:a)b", "AB", False),
    ("(?i)a(?-i:b)", "Ab", True),
    ("\\w+", "abc_123", True),
    ("\\w", "é", False),  # ASCII \w
    ("\\d", "\u0663", False),  # ASCII \d (Arabic-Indic three)
    ("\\s", "\u00a0", False),  # ASCII \s
    ("\\s", "\x0b", True),
    ("[\\s]", "\x0b", True),
    ("(a)\\1", "aa", True),
    ("(a)\\11", "aa1", True),  # group 1 then "1": there is no group 11
    ("(?<x>b)\\k<x>", "bb", True),
    ("\\Qa.b\\E", "a.b", True),
    ("\\Qa.b\\E", "axb", False),
    ("\\Qa.b", "a.b", True),  # \Q without \E quotes to the end
    ("[a-c&]", "&", True),
    ("[]a]", "]", True),
    ("[\\d-z]", "-", True),
    ("[a-]", "-", True),
    ("[\\Qa-c\\E]", "b", False),  # a quoted '-' is a literal, not a range
    ("[\\Qa-c\\E]", "-", True),
    ("\\0101", "A", True),
    ("\\0400", " 0", True),  # \040 then 0
    ("\\x{1F600}", "\U0001f600", True),
    ("\\uD83D\\uDE00", "\U0001f600", True),
    ("\\cJ", "\n", True),
    ("a{2}", "aa", True),
    ("a{2,}", "aaa", True),
    ("a{1,2}?", "aa", True),
    ("(?=a)a", "a", True),
    ("(?!a).", "a", False),
    ("(?<=a)b", "b", False),
    ("a(?<=a)", "a", True),
    ("\\.", ".", True),
    ("a\\-b", "a-b", True),
    ("", "", True),
    ("", "a", False),
]


@pytest.mark.parametrize(
    ("java", "value", "expected"), MATCHING, ids=[f"{p!r}~{v!r}" for p, v, _ in MATCHING]
)
def test_matching_is_javas(java: str, value: str, expected: bool) -> None:
    assert (compile_java(java).fullmatch(value) is not None) is expected


# Java accepts these; Python lacks them or gives them another meaning, so they are refused.
UNSUPPORTED = [
    ("a*+", 1, "possessive quantifiers ('*+') are not supported"),
    ("a++", 1, "possessive quantifiers ('++') are not supported"),
    ("a?+", 1, "possessive quantifiers ('?+') are not supported"),
    ("a{2}+", 1, "possessive quantifiers ('{2}+') are not supported"),
    ("(?>a)", 0, "atomic groups (?>...) are not supported"),
    ("\\p{Lu}", 0, "Unicode and POSIX properties (\\p{...}) are not supported"),
    ("\\P{Alpha}", 0, "Unicode and POSIX properties (\\P{...}) are not supported"),
    ("\\pL", 0, "Unicode and POSIX properties (\\p{...}) are not supported"),
    ("a\\G", 1, "\\G (the end of the previous match) is not supported"),
    ("\\h", 0, "\\h (horizontal whitespace) is not supported"),
    ("\\H", 0, "\\H (not horizontal whitespace) is not supported"),
    (
        "\\v",
        0,
        "\\v is vertical whitespace in Java but a vertical tab in Python; write [\\n\\x0B\\f\\r] instead",
    ),
    ("\\R", 0, "\\R (any line break) is not supported"),
    ("\\X", 0, "\\X (a grapheme cluster) is not supported"),
    ("\\N{DIGIT ONE}", 0, "\\N{name} is not supported; write the character or \\x{hex}"),
    ("a\\b", 1, "\\b (word boundary) is not supported: its meaning differs between Java versions and Python"),
    ("\\B", 0, "\\B (not a word boundary) is not supported: Java and Python differ on the empty string"),
    ("a(?i)b", 1, "inline flags such as (?i) are supported only at the start; use (?i:...)"),
    ("(?m)^a$", 0, "the flag 'm' is not supported (only i and s are)"),
    ("(?x)a b", 0, "the flag 'x' is not supported (only i and s are)"),
    ("(?u)a", 0, "the flag 'u' is not supported (only i and s are)"),
    ("(?iU:a)", 0, "the flag 'U' is not supported (only i and s are)"),
    ("[a[b]]", 2, "nested character classes and unions ([a[b]]) are not supported"),
    ("[a-z&&[^e]]", 4, "character class intersections ([a&&b]) are not supported"),
    ("^*", 1, "'*' has nothing to repeat"),
    ("(?=a)*", 5, "'*' has nothing to repeat"),
    ("{2}", 0, "'{2}' has nothing to repeat"),
    ("\\uD83D", 0, "a lone surrogate (\\uD800-\\uDFFF) is not supported"),
    ("(a)\\2", 3, "\\2 refers to a group that does not exist before it"),
    ("(a\\1)", 2, "unsupported regular expression: cannot refer to an open group"),
    ("(?<=a+)b", 0, "unsupported regular expression: look-behind requires fixed-width pattern"),
]
# Java refuses these too (checked with OpenJDK 17 and 25).
INVALID = [
    ("a\\E", 1, "\\E without a \\Q before it"),
    ("\\g", 0, "unknown escape \\g (Java rejects it too)"),
    ("\\U0001F600", 0, "unknown escape \\U (Java rejects it too)"),
    ("(?P<n>a)", 0, "(?P...) is Python syntax; Java writes (?<name>...) and \\k<name>"),
    ("(?#c)a", 0, "(?#...) comments are not Java syntax"),
    ("(?(1)a)", 0, "conditional groups (?(...)...) are not Java syntax"),
    ("(?<a_b>x)", 0, "a group name must be letters and digits, starting with a letter: (?<name>...)"),
    ("(?%a)", 0, "unknown group construct '(?%'"),
    ("[z-a]", 3, "the range 'z'-'a' runs backwards"),
    ("[a-\\d]", 3, "a range must end with a single character"),
    (
        "[\\b]",
        1,
        "\\b (word boundary) is not supported: its meaning differs between Java versions and Python",
    ),
    ("[\\A]", 1, "\\A is not allowed inside a character class"),
    ("[\\1]", 1, "\\1 is not allowed inside a character class"),
    ("[abc", 0, "unclosed character class: ']' is missing"),
    ("ab(c", 2, "unclosed group: ')' is missing"),
    ("ab)", 2, "unmatched ')'"),
    ("*a", 0, "'*' has nothing to repeat"),
    ("a|?", 2, "'?' has nothing to repeat"),
    ("a**", 2, "'*' has nothing to repeat"),
    ("a{", 1, "'{' must start a count such as {2}, {2,} or {2,5}; write \\{ for a brace"),
    ("a{,2}", 1, "'{' must start a count such as {2}, {2,} or {2,5}; write \\{ for a brace"),
    ("a\\", 1, "a regular expression cannot end with a lone backslash"),
    ("\\0", 0, "\\0 must be followed by octal digits, as in \\012"),
    ("\\x4", 0, "\\x must be followed by two hex digits or {hex digits}"),
    ("\\x{110000}", 0, "\\x{...} is not a valid code point"),
    ("\\u12", 0, "\\u must be followed by four hex digits"),
    ("\\c", 0, "\\c must be followed by a character"),
    ("\\k<n>", 0, "unsupported regular expression: unknown group name 'n'"),
    ("\\k", 0, "\\k must be followed by a group name such as <name>"),
    ("\\Qab\\E(", 6, "unclosed group: ')' is missing"),
]
REFUSED = UNSUPPORTED + INVALID


@pytest.mark.parametrize(("java", "offset", "message"), REFUSED, ids=[p for p, _, _ in REFUSED])
def test_refusals_name_the_construct_and_its_offset(java: str, offset: int, message: str) -> None:
    with pytest.raises(LiteralError) as caught:
        compile_java(java)
    assert (caught.value.message, caught.value.offset) == (message, offset)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        pytest.param("attribute:x =~ 'ab(?>c)'", 19, id="quoted-offset-skips-the-quote"),
        pytest.param("attribute:x =~ ab\\h", 18, id="bare"),
        pytest.param("attribute:x matches '\\Qa(\\E)'", 28, id="offset-after-quoting-is-the-written-one"),
        pytest.param(
            "task:group !~ 'x(?<=a*)'", 16, id="python-error-without-position-points-at-the-pattern"
        ),
        pytest.param("task:group !~ 'x(a\\1)'", 19, id="python-error-position-mapped-back"),
    ],
)
def test_refusal_column_points_into_the_pattern(text: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    assert caught.value.column == column


def test_pattern_is_compiled_once_at_parse_time() -> None:
    root = parse("attribute:x =~ 'a+'").root
    assert isinstance(root, Condition) and isinstance(root.argument, Pattern)
    assert root.argument.regex.fullmatch("aaa")
