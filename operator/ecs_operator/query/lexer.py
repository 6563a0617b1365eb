"""The lexer: expression text to tokens, each with its 1-based column.

Lexical grammar::

    whitespace  := any character for which str.isspace() is true; separates tokens, else ignored
    punctuation := "(" | ")" | "[" | "]" | ","
    connective  := "&&" | "||" | "!"                 (and the words and, or, not)
    operator    := "==" | "!=" | ">=" | "<=" | ">" | "<" | "=~" | "!~" | "!exists" | "!in"
                   (and the words equals, not_equals, greater_than, greater_than_equal, less_than,
                    less_than_equal, exists, not_exists, in, not_in, matches, not_matches)
    string      := "'" { any character but "'" } "'"  |  '"' { any character but '"' } '"'
    word        := word-char { word-char }
    word-char   := any character but whitespace and ( ) [ ] , ' " = ! < > & |

Strings have no escape sequences: a backslash is an ordinary character, which keeps regular
expressions readable (``'^t2\\.(micro|small)$'``); a value containing one kind of quote is
written in the other kind. Reserved words (the connective and operator words) are never values
unless quoted. ``!exists`` and ``!in`` are single tokens only when ``exists``/``in`` follow the
``!`` directly; otherwise ``!`` is negation.
"""

from __future__ import annotations

from .errors import QuerySyntaxError
from .tokens import CONNECTIVES, OPERATOR_SYMBOLS, OPERATOR_WORDS, Token, TokenKind, is_word_char

__all__ = ["tokenize"]

_PUNCTUATION = {
    "(": TokenKind.LPAREN,
    ")": TokenKind.RPAREN,
    "[": TokenKind.LBRACKET,
    "]": TokenKind.RBRACKET,
    ",": TokenKind.COMMA,
}
_TWO_CHARACTER = {"&&": TokenKind.AND, "||": TokenKind.OR}
# Single characters that only ever start a two-character token.
_STRAY = {
    "=": "unexpected '='; did you mean '==' or '=~'?",
    "&": "unexpected '&'; did you mean '&&' (or 'and')?",
    "|": "unexpected '|'; did you mean '||' (or 'or')?",
}


def tokenize(text: str) -> list[Token]:
    """Every token of ``text``, ending with an END token one column past the last character."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        column = i + 1
        pair = text[i : i + 2]
        if c.isspace():
            i += 1
        elif c in "'\"":
            end = text.find(c, i + 1)
            if end < 0:
                raise QuerySyntaxError(f"unterminated quoted value: the closing {c} is missing", text, column)
            tokens.append(Token(TokenKind.STRING, text[i + 1 : end], column))
            i = end + 1
        elif c in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[c], c, column))
            i += 1
        elif pair in _TWO_CHARACTER:
            tokens.append(Token(_TWO_CHARACTER[pair], pair, column))
            i += 2
        elif pair in OPERATOR_SYMBOLS:
            tokens.append(Token(TokenKind.OPERATOR, pair, column, OPERATOR_SYMBOLS[pair]))
            i += 2
        elif c == "!":
            word = _word(text, i + 1)
            symbol = "!" + word
            if symbol in OPERATOR_SYMBOLS:  # !exists, !in
                tokens.append(Token(TokenKind.OPERATOR, symbol, column, OPERATOR_SYMBOLS[symbol]))
                i += len(symbol)
            else:
                tokens.append(Token(TokenKind.NOT, c, column))
                i += 1
        elif c in OPERATOR_SYMBOLS:  # < and >
            tokens.append(Token(TokenKind.OPERATOR, c, column, OPERATOR_SYMBOLS[c]))
            i += 1
        elif c in _STRAY:
            raise QuerySyntaxError(_STRAY[c], text, column)
        else:
            word = _word(text, i)
            tokens.append(_classify(word, column))
            i += len(word)
    tokens.append(Token(TokenKind.END, "", n + 1))
    return tokens


def _word(text: str, start: int) -> str:
    end = start
    while end < len(text) and is_word_char(text[end]):
        end += 1
    return text[start:end]


def _classify(word: str, column: int) -> Token:
    if word in CONNECTIVES:
        return Token(CONNECTIVES[word], word, column)
    if word in OPERATOR_WORDS:
        return Token(TokenKind.OPERATOR, word, column, OPERATOR_WORDS[word])
    return Token(TokenKind.WORD, word, column)
