"""The fast front-matter reader gives exactly what PyYAML gives, or steps aside.

`parse_post` reads front matter with `yamlsubset` and falls back to PyYAML's
safe loader for anything outside the plain subset. Here the same files are
parsed both ways (the fast reader switched off for the second) and the posts,
raw fields with their types, key lines and problems must be the same: over
the bundled posts, the generated benchmark corpora, and generated hostile
front matter.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import timedelta, timezone
from typing import Any

import pytest
import yaml
from conftest import PROJECT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gulagpub import yamlsubset
from gulagpub.postfile import MAX_ALIASES, parse_post, split

TZ = timezone(timedelta(hours=3))


@contextmanager
def pyyaml_only() -> Iterator[None]:
    """parse_post as it was: every front matter through PyYAML."""
    fast = yamlsubset.load
    yamlsubset.load = lambda text: None  # type: ignore[assignment]
    try:
        yield
    finally:
        yamlsubset.load = fast  # type: ignore[assignment]


def snapshot(result: tuple[Any, list[Any]]) -> tuple[Any, list[Any]]:
    """Every field of the post by repr (so True and 1, '1' and 1, a date and a
    datetime differ), meta and lines included; and the problems."""
    post, problems = result
    if post is None:
        return None, problems
    return [(f.name, repr(getattr(post, f.name))) for f in fields(post)], problems


def assert_same_parse(path: str, data: bytes) -> None:
    for lang, tz in (("en", None), ("es", TZ)):
        new = snapshot(parse_post(path, data, default_lang=lang, tz=tz))
        with pyyaml_only():
            old = snapshot(parse_post(path, data, default_lang=lang, tz=tz))
        assert new == old, data.decode("utf-8", "replace")[:2000]


def pyyaml_reading(text: str) -> tuple[str, dict[str, int]]:
    """What PyYAML's safe loaders (libyaml's and the pure-Python one, which
    postfile uses when a text may hold many aliases) read: both agree."""
    results = []
    for loader_class in (yaml.CSafeLoader, yaml.SafeLoader):
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            meta = loader.construct_document(node)
        finally:
            loader.dispose()
        lines = {k.value: k.start_mark.line + 2 for k, _ in node.value if isinstance(k.value, str)}
        results.append((repr(meta), lines))
    assert results[0] == results[1]
    return results[0]


def assert_same_reading(text: str) -> bool:
    """The fast reader reads `text` as PyYAML does, or not at all; True if it read it."""
    fast = yamlsubset.load(text)
    if fast is None:
        return False
    assert (repr(fast[0]), fast[1]) == pyyaml_reading(text), text
    return True


def _bench_module(name: str, file: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, PROJECT / "benchmarks" / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def corpus_files() -> Iterator[tuple[str, str]]:
    """(path, text) of the bundled posts and of the three generators' posts."""
    for f in sorted((PROJECT / "posts").glob("*.md")):
        yield f"posts/{f.name}", f.read_text(encoding="utf-8")
    build_corpus = _bench_module("bench_corpus_for_yaml", "build_corpus.py")
    for doc in build_corpus.generate(200, 7):
        yield build_corpus.gulagpub_path(doc), build_corpus.gulagpub_text(doc)
    workflow = _bench_module("bench_workflow_for_yaml", "workflow_content.py")
    history = workflow.History(workflow.plan(30, 200, seed=3), workflow.vocabulary(PROJECT))
    for _, commit in history.commits():
        for path, text in commit.files.items():
            if path.endswith(".md"):
                yield path, text
    import corpus  # tests/corpus.py: the scale-test blog

    rng = corpus.random.Random(5)
    for i in range(100):
        yield corpus.post(i, rng)


def test_the_corpora_parse_the_same_and_mostly_without_pyyaml():
    read = total = 0
    for path, text in corpus_files():
        assert_same_parse(path, text.encode("utf-8"))
        fm, _ = split(text)
        total += 1
        read += assert_same_reading(fm)
    assert total > 500
    assert read / total > 0.95  # the subset is what people and generators write


