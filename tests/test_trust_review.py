"""Trust, the check sees what the build reads: attacks a hostile contributor
would make in a pull request, each against `gulagpub check --base` as the
pull-request workflow runs it (`--pr-author`) and as an editor runs it on
main (commit by commit), in real repositories with several identities.

- files that are not content (templates, settings, code, workflows, what
  else the build reads) are the editors' alone;
- symbolic links where the build reads files are refused, naming the link;
- a published post's id and first publication date are the editors';
- with signed approvals, a settings change counts only when signed by a
  key that was on the team before it, whatever the commit or --pr-author says;
- `publish` never publishes an approved post whose approvals do not hold;
- no file name or message can inject a GitHub workflow command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import ALICE, BORIS, TANIA, Repo, post_text, ssh_keygen
from flow import gp
from gulagpub.cli import main

WEB = ("Tania", "tania-gh@users.noreply.github.com")  # a commit from GitHub's web editor
ORIGINAL = "posts/2024-01-05-letter.md"


def check(repo: Repo, *args: str, actions: bool = False) -> Result:
    env = {"GITHUB_ACTIONS": "true" if actions else "false"}
    return CliRunner().invoke(main, ["-C", str(repo.root), "check", "--base", "base", *args], env=env)


@pytest.fixture
def blog(repo: Repo) -> Repo:
    """A published post on the base branch; a pull request's branch checked out."""
    repo.write(ORIGINAL, post_text("Letter from Solovki", "published", "Dear comrade:\n",
                                   date="2024-01-05 10:00", author="Alice Editor",
                                   id="tag:blog.example.org,2024-01-05:posts/2024-01-05-letter"))
    repo.write("templates/.keep", "")
    repo.commit("Import the letter", who=ALICE)
    repo.git("branch", "base")
    repo.git("checkout", "-q", "-b", "pull-request")
    return repo


# --- files that are not content are the editors' ------------------------------------

MALICIOUS_TEMPLATE = "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}\n"


@pytest.mark.parametrize("path, text", [
    ("templates/404.html", MALICIOUS_TEMPLATE),
    ("gulagpub.toml", None),
    (".github/workflows/pr.yml", "on: push\njobs: {}\n"),
    ("src/gulagpub/__init__.py", "import os; os.system('touch MARKER')\n"),
    ("pyproject.toml", "[project]\nname = 'x'\n"),
    ("_redirects", "/* https://evil.example/ 301\n"),
    ("redirects.map", "/old https://evil.example/;\n"),
    ("announcements.jsonl", '{"post": "x", "state": "posted", "url": "https://evil.example/"}\n'),
    (".gulagpub-cache/index.pickle", "cos\nsystem\n(S'touch MARKER'\ntR.\n"),
    (".gitattributes", "*.md filter=evil\n"),
    ("posts/2024-01-05-letter.comments.yaml", "comments:\n- author: Forged\n  text: forged\n"),
])
def test_a_translator_cannot_change_what_is_not_content(blog: Repo, path: str, text: str | None) -> None:
    if text is None:  # the settings: make herself an editor
        text = blog.read(path).replace('roles = ["translator"]', 'roles = ["translator", "editor"]')
    blog.write(path, text)
    blog.commit(f"Update {path}", who=WEB)
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 1, result.output
    assert f"{path}: this pull request (by @tania-gh): " in result.output
    assert "which only an editor may" in result.output
    plain = check(blog)  # commit by commit, as on main after a merge
    assert plain.exit_code == 1 and f"{path}: commit " in plain.output and "only an editor may" in plain.output
    assert not (blog.root / "MARKER").exists()  # the check reads; it runs nothing


def test_an_editor_may_change_them(blog: Repo) -> None:
    blog.write("templates/404.html", "<p>Not here.</p>\n")
    blog.write("_redirects", "/old /new 301\n")
    blog.commit("Templates and redirects", who=ALICE)
    assert check(blog, "--pr-author", "alice-gh").exit_code == 0
    assert check(blog).exit_code == 0


def test_media_files_are_content(blog: Repo) -> None:
    blog.write("media/scan.jpg", "not really a JPEG")
    blog.commit("A scan", who=WEB)
    assert check(blog, "--pr-author", "tania-gh").exit_code == 0


