"""Front matter is parsed safely and every problem names the file and line."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from gulagpub.model import Kind, State
from gulagpub.postfile import MAX_ALIASES, parse_post, render_post, update_meta

TZ = ZoneInfo("Europe/Madrid")


def parse(text: str | bytes, path: str = "posts/2012-10-20-a-post.md"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_post(path, data, default_lang="en", tz=TZ)


def messages(problems):
    return [str(p) for p in problems]


def test_a_good_post_becomes_typed_values():
    post, problems = parse(
        "---\ntitle: Hello\nstate: review\ndate: 2012-10-20 14:32\ntags: [gulag, exile]\n"
        "source:\n  publication: O Crabero\n  via: Huesca-Info\n  lang: es\n"
        "translation:\n  translator: Paul Sharkey\n  from_lang: es\n---\n\nBody *here*.\n"
    )
    assert problems == []
    assert post.slug == "a-post" and post.kind == Kind.POST and post.state == State.REVIEW
    assert post.date.isoformat() == "2012-10-20T14:32:00+02:00"  # naive time read in the site's zone
    assert post.tags == ("gulag", "exile")
    assert post.source.publication == "O Crabero" and post.source.via == "Huesca-Info"
    assert post.translators == ("Paul Sharkey",)
    assert post.body == "Body *here*.\n"
    assert post.line_of("source") == 6


def test_missing_title_and_unknown_state_are_reported_with_lines():
    post, problems = parse("---\nstate: finished\nauthor: x\n---\nText\n")
    assert messages(problems) == [
        "posts/2012-10-20-a-post.md:1: no 'title'; add a line 'title: ...' to the front matter",
        "posts/2012-10-20-a-post.md:2: unknown state 'finished'; use one of: draft, translation, review, approved, published, withdrawn",
    ]


def test_broken_yaml_names_the_line():
    _, problems = parse("---\ntitle: ok\ntags: [a, b\nauthor: x\n---\n")
    assert len(problems) == 1
    assert problems[0].line in (3, 4, 5)
    assert "not valid YAML" in problems[0].message


def test_python_object_tags_are_refused():
    _, problems = parse("---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\n")
    assert len(problems) == 1 and "YAML tag not allowed" in problems[0].message


def test_alias_bomb_is_refused_before_expansion():
    lines = ["---", "a: &a [x, x, x, x, x, x, x, x, x]"]
    prev = "a"
    for i in range(9):
        name = f"b{i}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines += ["title: bomb", "---", ""]
    _, problems = parse("\n".join(lines))
    assert len(problems) == 1 and f"more than {MAX_ALIASES} YAML aliases" in problems[0].message


def test_wrong_types_invalid_date_and_bad_slug():
    _, problems = parse("---\ntitle: [not, text]\ndate: yesterday\nslug: ../../etc/passwd\ntags: {a: 1}\n---\n")
    text = "\n".join(messages(problems))
    assert ":2: 'title' must be text" in text
    assert ":3: 'date' 'yesterday' is not a date" in text
    assert ":4: slug '../../etc/passwd' is not allowed" in text
    assert ":5: 'tags' must be a list" in text


def test_not_utf8_bom_and_crlf():
    _, problems = parse(b"---\ntitle: caf\xe9\n---\n")
    assert messages(problems) == ["posts/2012-10-20-a-post.md:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8"]
    post, problems = parse("\ufeff---\ntitle: ok\n---\nx\n")
    assert post is not None and post.title == "ok"
    assert "byte-order mark" in problems[0].message
    post, problems = parse("---\r\ntitle: ok\r\n---\r\nx\r\n")
    assert post is not None and post.title == "ok" and post.body == "x\n"
    assert "CRLF" in problems[0].message


def test_translation_folder_sets_language_and_original():
    post, problems = parse("---\ntitle: Hola\n---\nTexto\n", path="translations/es/2012-10-20-a-post.md")
    assert problems == []
    assert post.kind == Kind.TRANSLATION and post.lang == "es"
    assert post.original == "posts/2012-10-20-a-post.md"


def test_update_meta_keeps_the_body_and_the_field_order():
    text = "---\ntitle: Hello\nstate: draft\ntags: [a]\n---\n\nBody  with  spaces\n\n\nend\n"
    new = update_meta(text, {"state": "review", "reviews": [{"by": "a@b"}]})
    assert new.endswith("\nBody  with  spaces\n\n\nend\n")
    post, problems = parse(new)
    assert post.state == State.REVIEW and post.tags == ("a",)
    assert list(post.meta) == ["title", "state", "tags", "reviews"]


def test_render_post_round_trips():
    meta = {"title": "Títol: «x»", "state": "draft", "tags": ["a b", "ć"]}
    text = render_post(meta, "Body\n")
    post, problems = parse(text)
    assert problems == [] and post.meta == meta and post.body == "Body\n"


def test_a_merge_conflict_left_in_the_file_says_how_to_start_afresh():
    post, problems = parse("---\ntitle: Carta\n<<<<<<< HEAD\nstate: published\n=======\nstate: review\n"
                           ">>>>>>> tania-es\n---\n\nQuerido camarada.\n")
    assert post is None
    assert messages(problems) == [
        "posts/2012-10-20-a-post.md:3: an unresolved merge conflict (a '<<<<<<<' line): keep one side, or both "
        "where they add to a list, and delete the '<<<<<<<', '=======' and '>>>>>>>' lines; if this branch's pull "
        "request was merged before, it is done: start a new branch from upstream/main (`git fetch upstream` then "
        "`git switch -c NEW-NAME upstream/main`, or on GitHub sync your fork and make a new branch) and make the "
        "change there"]
    assert parse("<<<<<<< HEAD\n---\ntitle: A\n---\n")[1][0].line == 1
    assert parse("---\ntitle: A\n---\n\nA line with <<<<<<< in it.\n")[1] == []


def test_a_field_given_twice_is_an_error_at_the_second_line_saying_what_to_do():
    # The plain subset (yamlsubset) and PyYAML (a comment after a value takes the file there) alike.
    for extra in ("", "  # a comment PyYAML reads"):
        post, problems = parse(f"---\ntitle: The first title{extra}\nstate: draft\ntitle: The second title\n---\nText\n")
        assert messages(problems) == [
            "posts/2012-10-20-a-post.md:4: 'title' is given twice (first on line 2); YAML keeps only the last one "
            "and drops the other without a word: delete one of the two, or merge them into one"], extra
        assert post is not None and post.title == "The second title"  # (read as YAML reads it; the check fails)
    # In a mapping and in a list of mappings too, named by where it is.
    _, problems = parse("---\ntitle: T\nsource:\n  author: Mollie Steimer\n  publication: Freedom\n"
                        "  author: M. Steimer\nreviews:\n  - {by: a@example.org, verdict: approved, verdict: x}\n"
                        "---\nText\n")
    said = [(p.line, p.message.split(" is given")[0]) for p in problems if "given twice" in p.message]
    assert said == [(6, "'source.author'"), (8, "'reviews[1].verdict'")]
    # Not a duplicate: the same name under two parents, or the same value twice.
    _, problems = parse("---\ntitle: T\nsource:\n  title: S\ntranslation:\n  translator: A\n"
                        "tags: [a, a]\n---\nText\n")
    assert not [p for p in problems if "given twice" in p.message]


def test_check_reports_a_field_given_twice_and_submit_refuses_it(repo) -> None:
    import pytest

    from conftest import ALICE, BORIS, act_as
    from gulagpub import editorial
    from gulagpub.content import load
    from gulagpub.errors import WorkflowError

    text = "---\ntitle: A letter\nstate: draft\nauthor: Mollie Steimer\ntitle: A letter from Berlin\n---\n\nText.\n"
    repo.write("posts/letter.md", text)
    repo.commit("A letter with its title twice", who=BORIS)
    assert [str(p) for p in load(repo.root).problems] == [
        "posts/letter.md:5: 'title' is given twice (first on line 2); YAML keeps only the last one and drops the "
        "other without a word: delete one of the two, or merge them into one"]
    act_as(repo.root, ALICE)
    with pytest.raises(WorkflowError, match="posts/letter.md:5: 'title' is given twice"):
        editorial.submit(repo.root, "letter")
    repo.write("posts/letter.md", text.replace("title: A letter\n", "", 1))
    repo.commit("One title", who=BORIS)
    assert load(repo.root).problems == []
    editorial.submit(repo.root, "letter")