@pytest.mark.parametrize("text", [
    "title: !!python/object/apply:os.system ['echo pwned']\n",
    "title: &a x\nauthor: *a\n",
    "a: &a [x, x]\nb: [*a, *a]\n",
    "<<: {title: x}\n",
    "title: =\n",
    "title: x # a comment\n",
    "summary: |\n  two\n  lines\n",
    "title: 'two\n  lines'\n",
    "title: \"esc\\u00e9\"\n",
    "title: a\tb\n",
    "title: x\n  y: z\n",
    "- a\n- b\n",
    "just text\n",
    "",
    "title: x\n---\n",
    "date: 2012-13-45\n",
    "tags: [a, [b]]\n",
    "tags: [a,]\n",
])
def test_what_the_subset_does_not_hold_goes_to_pyyaml(text):
    assert yamlsubset.load(text) is None
    assert_same_parse("posts/p.md", f"---\n{text}---\nbody\n".encode())


def test_tags_and_alias_bombs_are_still_refused_with_their_lines():
    post, problems = parse_post("posts/p.md", b"---\ntitle: ok\nx: !!python/object:os.system y\n---\n")
    assert post is None and problems[0].line == 3 and "YAML tag not allowed" in problems[0].message
    bomb = "a: &a [x, x]\n" + "".join(f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i - 1}'}, *{'a' if i == 0 else f'b{i - 1}'}]\n"
                                       for i in range(MAX_ALIASES))
    post, problems = parse_post("posts/p.md", f"---\ntitle: x\n{bomb}---\n".encode())
    assert post is None and f"more than {MAX_ALIASES} YAML aliases" in problems[0].message


def test_a_value_no_constructor_can_build_is_a_problem_not_a_traceback():
    post, problems = parse_post("posts/p.md", b"---\ntitle: x\ndate: 2012-13-45\n---\nbody\n")
    assert post is None
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (3, "front matter has a value YAML cannot read")]


def test_front_matter_nested_too_deeply_is_a_problem_not_a_traceback():
    # Many '*' make postfile use PyYAML's pure-Python loader, which recurses.
    text = "title: x\n" + "".join(f'a{i}: " *x"\n' for i in range(MAX_ALIASES + 1)) + "b: " + "[" * 3000 + "\n"
    post, problems = parse_post("posts/p.md", f"---\n{text}---\n".encode())
    assert post is None and [p.message for p in problems] == [
        "front matter is nested too deeply to read; write the values out flat"]


# --- generated front matter ---------------------------------------------------

KEYS = ["title", "state", "date", "tags", "lang", "source", "reviews", "translation", "yes",
        "1", "null", "on", "a.b", "_x", "x-y", "2012-10-20", "Title", "id"]