def _read_by_build(tmp_path: Path, root: Path) -> set[str]:
    """Every file below `root` that a real `gulagpub build --drafts` opens,
    as Python's audit hook sees it (in a process of its own)."""
    script = (
        "import sys\nfrom pathlib import Path\n"
        f"root = str(Path({str(root)!r}).resolve())\nseen = set()\n"
        "def hook(event, args):\n"
        "    if event == 'open' and isinstance(args[0], (str, bytes, Path)):\n"
        "        p = str(Path(str(args[0] if not isinstance(args[0], bytes) else args[0].decode())).absolute())\n"
        "        if p.startswith(root + '/') and '/.git/' not in p:\n"
        "            seen.add(p[len(root) + 1:])\n"
        "sys.addaudithook(hook)\n"
        "from gulagpub.cli import main\n"
        "try:\n"
        f"    main(['-C', root, 'build', '--drafts', '--out', {str(tmp_path / 'site')!r}])\n"
        "except SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(seen)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {line for line in proc.stdout.splitlines() if line}


def test_every_file_the_build_reads_is_content_or_the_editors(blog: Repo, tmp_path: Path) -> None:
    """Whatever the build comes to read (today and after later changes), a
    translator's pull request changing it is either judged as content by the
    workflow's rules, or refused as the editors'."""
    blog.git("checkout", "-q", "base")
    blog.write("templates/404.html", "<p>Not here: {{ lang }}</p>\n")
    blog.write("_redirects", "/old /new 301\n")
    blog.write("posts/2024-01-05-letter.comments.yaml",
               "comments:\n- author: Reader\n  date: 2024-01-06 10:00\n  text: Thank you.\n")
    blog.commit("Everything the build reads", who=ALICE)
    tracked = set(blog.git("ls-files").splitlines())
    read = _read_by_build(tmp_path, blog.root) & tracked  # (not the build's own caches)
    assert {"gulagpub.toml", ORIGINAL, "templates/404.html", "_redirects"} <= read, read
    from gulagpub.check import is_content
    from gulagpub.model import kind_of

    blog.git("checkout", "-q", "-b", "attack", "base")
    attacked = sorted(p for p in read if not (is_content(p) and kind_of(p) is not None))
    for path in attacked:
        blog.write(path, (blog.root / path).read_bytes() + b"\n# changed\n")
    blog.commit("Change everything", who=WEB)
    result = check(blog, "--pr-author", "tania-gh")
    for path in attacked:
        assert f"{path}: this pull request (by @tania-gh): " in result.output, (path, result.output)


# --- symbolic links where the build reads ------------------------------------------------

@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the repository holding a post in state published."""
    folder = tmp_path / "elsewhere"
    (folder / "es").mkdir(parents=True)
    (folder / "es" / "2024-01-05-letter.md").write_text(post_text(
        "Unreviewed", "published", "Never reviewed.\n", date="2024-01-05 10:00"))
    return folder


@pytest.mark.parametrize("link, target", [
    ("translations", "FOLDER"),
    ("pages", "FOLDER/es"),
    ("posts/2024-02-01-other.md", "FOLDER/es/2024-01-05-letter.md"),
    ("templates/base.html", "/etc/hostname"),
    ("media", "/etc"),
    ("posts", "FOLDER/es"),
])
def test_a_symbolic_link_is_refused_naming_it(blog: Repo, outside: Path, link: str, target: str) -> None:
    full = blog.root / link
    if full.is_dir() and not full.is_symlink():
        subprocess.run(["git", "-C", str(blog.root), "rm", "-rq", link], check=True)
    full.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target.replace("FOLDER", str(outside)), full)
    blog.commit(f"Link {link}", who=WEB)
    assert blog.git("ls-tree", "HEAD", link).startswith("120000 ")
    for result in (check(blog, "--pr-author", "tania-gh"), check(blog)):
        assert result.exit_code == 1, result.output
        assert f"{link}: is a symbolic link (git mode 120000)" in result.output


# --- a published post's id and first publication date ----------------------------------------

@pytest.mark.parametrize("field, value", [
    ("id", "tag:blog.example.org,2026-11-27:a-new-post"),
    ("date", "2026-11-27 10:00"),
])
def test_a_translator_cannot_change_a_published_posts_id_or_date(blog: Repo, field: str, value: str) -> None:
    text = blog.read(ORIGINAL)
    line = next(x for x in text.splitlines() if x.startswith(f"{field}: "))
    blog.write(ORIGINAL, text.replace(line, f"{field}: {value}"))
    blog.commit(f"Change the {field}", who=TANIA)
    for result in (check(blog, "--pr-author", "tania-gh"), check(blog)):
        assert result.exit_code == 1
        assert f"changed '{field}' of a published post" in result.output, result.output


def test_an_editor_may_change_the_id(blog: Repo) -> None:
    text = blog.read(ORIGINAL)
    line = next(x for x in text.splitlines() if x.startswith("id: "))
    blog.write(ORIGINAL, text.replace(line, "id: urn:uuid:0f1e2d3c-aaaa-bbbb-cccc-000000000001"))
    blog.commit("Keep the old feed id", who=ALICE)
    assert check(blog).exit_code == 0


# --- signed settings ---------------------------------------------------------------

@pytest.fixture
def signed(blog: Repo, tmp_path: Path) -> tuple[Repo, dict[str, Path]]:
    """Signed approvals, with keys for Alice, Boris (editors) and Tania; a
    translation by Tania in review on the pull request's branch."""
    keys = {who: tmp_path / f"{who}_key" for who in ("alice", "boris", "tania")}
    pubs = {who: ssh_keygen(key, who).read_text().strip() for who, key in keys.items()}
    blog.git("checkout", "-q", "base")
    text = blog.read("gulagpub.toml").replace("approvals_required = 1", "approvals_required = 1\nsigned_approvals = true")
    for who in keys:
        text = text.replace(f'github = "{who}-gh"', f'github = "{who}-gh"\nsigning_key = "{pubs[who]}"')
    # Boris reviews the Spanish version: an editor approves only the languages they read.
    text = text.replace('langs = ["en", "ru"]', 'langs = ["en", "ru", "es"]')
    blog.write("gulagpub.toml", text)
    blog.commit("Approvals are signed", who=ALICE)
    blog.git("checkout", "-q", "pull-request")
    blog.git("merge", "-q", "--ff-only", "base")
    blog.write("translations/es/2024-01-05-letter.md", "\n".join([
        "---", "title: Carta desde Solovki", "state: review", "lang: es", "translation:",
        "  translator: Tania Translator", "  from_lang: en", "source:", "  publication: Freedom",
        "---", "", "Querido camarada:", ""]))
    blog.commit("Translate the letter", who=WEB)
    return blog, keys


def _sign_as(blog: Repo, who: tuple[str, str], key: Path | None) -> None:
    blog.as_(who)
    if key is not None:
        blog.git("config", "user.signingkey", str(key))
        blog.git("config", "gpg.format", "ssh")
    else:
        blog.git("config", "--unset", "user.signingkey", check=False)


def test_an_unsigned_commit_in_an_editors_name_cannot_switch_signing_off(signed: tuple[Repo, dict[str, Path]]) -> None:
    blog, _ = signed
    blog.write("gulagpub.toml", blog.read("gulagpub.toml").replace("signed_approvals = true", "signed_approvals = false"))
    blog.commit("Update gulagpub.toml", who=ALICE)  # unsigned, "by Alice": anybody can write that
    _sign_as(blog, BORIS, None)
    assert gp(blog, "approve", "translations/es/2024-01-05-letter.md").code == 0  # unsigned: signing is off now
    for args in ((), ("--pr-author", "tania-gh"), ("--pr-author", "alice-gh")):
        result = check(blog, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "gulagpub.toml: " in result.output and "no good SSH signature by a key on the team" in result.output


def test_a_swapped_signing_key_does_not_verify_the_approval_it_enables(signed: tuple[Repo, dict[str, Path]]) -> None:
    blog, keys = signed
    tania_pub = Path(f"{keys['tania']}.pub").read_text().strip()
    text = blog.read("gulagpub.toml")
    boris_line = next(x for x in text.splitlines() if x.startswith("signing_key") and x.endswith(' boris"'))
    tania_line = next(x for x in text.splitlines() if x.startswith("signing_key") and x.endswith(' tania"'))
    # Boris's key becomes Tania's (and hers is dropped, one key per person).
    blog.write("gulagpub.toml", text.replace(tania_line + "\n", "").replace(boris_line, f'signing_key = "{tania_pub}"'))
    blog.commit("Update gulagpub.toml", who=ALICE)
    _sign_as(blog, BORIS, keys["tania"])  # Tania's key, Boris's name
    approved = gp(blog, "approve", "translations/es/2024-01-05-letter.md")
    assert approved.code == 0, approved.err
    for args in ((), ("--pr-author", "tania-gh"), ("--pr-author", "boris-gh")):
        result = check(blog, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "gulagpub.toml: " in result.output and "signature" in result.output


def test_a_settings_change_signed_by_an_editor_counts(signed: tuple[Repo, dict[str, Path]]) -> None:
    blog, keys = signed
    _sign_as(blog, ALICE, keys["alice"])
    added = gp(blog, "team", "add", "Carla Editor", "carla@example.org", "--role", "editor")
    assert added.code == 0, added.err
    assert "\ngpgsig -----BEGIN SSH SIGNATURE-----" in blog.git("cat-file", "-p", "HEAD")  # signed
    result = check(blog, "--pr-author", "tania-gh")
    assert result.exit_code == 0, result.output
    # Signed by Tania (on the team, not an editor): refused.
    blog.git("reset", "-q", "--hard", "HEAD~1")
    _sign_as(blog, TANIA, keys["tania"])
    blog.write("gulagpub.toml", blog.read("gulagpub.toml") + "\n# a note\n")
    blog.git("commit", "-q", "-S", "-am", "A note", who=TANIA)
    result = check(blog)
    assert result.exit_code == 1 and "signed by the key of Tania Translator" in result.output
    assert check(blog, "--pr-author", "tania-gh").exit_code == 1


# --- publish never publishes approvals that do not hold ----------------------------------

def _publish(repo: Repo, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "gulagpub"
    return subprocess.run([str(exe), "-C", str(repo.root), "publish", "--no-announce", "--out",
                           str(tmp_path / "site"), "--now", "2026-11-27T12:00:00Z"],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("attack", ["stale", "forged", "self"])
def test_publish_refuses_an_approval_that_does_not_hold(repo: Repo, tmp_path: Path, attack: str) -> None:
    from test_publisher import approved_text

    good = approved_text("Good post", "Fine.\n", date="2026-11-01 10:00")
    bad = approved_text("Bad post", "Approved text.\n", date="2026-11-02 10:00")
    if attack == "stale":
        bad = bad.replace("Approved text.", "Text changed after the approval.")
    elif attack == "forged":
        bad = bad.replace("by: boris@example.org", "by: tania@example.org")
    else:
        bad = bad.replace("author: Alice Editor", "author: Boris Editor")
    repo.write("posts/2026-11-01-good.md", good)
    repo.write("posts/2026-11-02-bad.md", bad)
    repo.commit("Two approved posts", who=ALICE)
    before = repo.git("rev-parse", "HEAD").strip()
    result = _publish(repo, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: refused to publish posts/2026-11-02-bad.md: its approvals do not hold" in result.stderr
    assert "published posts/2026-11-01-good.md" in result.stdout
    assert "posts/2026-11-02-bad.md" not in result.stdout
    assert "state: approved" in repo.read("posts/2026-11-02-bad.md")
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == ["posts/2026-11-01-good.md"]
    assert repo.git("rev-parse", "HEAD~1").strip() == before
    assert (tmp_path / "site/2026/11/01/good/index.html").is_file()
    assert not (tmp_path / "site/2026/11/02").exists()


# --- annotations cannot inject workflow commands -------------------------------------------

def test_no_file_name_or_message_can_inject_a_workflow_command(repo: Repo) -> None:
    nasty = "posts/x\n::add-mask::secret\n::error file=a,line=1::fake%0A::warning::y.md"
    repo.write(nasty, "no front matter\n")
    run = gp(repo, "check", env={"GITHUB_ACTIONS": "true"})
    assert run.code == 1
    lines = run.out.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == 1 and commands[0].startswith("::error file=posts/x\\n%3A%3Aadd-mask%3A%3Asecret")
    assert all(not line.startswith("::") or line.startswith("::error file=") for line in lines)
    assert len(lines) == 2  # one problem: its line, its annotation; nothing split off
    properties, _, message = commands[0][len("::error "):].partition("::")
    assert properties.count(",") <= 1 and "%25" in properties  # '%' escaped, ',' and ':' too
    assert "\n" not in message


def test_annotation_escapes_follow_githubs_toolkit() -> None:
    from gulagpub.cli import _annotation
    from gulagpub.errors import Problem

    line = _annotation(Problem("posts/a,b:c%.md", 3, "100% wrong\r\nnext"))
    assert line == "::error file=posts/a%2Cb%3Ac%25.md,line=3::100%25 wrong\\r\\nnext"
