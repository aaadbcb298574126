"""`gulagpub import wordpress` writes a content repository that `check`
accepts, in one commit; it is repeatable, never overwrites an edited post,
and a hostile or broken export writes nothing."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import PROJECT, Repo
from sitehelp import feedcheck
from gulagpub.cli import main
from gulagpub.errors import ImportFailed
from gulagpub.importer import import_wordpress
from gulagpub.postfile import parse_post
from test_wordpress import BILLION_LAUGHS, item, wxr


def run(repo: Repo, *args: str):
    """The command, as `gulagpub -C REPO ARGS`. An import here fetches nothing
    (tests are offline) unless it says `--download`; fetching from a server
    of the test's own is tested below and in test_download.py."""
    if args[:2] == ("import", "wordpress"):
        args = tuple(a for a in args if a != "--download") if "--download" in args else (*args, "--no-download")
    return CliRunner().invoke(main, ["-C", str(repo.root), *args], catch_exceptions=False)


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def head(repo: Repo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


def meta_of(repo: Repo, path: str) -> dict:
    post, problems = parse_post(path, (repo.root / path).read_bytes(), tz=None)
    assert post is not None and problems == []
    return post.meta | {"_post": post}


@pytest.fixture
def theme_export(shared: Path) -> Path:
    return shared / "fixtures/wordpress/themeunittestdata.wordpress.xml"


def test_the_theme_unit_test_export_lands_in_one_commit_that_check_accepts(repo: Repo, theme_export: Path) -> None:
    before = head(repo)
    result = run(repo, "import", "wordpress", str(theme_export), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["imported"] == {"post": {"published": 48, "draft": 2, "approved": 1},
                                  "page": {"published": 21}}
    assert len(report["attachments"]) == 38
    assert len(report["skipped"]) == 70 and all("navigation menu" in s["why"] for s in report["skipped"])
    assert report["comments"] + report["comments_skipped"] == 32
    assert report["unknown_authors"] == ["Theme Buster", "Theme Reviewer"]
    assert any("[gallery]" in a["note"] for a in report["attention"])
    # progress went to stderr, not into the JSON on stdout
    assert "converting" in result.stderr

    log = repo.git("log", "--format=%s%n%b", f"{before}..HEAD")
    assert log.count("Import from WordPress") == 1
    assert "Imported-from: https://wpthemetestdata.wordpress.com (themeunittestdata.wordpress.xml)" in log
    assert repo.git("status", "--porcelain") == ""

    assert len(list((repo.root / "posts").glob("*.md"))) == 51
    assert len(list((repo.root / "pages").glob("*.md"))) == 21
    check = run(repo, "check")
    assert check.exit_code == 0, check.output
    assert "72 file(s) checked, no problems" in check.stderr
    # the import commit itself is legal, including the scheduled post entering approved
    check = run(repo, "check", "--base", before)
    assert check.exit_code == 0, check.output


def test_a_scheduled_post_stays_approved_only_for_the_imported_content(repo: Repo, theme_export: Path) -> None:
    assert run(repo, "import", "wordpress", str(theme_export)).exit_code == 0
    path = "posts/2030-01-01-scheduled.md"
    assert meta_of(repo, path)["state"] == "approved"
    text = repo.read(path)
    repo.write(path, text.replace("\n---\n", "\n---\nAn added sentence.\n\n", 1))
    check = run(repo, "check")
    assert check.exit_code == 1
    assert f"{path}:" in check.stdout and "0 of 1 valid approval(s)" in check.stdout


def test_a_sample_of_imported_posts_field_by_field(repo: Repo, theme_export: Path) -> None:
    assert run(repo, "import", "wordpress", str(theme_export)).exit_code == 0

    sticky = meta_of(repo, "posts/2012-01-07-template-sticky.md")
    assert sticky["title"] == "Template: Sticky" and sticky["slug"] == "template-sticky"
    assert sticky["state"] == "published" and sticky["sticky"] is True
    assert sticky["id"] == "http://wptest.io/demo/?p=1241"  # the GUID, so feed readers see no new entry
    assert sticky["_post"].date.isoformat() == "2012-01-07T07:07:21-07:00"
    assert sticky["tags"] == ["sticky", "template"] and sticky["categories"] == ["Classic", "Uncategorized"]
    assert sticky["author"] == "Theme Buster"
    assert "aliases" not in sticky  # same path as on WordPress
    assert "- They should show at the very top of the blog index page" in sticky["_post"].body

    # 20:03 at UTC-7 is the 21st in Madrid: the old dated path becomes an alias
    kb = meta_of(repo, "posts/2018-10-21-keyboard-navigation.md")
    assert kb["aliases"] == ["/2018/10/20/keyboard-navigation/"]
    assert kb["tags"] == ["Codex"] and kb["author"] == "Theme Reviewer"
    assert "### How to keyboard test:" in kb["_post"].body

    excerpt = meta_of(repo, "posts/2012-03-15-template-excerpt-defined.md")
    assert excerpt["summary"].startswith("This is a user-defined post excerpt.")

    future = meta_of(repo, "posts/2030-01-01-scheduled.md")
    assert future["state"] == "approved" and future["_post"].date.year == 2030

    protected = meta_of(repo, "posts/2012-01-04-template-password-protected.md")
    assert protected["state"] == "draft"

    greek = meta_of(repo, "pages/επίπεδο-2.md")
    assert greek["slug"] == "επίπεδο-2" and greek["_post"].kind.value == "page"
    assert greek["aliases"] == ["/greek/%ce%b5%cf%80%ce%af%cf%80%ce%b5%ce%b4%ce%bf-2/"]

    comments = yaml.safe_load(repo.read("posts/2012-01-03-template-comments.comments.yaml"))
    assert comments["post"] == "posts/2012-01-03-template-comments.md"
    first = comments["comments"][0]
    assert set(first) >= {"id", "author", "date", "text"}
    every_comment_file = "".join(p.read_text() for p in (repo.root / "posts").glob("*.comments.yaml"))
    emails = set(re.findall(r"<wp:comment_author_email>(?:<!\[CDATA\[)?([^<\]]+)", theme_export.read_text()))
    assert len(emails) > 3
    assert not [e for e in emails if e in every_comment_file]  # no e-mail address is kept

    redirects = repo.read("redirects.map")
    assert "\n/?p=1241 /2012/01/07/template-sticky/;\n" in redirects
    assert "\n/?page_id=2 /about/;\n" in redirects
    assert "\n/2018/10/20/keyboard-navigation/ /2018/10/21/keyboard-navigation/;\n" in redirects
    assert "\n/ p=1241 /2012/01/07/template-sticky/ 301\n" in repo.read("_redirects")


def test_the_small_export_imports_and_private_posts_only_when_asked(repo: Repo, shared: Path) -> None:
    export = shared / "fixtures/wordpress/small-export.xml"
    result = run(repo, "import", "wordpress", str(export), "--dry-run")
    assert result.exit_code == 0
    assert "posts: 5 (5 published)" in result.stdout and "pages: 5 (1 draft, 4 published)" in result.stdout
    assert "1 x status 'private': left out (import with --include-private" in result.stdout
    assert "dry run, nothing written" in result.stdout

    result = run(repo, "import", "wordpress", str(export), "--include-private", "--json")
    report = json.loads(result.stdout)
    assert report["imported"]["post"] == {"published": 5, "draft": 1}
    private = meta_of(repo, "posts/2011-01-18-private-post.md")
    assert private["state"] == "draft"
    draft_page = next(p for p in (repo.root / "pages").glob("*.md") if "Draft Page" in p.read_text())
    # its GMT date is 0000-00-00: the local time is read in the export's usual offset
    assert "date: 2011-01-18 07:46:29" in draft_page.read_text()
    assert run(repo, "check").exit_code == 0


def test_a_dry_run_writes_nothing_and_prints_the_report(repo: Repo, theme_export: Path) -> None:
    before, files = head(repo), files_of(repo.root)
    result = run(repo, "import", "wordpress", str(theme_export), "--dry-run")
    assert result.exit_code == 0
    assert "files would write: 79" in result.stdout
    assert "to fetch (nothing was downloaded):" in result.stdout
    assert head(repo) == before and files_of(repo.root) == files


def test_importing_twice_changes_nothing(repo: Repo, theme_export: Path) -> None:
    assert run(repo, "import", "wordpress", str(theme_export)).exit_code == 0
    after_first = head(repo)
    result = run(repo, "import", "wordpress", str(theme_export))
    assert result.exit_code == 0
    assert "files written: 0; unchanged: 77" in result.stdout
    assert head(repo) == after_first and repo.git("status", "--porcelain") == ""


def test_a_post_edited_since_the_import_is_not_overwritten_and_is_reported(repo: Repo, tmp_path: Path) -> None:
    export = tmp_path / "blog.xml"
    export.write_bytes(wxr(item(1, name="kept", content="Old text.") + item(2, name="updated", content="Old.")))
    assert run(repo, "import", "wordpress", str(export)).exit_code == 0
    edited = repo.read("posts/2012-10-20-kept.md").replace("Old text.", "Corrected by an editor.")
    repo.write("posts/2012-10-20-kept.md", edited)
    repo.commit("Correct a post")

    export.write_bytes(wxr(item(1, name="kept", content="New text.") + item(2, name="updated", content="New.")))
    result = run(repo, "import", "wordpress", str(export))
    assert result.exit_code == 0
    assert "not overwritten: 1" in result.stdout
    assert "posts/2012-10-20-kept.md: the post was edited since it was imported" in result.stdout
    assert repo.read("posts/2012-10-20-kept.md") == edited
    assert "New." in repo.read("posts/2012-10-20-updated.md")  # unedited: updated from the export
    assert repo.git("status", "--porcelain") == ""


def test_a_file_that_did_not_come_from_the_import_keeps_its_slug(repo: Repo, tmp_path: Path) -> None:
    repo.write("posts/2010-01-01-a-post.md", "---\ntitle: Ours\nstate: draft\n---\n\nMine.\n")
    repo.commit("Our own post")
    export = tmp_path / "blog.xml"
    export.write_bytes(wxr(item(1, name="a-post")))
    result = run(repo, "import", "wordpress", str(export))
    assert "slug 'a-post' is taken: using 'a-post-2'" in result.stdout
    assert repo.read("posts/2010-01-01-a-post.md").endswith("Mine.\n")
    assert (repo.root / "posts/2012-10-20-a-post-2.md").is_file()
    assert run(repo, "check").exit_code == 0


def _hostile_exports(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711\n")
    good = wxr(item(content="Body"))
    xxe = good.replace(b"<rss", f'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>\n<rss'.encode(), 1)
    xxe = xxe.replace(b"<title>A post</title>", b"<title>&x;</title>")
    return {
        "bomb.xml": (BILLION_LAUGHS, r"bomb\.xml:2: the file declares a DTD"),
        "xxe.xml": (xxe, r"xxe\.xml:2: the file declares a DTD .*XXE"),
        "cdata.xml": (good.replace(b"]]></content:encoded>", b"</content:encoded>"),
                      r"cdata\.xml:\d+:\d+: not well-formed XML \(mismatched tag\)"),
        "cut.xml": (good[: len(good) * 2 // 3], r"cut\.xml:\d+: the file ends before the export does"),
    }


@pytest.mark.parametrize("name", ["bomb.xml", "xxe.xml", "cdata.xml", "cut.xml"])
def test_a_hostile_or_broken_export_gives_a_clear_error_and_writes_nothing(repo: Repo, tmp_path: Path, name: str) -> None:
    data, message = _hostile_exports(tmp_path)[name]
    export = tmp_path / name
    export.write_bytes(data)
    before, files = head(repo), files_of(repo.root)
    result = run(repo, "import", "wordpress", str(export))
    assert result.exit_code == 1
    assert re.search(r"^error: " + str(tmp_path).replace("/", r"\/") + "/" + message, result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert head(repo) == before and files_of(repo.root) == files
    assert repo.git("status", "--porcelain", "--untracked-files=all") == ""
    assert "TOP-SECRET" not in result.output
    for f in repo.root.rglob("*"):
        if f.is_file() and ".git" not in f.parts:
            assert "TOP-SECRET" not in f.read_text(errors="replace")


def test_an_oversized_export_is_refused_before_it_is_read(repo: Repo, tmp_path: Path) -> None:
    export = tmp_path / "huge.xml"
    export.write_bytes(wxr(item(content="x" * 5000)))
    before, files = head(repo), files_of(repo.root)
    with pytest.raises(ImportFailed, match=r"huge\.xml: the export is [\d,]+ bytes, more than the 4,096"):
        import_wordpress(repo.root, export, max_bytes=4096)
    assert head(repo) == before and files_of(repo.root) == files


def test_the_command_teaches_with_an_example() -> None:
    result = CliRunner().invoke(main, ["import", "wordpress", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "gulagpub import wordpress" in result.output
    assert "--dry-run" in result.output and "--include-private" in result.output


# --- round trip of the bundled seed posts ----------------------------------

def _md_to_html(md: str) -> str:
    """A small Markdown -> HTML, enough for the seed posts: paragraphs,
    headings, block quotes, emphasis and links."""
    def inline(s: str) -> str:
        s = html.escape(s, quote=False)
        s = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', s)
        return re.sub(r"\*([^*\n]+)\*", r"<em>\1</em>", s)
    out = []
    for block in re.split(r"\n\s*\n", md.strip()):
        if block.startswith("> ") or block.startswith(">\n") or block == ">":
            inner = "\n".join(line[2:] if line.startswith("> ") else line.lstrip(">") for line in block.splitlines())
            out.append("<blockquote>" + "".join(f"<p>{inline(p)}</p>" for p in re.split(r"\n\s*\n", inner) if p.strip()) + "</blockquote>")
        elif m := re.match(r"^(#{1,6}) (.*)$", block):
            out.append(f"<h{len(m.group(1))}>{inline(m.group(2))}</h{len(m.group(1))}>")
        else:
            out.append(inline(block))  # classic editor: no <p>, WordPress's autop makes them
    return "\n\n".join(out)


def _words(md: str) -> str:
    return " ".join(re.sub(r"[*_>#\\]", " ", md).split())


def test_the_seed_posts_round_trip_through_an_export(repo: Repo, tmp_path: Path) -> None:
    repo.write("gulagpub.toml", (PROJECT / "gulagpub.toml").read_text())  # its team and timezone
    repo.commit("The blog's own settings")
    seeds = {}
    items = []
    for i, path in enumerate(sorted((PROJECT / "posts").glob("*.md")), 1):
        post, problems = parse_post(f"posts/{path.name}", path.read_bytes(), tz=None)
        assert post is not None and problems == []
        seeds[post.slug] = post
        terms = "".join(f'<category domain="post_tag" nicename="t"><![CDATA[{t}]]></category>' for t in post.tags)
        terms += "".join(f'<category domain="category" nicename="c"><![CDATA[{html.escape(c)}]]></category>'
                         for c in post.categories)
        when = post.date.strftime("%Y-%m-%d %H:%M:%S")
        items.append(item(100 + i, title=html.escape(post.title), name=post.slug, creator="gulaganarchists",
                          content=_md_to_html(post.body), date=when, date_gmt=when, extra=terms))
    authors = ("<wp:author><wp:author_login>gulaganarchists</wp:author_login><wp:author_email>"
               "gulaganarchists@users.noreply.github.com</wp:author_email><wp:author_display_name>"
               "<![CDATA[gulaganarchists]]></wp:author_display_name></wp:author>")
    export = tmp_path / "seeds.xml"
    export.write_bytes(wxr("".join(items), authors=authors))
    result = run(repo, "import", "wordpress", str(export), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["unknown_authors"] == []
    assert len(seeds) == 5
    for slug, seed in seeds.items():
        (path,) = (repo.root / "posts").glob(f"*-{slug}.md")
        got, problems = parse_post(f"posts/{path.name}", path.read_bytes(), tz=None)
        assert problems == [] and got is not None
        assert (got.title, got.date, got.tags, got.categories, got.author, got.state) == \
            (seed.title, seed.date, seed.tags, seed.categories, seed.author, seed.state)
        assert _words(got.body) == _words(seed.body)
    assert run(repo, "check").exit_code == 0


def test_the_imported_blog_builds_with_comments_redirect_pages_and_rules(repo: Repo, theme_export: Path,
                                                                         tmp_path: Path) -> None:
    assert run(repo, "import", "wordpress", str(theme_export)).exit_code == 0
    site = tmp_path / "site"
    result = run(repo, "build", "--out", str(site))
    assert result.exit_code == 0, result.output
    page = (site / "2012/01/03/template-comments/index.html").read_text()
    comments = page.split('<section class="comments"', 1)[1]
    assert "Kept from the earlier blog; comments are closed." in comments
    assert '<li id="comment-881">' in comments and "John Γιάννης Doe Κάποιος" in comments
    assert 'in reply to <a href="#comment-' in comments
    assert "<script" not in comments
    # the old dated path redirects to the new one
    old = (site / "2018/10/20/keyboard-navigation/index.html").read_text()
    assert "/2018/10/21/keyboard-navigation/" in old
    assert "/ p=1241 /2012/01/07/template-sticky/ 301" in (site / "_redirects").read_text()
    # feeds keep the WordPress GUIDs as entry ids
    assert "<id>https://wpthemetestdata.wordpress.com/?p=1724</id>" in (site / "feed.atom").read_text()


def test_staged_changes_stop_the_import_before_it_writes(repo: Repo, tmp_path: Path) -> None:
    repo.write("posts/mine.md", "---\ntitle: Mine\n---\n\nText.\n")
    repo.git("add", "posts/mine.md")
    export = tmp_path / "blog.xml"
    export.write_bytes(wxr(item()))
    before = files_of(repo.root)
    result = run(repo, "import", "wordpress", str(export))
    assert result.exit_code == 1
    assert "changes are staged in git (posts/mine.md)" in result.stderr and "git restore --staged" in result.stderr
    assert files_of(repo.root) == before


def test_unstaged_edits_elsewhere_stay_out_of_the_import_commit(repo: Repo, tmp_path: Path) -> None:
    repo.write("gulagpub.toml", repo.read("gulagpub.toml") + "\n# a local note\n")
    export = tmp_path / "blog.xml"
    export.write_bytes(wxr(item()))
    assert run(repo, "import", "wordpress", str(export)).exit_code == 0
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == [
        "_redirects", "posts/2012-10-20-a-post.md", "redirects.map"]
    assert repo.git("status", "--porcelain").strip() == "M gulagpub.toml"


# --- real exports, whole: each imported site builds, validates and checks ---------------

WPCOM = Path(__file__).parent / "fixtures" / "wordpress" / "wpcom-2012.xml"


@pytest.mark.parametrize("export", ["wpcom-2012.xml", "themeunittestdata.wordpress.xml", "small-export.xml"])
def test_each_export_imports_builds_and_passes_feedcheck_and_check(repo: Repo, shared: Path, tmp_path: Path,
                                                                   export: str) -> None:
    path = WPCOM if export == "wpcom-2012.xml" else shared / "fixtures/wordpress" / export
    result = run(repo, "import", "wordpress", str(path))
    assert result.exit_code == 0, result.output
    check = run(repo, "check")
    assert check.exit_code == 0, check.output
    site = tmp_path / "site"
    build = run(repo, "build", "--out", str(site))
    assert build.exit_code == 0, build.output
    strict = feedcheck(shared, site)
    assert strict.returncode == 0, strict.stdout[-3000:] + strict.stderr[-2000:]
    assert re.search(r"feedcheck: \d+ feeds, 0 errors, 0 warnings", strict.stdout + strict.stderr)


def test_the_report_names_what_was_repaired_and_who_to_add(repo: Repo) -> None:
    result = run(repo, "import", "wordpress", str(WPCOM), "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "about the export:\n  namespace prefix(es) used without a declaration" in out
    assert "authors not in the team: 2 (their posts keep the name as 'author:')" in out
    assert '  Paul Sharkey (login sharkeytr, 1 post(s)): gulagpub team add "Paul Sharkey" paul@example.net --role translator' in out
    assert "--map-author LOGIN=EMAIL, or --authors FILE" in out
    assert "shortcode [polldaddy] kept as text 2 time(s) in 1 file(s)" in out
    report = json.loads(run(repo, "import", "wordpress", str(WPCOM), "--dry-run", "--json").stdout)
    assert report["authors_to_add"][0] == {"login": "mollie", "name": "Mollie S.", "posts": 1,
                                           "command": 'gulagpub team add "Mollie S." mollie@example.net --role translator'}


def test_map_author_and_an_authors_file_name_who_wrote_what(repo: Repo, tmp_path: Path) -> None:
    authors = tmp_path / "authors.txt"
    authors.write_text("sharkeytr = tania@example.org\nmollie = boris@example.org\n")
    result = run(repo, "import", "wordpress", str(WPCOM), "--authors", str(authors),
                 "--map-author", "mollie=alice@example.org", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["unknown_authors"] == []
    assert meta_of(repo, "posts/2012-05-02-voices-of-the-exile.md")["author"] == "Tania Translator"
    assert meta_of(repo, "posts/2012-05-03-photographs-of-the-prisons.md")["author"] == "Alice Editor"  # the flag wins


def test_a_malformed_map_author_is_a_usage_error(repo: Repo) -> None:
    result = run(repo, "import", "wordpress", str(WPCOM), "--map-author", "mollie")
    assert result.exit_code == 2
    assert "'mollie' is not LOGIN=EMAIL" in result.stderr


def test_an_imported_id_already_in_the_repository_is_not_reused(repo: Repo) -> None:
    repo.write("posts/mine.md", "---\ntitle: Mine\nid: http://anarchistsgulag.wordpress.com/?p=105\nstate: draft\n"
                                "---\n\nText.\n")
    repo.commit("A post of ours")
    assert run(repo, "import", "wordpress", str(WPCOM)).exit_code == 0
    assert meta_of(repo, "posts/2012-05-02-voices-of-the-exile.md")["id"].startswith("tag:blog.example.org,")
    assert run(repo, "check").exit_code == 0


def test_an_alias_that_is_its_own_page_written_another_way_builds(repo: Repo, tmp_path: Path) -> None:
    # WordPress writes a Cyrillic permalink with lower-case escapes; the page's own path has upper-case ones.
    old = "/2012/03/05/%d0%bf%d0%b8%d1%81%d1%8c%d0%bc%d0%be/"
    repo.write("posts/2012-03-05-письмо.md", "---\ntitle: Письмо\nstate: published\ndate: 2012-03-05 12:00:00+01:00\n"
                                            f"author: Alice Editor\naliases:\n- {old}\n---\n\nТекст.\n")
    repo.commit("A post whose alias is itself")
    site = tmp_path / "site"
    result = run(repo, "build", "--out", str(site))
    assert result.exit_code == 0, result.output
    page = (site / "2012/03/05/письмо/index.html").read_text()
    assert "Текст." in page  # the page, not a redirect to itself


def test_the_build_refuses_a_second_published_post_with_an_id_taken_after_a_good_build(repo: Repo,
                                                                                       tmp_path: Path) -> None:
    post = "---\ntitle: {t}\nid: {i}\nstate: published\ndate: 2012-03-0{d} 12:00:00+01:00\nauthor: Alice Editor\n---\n\nText.\n"
    repo.write("posts/a.md", post.format(t="A", i="tag:old.example.com,2012:a", d=1))
    repo.write("posts/b.md", post.format(t="B", i="tag:old.example.com,2012:b", d=2))
    repo.commit("Two posts")
    site = tmp_path / "site"
    assert run(repo, "build", "--out", str(site)).exit_code == 0
    repo.write("posts/b.md", post.format(t="B", i="tag:old.example.com,2012:a", d=2))  # the build's memo must see it
    result = run(repo, "build", "--out", str(site))
    assert result.exit_code == 1
    assert re.search(r"^posts/b\.md:\d+: id 'tag:old\.example\.com,2012:a' is also the id of posts/a\.md",
                     result.stderr, re.M)


# --- the old site's media, fetched from a server of the test's own --------------

@pytest.fixture
def old_host():
    from media_server import MediaServer

    s = MediaServer().start()
    yield s
    s.stop()


def _fast_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's download settings made short (timeouts, back-off), not slept through."""
    from gulagpub import download

    fast = download.Settings(connect_timeout=1.0, read_timeout=0.3, deadline=2.0, retries=1, backoff=0.01,
                             max_bytes=200_000)
    monkeypatch.setattr(download, "Settings", lambda **_: fast)


def _served_like_the_old_site(old_host, export: bytes) -> bytes:
    """The theme test export with its two hosts moved to the test's server,
    every upload it names served there as real bytes of its type."""
    from media_server import gif, jpeg, pdf

    text = export.decode("utf-8")
    text = text.replace("https://wpthemetestdata.files.wordpress.com/", old_host.base_url + "/wp-content/uploads/")
    text = text.replace("https://wpthemetestdata.wordpress.com", old_host.base_url)
    kinds = {"jpg": (jpeg(), "image/jpeg"), "gif": (gif(), "image/gif"), "pdf": (pdf(), "application/pdf"),
             "mp3": (b"ID3\x03\x00" + b"\0" * 200, "audio/mpeg"),
             "mov": (b"\0\0\0\x14ftypqt  " + b"\0" * 200, "video/quicktime")}
    for path in set(re.findall(r"/wp-content/uploads/[\w/.-]+\.(?:jpg|gif|pdf|mp3|mov)", text)):
        old_host.put(path, *kinds[path.rsplit(".", 1)[1]])
    return text.encode("utf-8")


def test_the_theme_exports_media_are_downloaded_linked_and_published(repo: Repo, theme_export: Path,
                                                                    old_host, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _fast_download(monkeypatch)
    export = tmp_path / "theme.xml"
    export.write_bytes(_served_like_the_old_site(old_host, theme_export.read_bytes()))
    result = run(repo, "import", "wordpress", str(export), "--download", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == [] and report["download"] is True
    assert len(report["files"]) == len(report["fetched"]) == 39 == len(set(old_host.hits))  # 38 attachments and a PDF
    # Progress in a log: a line at the start, at each tenth and at the end; no carriage return.
    lines = [line for line in result.stderr.splitlines() if line.startswith("downloading")]
    assert lines[0] == "downloading the old site's media: 0/39 files"
    assert lines[-1] == "downloading the old site's media: 39/39 files" and len(lines) == 11
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert repo.git("status", "--porcelain") == ""  # the files are in the import's commit
    committed = repo.git("show", "--name-only", "--format=", "HEAD").split()
    assert all(p in committed for p in report["fetched"])
    bodies = [meta_of(repo, p.relative_to(repo.root).as_posix())["_post"].body
              for p in [*(repo.root / "posts").rglob("*.md"), *(repo.root / "pages").glob("*.md")]]
    texts = "".join(bodies)
    assert "/wp-content/uploads/" not in texts  # every file of the old site comes from its copy
    # Links between posts go to the new pages, links to attachment pages to the files; one
    # link of the export names a post by a date it never had (WordPress guessed; we do not).
    left = set(re.findall(re.escape(old_host.base_url) + r"[^\s)\"]*", texts))
    assert left == {old_host.base_url + "/2018/11/03/block-button/"}
    # The featured images: with their alt text as `image:`, or a note asking for one.
    leads = [meta_of(repo, p.relative_to(repo.root).as_posix())["_post"].image
             for p in (repo.root / "posts").rglob("*.md")]
    assert sorted(i.alt for i in leads if i is not None) == [
        "Boat Barco Texture", "Horizontal Featured Image", "Horizontal Featured Image", "I Am Worth Loving Wallpaper"]
    assert any(i is not None and i.src == "soworthloving-wallpaper.jpg" for i in leads)  # in its bundle
    assert any("has no alt text in the export" in a["note"] for a in report["attention"])

    check = run(repo, "check")
    assert check.exit_code == 0, check.output
    site = tmp_path / "site"
    build = run(repo, "build", "--out", str(site))
    assert build.exit_code == 0, build.output
    published = {p.name for p in site.rglob("*") if p.suffix in (".jpg", ".gif", ".pdf", ".mp3", ".mov")}
    named = {Path(d).name for d in report["fetched"] if Path(d).name in texts}  # (files no post names stay out)
    assert len(named) > 30 and named <= published

    # A second run fetches nothing again and changes nothing.
    hits = sum(old_host.hits.values())
    again = run(repo, "import", "wordpress", str(export), "--download", "--json")
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert second["fetched"] == [] and second["present"] == 39 and second["commit"] is None
    assert sum(old_host.hits.values()) == hits


def test_failed_downloads_are_reported_link_to_the_old_site_and_a_second_run_completes(
        repo: Repo, old_host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from media_server import jpeg, pdf

    _fast_download(monkeypatch)
    up = old_host.base_url + "/wp-content/uploads/2012/05/"
    old_host.put("/wp-content/uploads/2012/05/scan-p1.jpg", jpeg(), "image/jpeg")
    old_host.put("/wp-content/uploads/2012/05/freedom-1924.pdf", pdf(), "application/pdf")
    old_host.put("/wp-content/uploads/2012/05/cover.jpg", jpeg(), "image/jpeg")
    old_host.put("/wp-content/uploads/2012/05/yard.jpg", b"<!DOCTYPE html><html>gone</html>" * 20, "image/jpeg")
    old_host.fail("/wp-content/uploads/2012/05/cover.jpg", 1)  # once: the retry brings it
    attachment = f"""<item><title>Cover</title><wp:post_id>50</wp:post_id><wp:post_type>attachment</wp:post_type>
<wp:status>inherit</wp:status><wp:post_parent>11</wp:post_parent>
<wp:attachment_url>{up}cover.jpg</wp:attachment_url>
<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key><wp:meta_value>The letter's first page</wp:meta_value></wp:postmeta>
</item>"""
    letter = item(11, name="letter", content=(
        f'<img src="{up}scan-p1.jpg?w=300" alt="Page 1 of the letter" />\n\n'
        f'<a href="{up}freedom-1924.pdf">Freedom, 1924</a> and <img src="{up}yard.jpg" alt="The yard" />\n\n'
        f'See also <a href="{old_host.base_url}/2012/10/20/reply/">the reply</a>.'),
        extra="<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>50</wp:meta_value></wp:postmeta>")
    reply = item(12, name="reply", content=f'In answer to <a href="{old_host.base_url}/?p=11">the letter</a>.')
    data = wxr(attachment + letter + reply).replace(b"https://old.example.com", old_host.base_url.encode())
    export = tmp_path / "blog.xml"
    export.write_bytes(data)

    first = run(repo, "import", "wordpress", str(export), "--download")
    assert first.exit_code == 0, first.output
    assert "not downloaded: 1" in first.stdout
    assert f"{up}yard.jpg -> posts/2012-10-20-letter/yard.jpg: the server sent an HTML page" in first.stdout
    assert f"run again to fetch them (files already there are not fetched again): gulagpub import wordpress {export}" \
        in first.stdout
    body = repo.read("posts/2012-10-20-letter/index.md")
    assert "![Page 1 of the letter](scan-p1.jpg)" in body
    assert "[Freedom, 1924](freedom-1924.pdf)" in body
    assert f"![The yard]({up}yard.jpg)" in body  # not fetched: still the old site's
    assert "[the reply](/2012/10/20/reply/)" in body
    assert "[the letter](/2012/10/20/letter/)" in repo.read("posts/2012-10-20-reply.md")
    post = meta_of(repo, "posts/2012-10-20-letter/index.md")["_post"]
    assert (post.image.src, post.image.alt) == ("cover.jpg", "The letter's first page")
    assert not (repo.root / "posts/2012-10-20-letter/yard.jpg").exists()
    assert not list(repo.root.rglob("*.gulagpub-tmp"))
    assert repo.git("status", "--porcelain") == ""
    assert run(repo, "check").exit_code == 0

    old_host.put("/wp-content/uploads/2012/05/yard.jpg", jpeg(), "image/jpeg")
    second = run(repo, "import", "wordpress", str(export), "--download", "--json")
    assert second.exit_code == 0, second.output
    report = json.loads(second.stdout)
    assert report["fetched"] == ["posts/2012-10-20-letter/yard.jpg"] and report["failed"] == []
    assert report["present"] == 3
    assert "![The yard](yard.jpg)" in repo.read("posts/2012-10-20-letter/index.md")
    assert repo.git("status", "--porcelain") == ""
    check = run(repo, "check")
    assert check.exit_code == 0, check.output
    site = tmp_path / "site"
    assert run(repo, "build", "--out", str(site)).exit_code == 0
    page = site / "2012/10/20/letter"
    assert {p.name for p in page.iterdir()} >= {"scan-p1.jpg", "freedom-1924.pdf", "yard.jpg", "cover.jpg"}
    assert (page / "yard.jpg").read_bytes() == jpeg()


def test_no_download_fetches_nothing_and_leaves_the_files_links_but_not_the_posts(
        repo: Repo, old_host, tmp_path: Path) -> None:
    """--no-download is about the network: the old site's files stay linked
    there, as before the download existed; links between imported posts go to
    their new pages all the same (that needs nothing of the old site, and a
    link to the old domain dies with it)."""
    from media_server import jpeg

    old_host.put("/wp-content/uploads/2012/05/scan.jpg", jpeg(), "image/jpeg")
    up = old_host.base_url + "/wp-content/uploads/2012/05/"
    data = wxr(item(11, name="letter", content=f'<img src="{up}scan.jpg" alt="Scan" /> '
                                               '<a href="https://old.example.com/2012/10/20/reply/">the reply</a>')
               + item(12, name="reply", content="A reply."))
    export = tmp_path / "blog.xml"
    export.write_bytes(data.replace(b"https://old.example.com", old_host.base_url.encode()))
    result = run(repo, "import", "wordpress", str(export))  # (run adds --no-download)
    assert result.exit_code == 0, result.output
    assert sum(old_host.hits.values()) == 0
    letter = repo.read("posts/2012-10-20-letter.md")
    assert f"![Scan]({up}scan.jpg)" in letter
    assert "[the reply](/2012/10/20/reply/)" in letter
    assert "to fetch (nothing was downloaded):" in result.stdout and f"  {up}scan.jpg" in result.stdout
    assert "texts whose links to the old site now go to the copies and new pages: 1" in result.stdout


def test_links_between_posts_go_to_their_new_pages_under_the_sites_path(repo: Repo, tmp_path: Path) -> None:
    repo.write("gulagpub.toml", repo.read("gulagpub.toml").replace(
        'base_url = "https://blog.example.org/"', 'base_url = "https://blog.example.org/archive/"'))
    repo.commit("The site lives under /archive/")
    data = wxr(item(11, name="letter", content='See <a href="https://old.example.com/?p=12">the reply</a>.')
               + item(12, name="reply", content='To <a href="http://www.old.example.com/2012/10/20/letter/#end">'
                                                 "the letter</a> and <a href=\"https://old.example.com/shop/\">the shop</a>."))
    export = tmp_path / "blog.xml"
    export.write_bytes(data)
    assert run(repo, "import", "wordpress", str(export)).exit_code == 0
    assert "[the reply](/archive/2012/10/20/reply/)" in repo.read("posts/2012-10-20-letter.md")
    reply = repo.read("posts/2012-10-20-reply.md")
    assert "[the letter](/archive/2012/10/20/letter/#end)" in reply
    assert "[the shop](https://old.example.com/shop/)" in reply  # not a page of the export: the redirects' job
    site = tmp_path / "site"
    assert run(repo, "build", "--out", str(site)).exit_code == 0
    assert 'href="/archive/2012/10/20/reply/"' in (site / "2012/10/20/letter/index.html").read_text()


def test_a_download_cut_off_part_way_is_resumed_by_the_next_import(repo: Repo, old_host, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from media_server import pdf

    _fast_download(monkeypatch)
    body = pdf() + b"%" + bytes(range(256)) * 40  # (a PDF may end in bytes after %%EOF)
    old_host.put("/wp-content/uploads/2012/05/freedom-1924.pdf", body, "application/pdf", etag='"f1"', cut=4_000)
    up = old_host.base_url + "/wp-content/uploads/2012/05/"
    data = wxr(item(11, name="letter", content=f'<a href="{up}freedom-1924.pdf">Freedom, 1924</a>'))
    export = tmp_path / "blog.xml"
    export.write_bytes(data.replace(b"https://old.example.com", old_host.base_url.encode()))

    first = run(repo, "import", "wordpress", str(export), "--download")
    assert first.exit_code == 0, first.output
    assert (f"{up}freedom-1924.pdf -> posts/2012-10-20-letter/freedom-1924.pdf: the answer ended after 4,000 of "
            f"{len(body):,} bytes; run again to fetch the rest") in first.stdout
    assert "freedom-1924.pdf" not in repo.git("show", "--name-only", "--format=", "HEAD")  # the part is not committed

    second = run(repo, "import", "wordpress", str(export), "--download")
    assert second.exit_code == 0, second.output
    assert "downloaded: 1 (1 resumed where a run before stopped), already there: 0, failed: 0" in second.stdout
    assert old_host.seen["/wp-content/uploads/2012/05/freedom-1924.pdf"][-1]["Range"] == "bytes=4000-"
    assert (repo.root / "posts/2012-10-20-letter/freedom-1924.pdf").read_bytes() == body
    assert "[Freedom, 1924](freedom-1924.pdf)" in repo.read("posts/2012-10-20-letter/index.md")
    assert repo.git("status", "--porcelain") == ""  # the copy committed, nothing of the part left


def test_a_single_file_post_imported_without_its_files_becomes_a_bundle_when_they_come(
        repo: Repo, old_host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from media_server import jpeg

    _fast_download(monkeypatch)
    old_host.put("/wp-content/uploads/2012/05/scan-p1.jpg", jpeg(), "image/jpeg")
    up = old_host.base_url + "/wp-content/uploads/2012/05/"
    comment = """<wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_author>Ann</wp:comment_author>
<wp:comment_date_gmt>2012-10-21 10:00:00</wp:comment_date_gmt><wp:comment_content>Thanks.</wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment>"""
    data = wxr(item(11, name="letter", content=f'<img src="{up}scan-p1.jpg" alt="Page 1 of the letter" />',
                    extra=comment))
    export = tmp_path / "blog.xml"
    export.write_bytes(data.replace(b"https://old.example.com", old_host.base_url.encode()))
    assert run(repo, "import", "wordpress", str(export)).exit_code == 0  # --no-download: a single file
    single = repo.read("posts/2012-10-20-letter.md")
    assert "posts/2012-10-20-letter.comments.yaml" in files_of(repo.root)
    # A language version made meanwhile, of the post by its name.
    repo.write("translations/de/2012-10-20-letter.md", "---\ntitle: 'Brief: der Brief'\nstate: published\n"
               "date: 2012-10-21 10:00:00+00:00\ntranslation: {translator: Tania Translator, from_lang: en}\n"
               "---\n\nDer Brief.\n")
    repo.commit("German version")

    dry = run(repo, "import", "wordpress", str(export), "--download", "--dry-run")
    assert "single-file posts to move into bundles, with their files: 1" in dry.stdout
    assert "posts/2012-10-20-letter.md -> posts/2012-10-20-letter/index.md" in dry.stdout
    result = run(repo, "import", "wordpress", str(export), "--download", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["moved"] == [{"from": "posts/2012-10-20-letter.md", "to": "posts/2012-10-20-letter/index.md"}]
    posts = {p for p in files_of(repo.root) if p.startswith("posts/") and p != "posts/.keep"}
    assert posts == {"posts/2012-10-20-letter/index.md", "posts/2012-10-20-letter/scan-p1.jpg",
                     "posts/2012-10-20-letter/index.comments.yaml"}  # no second copy of the post left
    bundle = repo.read("posts/2012-10-20-letter/index.md")
    assert "![Page 1 of the letter](scan-p1.jpg)" in bundle
    # The same text but for the link to its copy (and the digest of it): git sees a rename.
    assert re.sub(r"digest: \S+", "", bundle.replace("scan-p1.jpg", up + "scan-p1.jpg")) == \
        re.sub(r"digest: \S+", "", single)
    stat = repo.git("show", "-M", "--name-status", "--format=", "HEAD")
    assert re.search(r"^R\d+\tposts/2012-10-20-letter\.md\tposts/2012-10-20-letter/index\.md$", stat, re.M), stat
    assert "post: posts/2012-10-20-letter/index.md" in repo.read("posts/2012-10-20-letter/index.comments.yaml")
    assert repo.git("status", "--porcelain") == ""
    check = run(repo, "check")
    assert check.exit_code == 0, check.output
    site = tmp_path / "site"
    build = run(repo, "build", "--out", str(site))
    assert build.exit_code == 0, build.output
    assert (site / "2012/10/20/letter/scan-p1.jpg").read_bytes() == jpeg()
    assert "Brief: der Brief" in (site / "de/2012/10/21/letter/index.html").read_text()  # the version, of the bundle

    again = run(repo, "import", "wordpress", str(export), "--download", "--json")
    assert json.loads(again.stdout)["moved"] == [] and json.loads(again.stdout)["commit"] is None


def test_a_single_file_post_edited_since_its_import_stays_one(repo: Repo, old_host, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from media_server import jpeg

    _fast_download(monkeypatch)
    old_host.put("/wp-content/uploads/2012/05/scan-p1.jpg", jpeg(), "image/jpeg")
    up = old_host.base_url + "/wp-content/uploads/2012/05/"
    data = wxr(item(11, name="letter", content=f'<img src="{up}scan-p1.jpg" alt="Page 1" />'))
    export = tmp_path / "blog.xml"
    export.write_bytes(data.replace(b"https://old.example.com", old_host.base_url.encode()))
    assert run(repo, "import", "wordpress", str(export)).exit_code == 0
    repo.write("posts/2012-10-20-letter.md", repo.read("posts/2012-10-20-letter.md") + "\nA translator's note.\n")
    repo.commit("A note")
    result = run(repo, "import", "wordpress", str(export), "--download", "--json")
    report = json.loads(result.stdout)
    assert report["moved"] == [] and [k["path"] for k in report["kept"]] == ["posts/2012-10-20-letter.md"]
    assert "posts/2012-10-20-letter/index.md" not in files_of(repo.root)
    assert (repo.root / "media/2012/05/scan-p1.jpg").read_bytes() == jpeg()  # its files go to media/


def test_the_download_progress_is_a_bar_on_a_terminal_and_sparse_lines_in_a_log() -> None:
    from gulagpub.cli import import_progress

    def events(progress) -> None:
        progress("downloading", 0, 200)
        for n in range(1, 201):
            progress("receiving", 300_000, 1_200_000)
            progress("receiving", 600_000, 0)
            progress("downloading", n, 200)

    log: list[tuple[str, bool]] = []
    events(import_progress(False, lambda text, nl: log.append((text, nl))))
    assert [t for t, _ in log] == [f"downloading the old site's media: {n}/200 files" for n in range(0, 201, 20)]
    assert all(nl for _, nl in log) and not any("\r" in t for t, _ in log)

    term: list[tuple[str, bool]] = []
    events(import_progress(True, lambda text, nl: term.append((text, nl))))
    assert term[0] == ("\rdownloading the old site's media [....................] 0/200 files\x1b[K", False)
    assert ("\rdownloading the old site's media [##########..........] 100/200 files; this one 0.3 MB of 1.2 MB"
            "\x1b[K", False) in term
    assert "this one 0.6 MB\x1b[K" in term[2][0]  # a file whose size was not announced
    assert term[-1] == ("\rdownloading the old site's media [####################] 200/200 files\x1b[K", True)
    assert [nl for _, nl in term].count(True) == 1  # one line, redrawn, ended once


def test_a_folder_that_cannot_be_written_is_named_with_what_to_do_never_a_traceback(
        repo: Repo, old_host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from media_server import jpeg
    from test_download import read_only

    _fast_download(monkeypatch)
    old_host.put("/wp-content/uploads/2012/05/map.png", jpeg(), "image/jpeg")
    up = old_host.base_url + "/wp-content/uploads/2012/05/"
    page = f"""<item><title>About</title><wp:post_id>30</wp:post_id><wp:post_type>page</wp:post_type>
<wp:status>publish</wp:status><wp:post_name>about</wp:post_name><wp:post_date_gmt>2012-10-20 10:00:00</wp:post_date_gmt>
<content:encoded><![CDATA[<img src="{up}map.png" alt="Map" />]]></content:encoded></item>"""
    data = wxr(page + item(11, name="letter", content="A letter."))
    export = tmp_path / "blog.xml"
    export.write_bytes(data.replace(b"https://old.example.com", old_host.base_url.encode()))
    with read_only(repo.root / "media"):  # a page's file goes to media/: it cannot be written
        result = run(repo, "import", "wordpress", str(export), "--download")
    assert result.exit_code == 0, result.output
    assert re.search(re.escape(f"{up}map.png -> media/2012/05/map.png: cannot write it: ")
                     + "(permission denied|the file system is read-only)", result.stdout), result.stdout
    assert f"![Map]({up}map.png)" in repo.read("pages/about.md")  # still linked to the old site
    assert repo.git("status", "--porcelain") == ""

    repo.git("rm", "-q", "-r", "pages", "posts/2012-10-20-letter.md")
    repo.commit("Start again")
    with read_only(repo.root / "posts"):
        result = run(repo, "import", "wordpress", str(export), "--download")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert re.search(r"^error: posts/2012-10-20-letter\.md: cannot write it: (permission denied|the file system "
                     r"is read-only).*; nothing was committed .*: then run `gulagpub import wordpress .*blog\.xml` "
                     "again$", result.stderr, re.M), result.stderr
    assert repo.git("log", "-1", "--format=%s").strip() == "Start again"  # nothing committed
    # Once the folder can be written, the same command completes it, the files written before included.
    again = run(repo, "import", "wordpress", str(export), "--download")
    assert again.exit_code == 0, again.output
    assert repo.git("status", "--porcelain") == ""
    assert {"pages/about.md", "posts/2012-10-20-letter.md", "media/2012/05/map.png"} <= set(
        repo.git("show", "--name-only", "--format=", "HEAD").split())