ATOMS = [
    "word", "two  words", "yes", "No", "~", "null", "NULL", "true", "Off", "12", "-5", "+3",
    "0x1F", "0o7", "017", "0b101", "1_000", "1:30", "190:20:30", "3.5", "1.", ".5", ".inf",
    "-.inf", ".NaN", "1e3", "1.0e+3", "2012-10-20", "2012-10-20 14:32", "2012-10-20T14:32:00+02:00",
    "2012-10-20 14:32:00.5 -3", "2012-1-2", "2012-13-45", "2012-10-20 25:00", "=", "<<", "a: b",
    "a:b", "http://x.org/a?b#c", "a #b", "a#b", "C#", "x:", ":x", "-x", "- x", "?x", "? x", "'q'",
    "'it''s'", "''", "\"dq\"", "\"\"", "\"a'b\"", "'a\"b'", "\"esc\\n\"", "'open", "\"open",
    "'a' b", "[a, b]", "[a, 'b c', \"d\"]", "[]", "[ ]", "[a,]", "[,a]", "[a, [b]]", "[a: b]",
    "[a:b]", "[what?]", "[a #b]", "[1, yes, ~, 2012-10-20]", "{a: 1}", "&anchor v", "*alias",
    "!!python/object:os.system", "!!str 12", "!tag x", "!", "&", "*", "|", ">", "|-", "%x", "@x",
    "`x", "a\tb", "\u00a0x", "x\u00a0", "a\u2028b", "\ufeffx", "a\x85b", "a\x07b", "é ü ж 🙂",
    "…", "x  y", "-", "--- x", "...", "a,b", "a[b]", "a{b}", "a ' b", "don't",
]
# Values the subset holds, of every type (it reads whole files of these)
PLAIN_ATOMS = [
    "word", "two  words", "yes", "No", "~", "null", "NULL", "true", "Off", "12", "+3", "0x1F",
    "0o7", "017", "0b101", "1_000", "1:30", "3.5", ".5", ".inf", ".NaN", "1e3", "1.0e+3",
    "2012-10-20", "2012-10-20 14:32", "2012-10-20T14:32:00+02:00", "a:b", "http://x.org/a?b#c",
    "a#b", "C#", "'q'", "'it''s'", "''", "\"dq\"", "\"a'b\"", "[a, b]", "[a, 'b c', \"d\"]", "[]",
    "[1, yes, ~, 2012-10-20]", "é ü ж 🙂", "don't", "a,b", "a[b]", "a{b}", "x  y", "\u00a0x",
]
TEXT = st.text(alphabet=" -:#'\"[]{},&*!|>%@`?=<~aAyYnN019._\u00a0é\t", max_size=10)
SCALAR = st.one_of(st.sampled_from(ATOMS), TEXT)
PLAIN = st.one_of(*[st.sampled_from(PLAIN_ATOMS)] * 8, SCALAR)
KEY = st.one_of(*[st.sampled_from(KEYS)] * 5, st.text(alphabet="ab_.-19 :#", min_size=1, max_size=4))
SPACES = st.sampled_from(["", "", "", " ", "  "])


@st.composite
def block(draw: Any, indent: int, depth: int, strict: bool = False) -> list[str]:
    """Lines of one block mapping at `indent`: well formed with values the
    subset holds (mostly) when `strict`, anything goes otherwise."""
    scalar, key_strategy = (PLAIN, st.sampled_from(KEYS)) if strict else (SCALAR, KEY)
    lines: list[str] = []
    pad = " " * indent
    for _ in range(draw(st.integers(1, 4))):
        key = draw(key_strategy)
        shape = draw(st.integers(0, 9 if depth < 2 else 4))
        if shape <= 3:
            lines.append(f"{pad}{key}:{draw(st.sampled_from([' ', '  ']))}{draw(scalar)}{draw(SPACES)}")
            if draw(st.integers(0, 5)) == 0:  # a folded continuation (or a wrong indent)
                low = indent + 1 if strict else 0
                lines.append(" " * draw(st.integers(low, indent + 3)) + draw(scalar))
        elif shape == 4:
            lines.append(f"{pad}{key}:{draw(SPACES)}")
        elif shape <= 6:
            lines.append(f"{pad}{key}:")
            dash = " " * (indent + draw(st.sampled_from([0, 0, 2, 1])))
            space = st.just(" ") if strict else st.sampled_from([" ", " ", "  ", ""])
            for _ in range(draw(st.integers(1, 3))):
                lines.append(f"{dash}-{draw(space)}{draw(scalar)}")
        elif shape <= 8:
            lines.append(f"{pad}{key}:")
            lines += draw(block(indent + draw(st.sampled_from([2, 2, 1, 4])), depth + 1, strict))
        else:
            lines.append(f"{pad}{key}:")
            dash = " " * (indent + draw(st.sampled_from([0, 2])))
            for _ in range(draw(st.integers(1, 2))):
                inner = draw(block(len(dash) + 2, depth + 1, strict))
                lines.append(f"{dash}- {inner[0].lstrip(' ')}")
                lines += inner[1:]
        if draw(st.integers(0, 6)) == 0:
            extra = ["", "   ", "# note", "  # note", "#"] + ([] if strict else ["---", "..."])
            lines.append(draw(st.sampled_from(extra)))
    return lines


