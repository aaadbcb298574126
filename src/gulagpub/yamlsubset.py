"""The plain subset of YAML that front matter is written in, read fast. Pure.

`load(text)` reads front matter made only of block mappings and block
sequences, one-line flow sequences (`[a, b]`) and scalars: plain (folded over
several lines too), or quoted on one line without escapes. That is what
people and `render_post` write. It returns (mapping, line of each top-level
key) or None for anything outside the subset: comments after values, block
scalars (`|`), anchors, aliases, tags, escapes, tabs, unusual characters,
a key given twice in a mapping, errors. The caller then reads the text with PyYAML, which also gives the
messages for errors; `load` never raises.

Same values as PyYAML's safe loader: every plain scalar is typed with PyYAML's
table of implicit types and built as PyYAML's constructors build it, and only
where that gives text, a number, a boolean, null or a date; anything else is
outside the subset. Nothing else is ever constructed, and there are no aliases
to expand. The table and the constructors are copies (importing PyYAML was a
twentieth of a one-edit build: it compiles a regular expression of all of
Unicode at import), which tests/test_yamlsubset.py checks against PyYAML's
own; it also compares both readers over the bundled posts, the benchmark
corpora and generated inputs.

Why: libyaml parses quickly, but PyYAML then builds a node object, two marks
and a Python call to its resolver for every scalar, and constructs the values
node by node in Python; that was two thirds of the time spent reading a post.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any


class _Outside(Exception):
    """The text is not in the subset (PyYAML reads it)."""


# What is not plain printable text for both libyaml and PyYAML on lines
# ended by '\n' only: tabs and other control characters, the other line
# breaks (\x85, \u2028, \u2029), surrogates, the byte-order mark, \ufffe and
# \uffff. (Written as what is refused: the class of what is allowed takes
# 8 ms to compile, at every start.)
_UNUSUAL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# A line: its indent, a sequence's '- ', a key with its ':', the rest (with
# any spaces it ends with). Tabs never get here (see _UNUSUAL).
_LINE = re.compile(r"( *)(- +)?(?:([A-Za-z0-9_][A-Za-z0-9_.-]*):(?: +|(?=\n)))?(.*)\n")
# A plain scalar may not start with an indicator (or a space).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_SINGLE = re.compile(r"'((?:[^']|'')*)' *$")
_DOUBLE = re.compile(r'"([^"\\]*)" *$')
_FLOW_SPECIAL = re.compile(r"[\[\]{}:#?'\"]")
_FLOW_ITEM = re.compile(
    r" *(?:'((?:[^']|'')*)'|\"([^\"\\]*)\"|([^ \-?:,\[\]{}#&*!|>'\"%@`][^,\[\]{}:#?]*?)) *(?:(,)|$)"
)

_MAX_INDENT = 200  # well within libyaml's 1,000 levels of nesting
_TYPED = frozenset({
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp",
})


# PyYAML's implicit resolvers (yaml/resolver.py, as `Resolver` adds them): a
# plain scalar's tag is that of the first whose expression matches it, among
# those listed for its first character ('' for an empty scalar).
_IMPLICIT: list[tuple[str, re.Pattern[str], list[str]]] = [
    ("tag:yaml.org,2002:bool", re.compile(r'''^(?:yes|Yes|YES|no|No|NO
                    |true|True|TRUE|false|False|FALSE
                    |on|On|ON|off|Off|OFF)$''', re.X), list("yYnNtTfFoO")),
    ("tag:yaml.org,2002:float", re.compile(r'''^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$''', re.X), list("-+0123456789.")),
    ("tag:yaml.org,2002:int", re.compile(r'''^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$''', re.X), list("-+0123456789")),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"]),
    ("tag:yaml.org,2002:null", re.compile(r'''^(?: ~
                    |null|Null|NULL
                    | )$''', re.X), ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", re.compile(r'''^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$''', re.X), list("0123456789")),
    ("tag:yaml.org,2002:value", re.compile(r"^(?:=)$"), ["="]),
    ("tag:yaml.org,2002:yaml", re.compile(r"^(?:!|&|\*)$"), list("!&*")),
]
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _regexp, _first in _IMPLICIT:
    for _ch in _first:
        _RESOLVERS.setdefault(_ch, []).append((_tag, _regexp))

# PyYAML's SafeConstructor.construct_yaml_{null,bool,int,float,timestamp}.
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


def _int(value: str) -> int:
    value = value.replace("_", "")
    sign = -1 if value[0] == "-" else +1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        number = 0
        for digit in value.split(":"):
            number = number * 60 + int(digit)
        return sign * number
    return sign * int(value)


_INF = 1e300
while _INF != _INF * _INF:
    _INF *= _INF
_NAN = -_INF / _INF  # (as PyYAML makes it)


def _float(value: str) -> float:
    value = value.replace("_", "").lower()
    sign = -1 if value[0] == "-" else +1
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * _INF
    if value == ".nan":
        return _NAN
    if ":" in value:
        digits = [float(part) for part in value.split(":")]
        digits.reverse()
        base, number = 1, 0.0
        for digit in digits:
            number += digit * base
            base *= 60
        return sign * number
    return sign * float(value)


_TIMESTAMP = re.compile(
    r'''^(?P<year>[0-9][0-9][0-9][0-9])
        -(?P<month>[0-9][0-9]?)
        -(?P<day>[0-9][0-9]?)
        (?:(?:[Tt]|[ \t]+)
        (?P<hour>[0-9][0-9]?)
        :(?P<minute>[0-9][0-9])
        :(?P<second>[0-9][0-9])
        (?:\.(?P<fraction>[0-9]*))?
        (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)
        (?::(?P<tz_minute>[0-9][0-9]))?))?)?$''', re.X)


def _timestamp(value: str) -> date | datetime:
    m = _TIMESTAMP.match(value)
    assert m is not None  # (the resolver's expression matched)
    year, month, day = int(m["year"]), int(m["month"]), int(m["day"])
    if not m["hour"]:
        return date(year, month, day)
    fraction = int(m["fraction"][:6].ljust(6, "0")) if m["fraction"] else 0
    tz: timezone | None = None
    if m["tz_sign"]:
        delta = timedelta(hours=int(m["tz_hour"]), minutes=int(m["tz_minute"] or 0))
        tz = timezone(-delta if m["tz_sign"] == "-" else delta)
    elif m["tz"]:
        tz = timezone.utc
    return datetime(year, month, day, int(m["hour"]), int(m["minute"]), int(m["second"]), fraction,
                    tzinfo=tz)


_CONSTRUCT: dict[str, Any] = {
    "tag:yaml.org,2002:null": lambda value: None,
    "tag:yaml.org,2002:bool": lambda value: _BOOLS[value.lower()],
    "tag:yaml.org,2002:int": _int,
    "tag:yaml.org,2002:float": _float,
    "tag:yaml.org,2002:timestamp": _timestamp,
}


def _plain(value: str) -> Any:
    """A plain scalar's value, as PyYAML's resolver and constructors make it."""
    resolvers = _RESOLVERS.get(value[0] if value else "")
    if resolvers is None:
        return value
    wildcard = _RESOLVERS.get(None)
    for tag, regexp in resolvers + wildcard if wildcard else resolvers:
        if regexp.match(value):
            if tag not in _TYPED:
                raise _Outside  # merge keys, '=', '!', ...: PyYAML's business
            return _CONSTRUCT[tag](value)
    return value


_MISSING = object()
_KEYS: dict[str, Any] = {}  # raw key -> its value: the same few keys in every file


def _key(raw: str) -> Any:
    """A key's value (looked up in _KEYS first, where the reader is hot)."""
    key = _plain(raw)
    if len(_KEYS) < 4096:
        _KEYS[raw] = key
    return key


