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