FRONT_MATTER = st.one_of(
    block(0, 0, strict=True).map(lambda lines: "".join(line + "\n" for line in lines)),
    block(0, 0).map(lambda lines: "".join(line + "\n" for line in lines)),
    st.lists(st.one_of(SCALAR, KEY.map(lambda k: k + ":"), st.just("")), max_size=6)
    .map(lambda parts: "\n".join(parts) + "\n"),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FRONT_MATTER)
def test_generated_front_matter_reads_as_pyyaml_reads_it(text):
    event("read by the subset" if assert_same_reading(text) else "left to PyYAML")
    assert_same_parse("posts/2012-10-20-p.md", f"---\n{text}---\nbody\n".encode("utf-8"))


_OLD_BOUNDARY = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="- \t\na#:", max_size=40))
def test_split_finds_the_front_matter_the_old_regular_expression_found(text):
    for candidate in (text, "---\n" + text):
        old = _OLD_BOUNDARY.match(candidate)
        assert split(candidate) == ((old.group(1) or "", candidate[old.end():]) if old else (None, candidate))


# --- the copy of PyYAML's implicit types ----------------------------------------


def test_the_table_of_implicit_types_is_pyyamls():
    def table(resolvers: dict[Any, Any]) -> dict[Any, Any]:
        return {first: [(tag, r.pattern, r.flags) for tag, r in entries] for first, entries in resolvers.items()}

    assert table(yamlsubset._RESOLVERS) == table(yaml.resolver.Resolver.yaml_implicit_resolvers)


SCALARS = st.one_of(
    st.sampled_from(ATOMS + PLAIN_ATOMS + [
        "0", "-0", "+0", "00", "0_7", "-0b1_1", "0xff_FF", "1:0", "-1:59:59", "1:60", "1_0:3_0",
        "1.5e-3", "-1_0.5_0", "1:30.5", "-1:30.", "+.INF", ".Inf", ".nan", "NaN", "1e5", "6.",
        "2012-10-20T14:32:59.123456789Z", "2012-10-20 14:32:59 Z", "2012-10-20t01:02:03-1",
        "2012-10-20 1:02:03 +05:30", "2012-10-20  1:02:03.", "2012-02-30", "Yes", "ON", "oFF", "NuLL",
    ]),
    st.text(alphabet="0123456789_:.-+eExXbBoO TtZ", min_size=1, max_size=14),
)


@settings(max_examples=1500, deadline=None)
@given(SCALARS)
def test_plain_scalars_are_typed_and_built_as_pyyaml_does(value):
    """Each plain scalar: the same tag as PyYAML's resolver gives, and the same
    value (by repr: True and 1, a date and a datetime differ) or the same refusal."""
    resolver = yaml.resolver.Resolver()
    tag = resolver.resolve(yaml.ScalarNode, value, (True, False))
    try:
        ours: Any = repr(yamlsubset._plain(value))
    except yamlsubset._Outside:
        ours = "outside"
    except (ValueError, OverflowError) as exc:
        ours = type(exc).__name__
    if tag not in yamlsubset._TYPED and tag != "tag:yaml.org,2002:str":
        assert ours == "outside"
        return
    try:
        theirs = repr(yaml.constructor.SafeConstructor().construct_object(yaml.ScalarNode(tag, value)))
    except (ValueError, OverflowError) as exc:
        theirs = type(exc).__name__
    assert ours == theirs


def test_reading_plain_front_matter_does_not_import_pyyaml(tmp_path):
    """The point of the copy: a build of plain posts starts without PyYAML."""
    import subprocess

    code = ("import sys\nfrom gulagpub import history, postfile\n"
            "post, _ = postfile.parse_post('posts/2012-10-20-p.md', "
            "b'---\\ntitle: x\\ndate: 2012-10-20 14:32:00\\ntags: [a, 1]\\n---\\nbody\\n')\n"
            "assert post is not None and post.date.year == 2012\n"
            "history.blob_digest(b'---\\ntitle: x\\n---\\nbody\\n')\n"
            "print('yaml' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PYTHONPATH": str(PROJECT / "src")})
    assert out.stdout.strip() == "False"