def _flow(text: str) -> list[Any]:
    """A flow sequence on one line: `[a, 'b c', "d"]`."""
    if not text.endswith("]"):
        raise _Outside
    inner = text[1:-1]
    if not _FLOW_SPECIAL.search(inner):  # plain items only: split at the commas
        if not inner.strip(" "):
            return []
        items = []
        for item in inner.split(","):
            item = item.strip(" ")
            if not item or item[0] in _INDICATORS:
                raise _Outside  # an empty item (a trailing comma), '-', '&', '*', ...
            items.append(_plain(item) if item[0] in _RESOLVERS else item)
        return items
    result: list[Any] = []
    pos, end = 0, len(inner)
    while pos < end:
        m = _FLOW_ITEM.match(inner, pos)
        if m is None:
            raise _Outside
        single, double, plain, comma = m.groups()
        if single is not None:
            result.append(single.replace("''", "'"))
        elif double is not None:
            result.append(double)
        else:
            result.append(_plain(plain))
        pos = m.end()
        if comma is None:
            if pos != end:
                raise _Outside
            break
        if pos == end:
            raise _Outside  # a trailing comma
    return result


class _Reader:
    """One front matter, as lines cut into (indent, '- ', key, rest) by one
    regular expression. Every method raises _Outside at the first thing it
    does not know for sure."""

    def __init__(self, text: str) -> None:
        self.tokens = tokens = _LINE.findall(text)
        self.n = len(tokens)
        # each line's indent; -1: blank, or a comment line
        self.indents = [-1 if not (dash or key) and (not rest or rest[0] == "#") else len(spaces)
                        for spaces, dash, key, rest in tokens]

    def mapping(self, i: int, col: int, first: tuple[str, str] | None = None,
                lines: dict[str, int] | None = None) -> tuple[dict[Any, Any], int]:
        """A block mapping whose keys stand at column `col`, from line i.
        `first`: line i's key and rest, when the mapping starts after a
        sequence's '- '."""
        result: dict[Any, Any] = {}
        indents, tokens, n = self.indents, self.tokens, self.n
        while True:
            if first is None:
                while i < n and indents[i] < 0:
                    i += 1
                if i >= n or indents[i] < col:
                    return result, i
                _, dash, raw, rest = tokens[i]
                if indents[i] > col or dash or not raw:
                    raise _Outside
            else:
                (raw, rest), first = first, None
            if lines is not None:
                lines[raw] = i + 2  # the front matter starts on the file's line 2
            key = _KEYS.get(raw, _MISSING)
            if key is _MISSING:
                key = _key(raw)
            if key in result:
                raise _Outside  # a key given twice: PyYAML's reading names it (frontyaml)
            if rest:
                result[key], i = self.value(rest, i, col)
                continue
            j = i + 1
            while j < n and indents[j] < 0:
                j += 1
            if j >= n or indents[j] < col:
                result[key], i = None, j
                continue
            _, dash, _, after = tokens[j]
            if dash:
                if indents[j] == col:
                    result[key], i = self.sequence(j, col)  # '- ' under the key: allowed
                else:
                    result[key], i = self.sequence(j, indents[j])
            elif after[:1] == "-":
                raise _Outside  # '-' alone, or not followed by a space
            elif indents[j] == col:
                result[key], i = None, j
            else:
                result[key], i = self.mapping(j, indents[j])

    def sequence(self, i: int, col: int) -> tuple[list[Any], int]:
        """A block sequence whose dashes stand at column `col`, from line i."""
        result: list[Any] = []
        indents, tokens, n = self.indents, self.tokens, self.n
        while True:
            while i < n and indents[i] < 0:
                i += 1
            if i >= n or indents[i] < col:
                return result, i
            if indents[i] > col:
                raise _Outside
            _, dash, raw, rest = tokens[i]
            if not dash:
                if rest[:1] == "-":
                    raise _Outside  # an empty item, or '-' not followed by a space
                return result, i  # a key after a sequence under a key
            if raw:
                value, i = self.mapping(i, col + len(dash), first=(raw, rest))
            elif rest:
                value, i = self.value(rest, i, col)
            else:
                raise _Outside
            result.append(value)

    def value(self, rest: str, i: int, col: int) -> tuple[Any, int]:
        """The scalar or flow sequence starting with `rest` on line i, inside
        a collection at column `col`; and the line after it."""
        if rest[-1] == " ":
            rest = rest.rstrip(" ")
        first = rest[0]
        if first in _INDICATORS:
            if first == "'":
                m = _SINGLE.match(rest)
                if m is None:
                    raise _Outside  # several lines, or something after the quote
                return m.group(1).replace("''", "'"), i + 1
            if first == '"':
                m = _DOUBLE.match(rest)
                if m is None:
                    raise _Outside
                return m.group(1), i + 1
            if first == "[":
                return _flow(rest), i + 1
            raise _Outside
        if ": " in rest or " #" in rest or rest[-1] == ":":
            raise _Outside  # could end the scalar early: PyYAML tells
        # Folded continuation lines: indented deeper than the collection.
        indents, n = self.indents, self.n
        j = i + 1
        if j < n and indents[j] > col:
            tokens = self.tokens
            parts = [rest]
            while j < n and indents[j] > col:
                _, dash, key, line = tokens[j]
                line = line.rstrip(" ")
                if dash or key or line[0] in _INDICATORS or ": " in line or " #" in line or line[-1] == ":":
                    raise _Outside
                parts.append(line)
                j += 1
            rest = " ".join(parts)
        if j < n and indents[j] < 0:  # a blank line: folded into '\n' if text follows
            k = j
            while k < n and indents[k] < 0:
                k += 1
            if k < n and indents[k] > col:
                raise _Outside
        return (_plain(rest) if first in _RESOLVERS else rest), j


def load(text: str) -> tuple[dict[Any, Any], dict[str, int]] | None:
    """(mapping, file line of each top-level key) of front matter `text`
    (the lines between the '---' lines, ending with '\\n'), or None when it
    is outside the subset or empty."""
    if not text.endswith("\n") or _UNUSUAL.search(text):
        return None
    reader = _Reader(text)
    indents = reader.indents
    if max(indents) > _MAX_INDENT:
        return None
    start = 0
    while indents[start] < 0:  # the last line is empty
        start += 1
        if start == reader.n:
            return None
    if indents[start] != 0:
        return None
    lines: dict[str, int] = {}
    try:
        meta, end = reader.mapping(start, 0, lines=lines)
    except _Outside:
        return None
    except (ValueError, OverflowError):
        return None  # a constructor refused a value (a date like 2012-13-45)
    except RecursionError:
        return None  # nested deeper than Python's stack
    if end < reader.n:
        return None
    return meta, lines
