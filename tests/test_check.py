"""`gulagpub check`: every post, the workflow on the current state, and with
--base every commit of a branch, on real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import ALICE, BORIS, PROJECT, TANIA, Repo, act_as
from flow import approved, gp, into_english, ok, post_in_review

from gulagpub.content import load

GOOD = "---\ntitle: Fine\nstate: draft\n---\n\nText.\n"


def branch(repo: Repo, name: str, start: str = "main") -> None:
    repo.git("checkout", "-q", "-b", name, start)


def test_a_clean_history_passes(repo):
    approved(repo)
    run = gp(repo, "check", "--base", "main~6")
    assert (run.code, run.out) == (0, "")
    assert "no problems" in run.err


def test_a_forged_approval_in_a_branch_is_caught(repo):
    path = post_in_review(repo)
    branch(repo, "tania-approves")
    digest = load(repo.root).find(path).digest
    text = repo.read(path).replace("state: review\n", "state: approved\n").replace(
        "\n---\n", f"\nreviews:\n- by: boris@example.org\n  name: Boris Editor\n  verdict: approved\n"
                   f"  at: 2026-11-27 10:00:00+00:00\n  content: {digest}\n---\n", 1)
    repo.write(path, text)
    sha = repo.commit("Approve posts/vicente.md", who=TANIA)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    assert run.lines == [
        f"posts/vicente.md:3: commit {sha[:10]} by tania@example.org: review -> approved: Tania Translator "
        "<tania@example.org> may not approve (review -> approved): only a team member with the editor role may",
        f"posts/vicente.md:13: commit {sha[:10]} by tania@example.org: FORGERY: wrote a review record in the name "
        "of boris@example.org; only that editor may record their own review (with `gulagpub approve`/`request-changes`)",
    ]
    # The current state alone looks fine: only the history shows the forgery.
    assert gp(repo, "check").code == 0


def test_self_approval_and_approval_for_other_content_are_caught_in_history(repo):
    path = post_in_review(repo)
    branch(repo, "alice")
    text = repo.read(path).replace("state: review\n", "state: approved\n").replace(
        "\n---\n", "\nreviews:\n- by: alice@example.org\n  verdict: approved\n"
                   "  at: 2026-11-27 10:00:00+00:00\n  content: 0123456789abcdef\n---\n", 1)
    repo.write(path, text)
    sha = repo.commit("Approve my own", who=ALICE)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    text = run.out
    assert f"commit {sha[:10]} by alice@example.org: self-approval: Alice Editor <alice@example.org> is the author" in text
    assert "approval by alice@example.org recorded for content 0123456789abcdef, but this commit leaves the content as" in text
    assert "posts/vicente.md:13: self-approval: Alice Editor <alice@example.org> is the author of posts/vicente.md; it does not count" in text


def test_a_github_web_editor_commit_maps_to_the_member(repo):
    path = post_in_review(repo)
    branch(repo, "web")
    act_as(repo.root, BORIS)
    ok(gp(repo, "approve", path))
    # Rewrite the approval commit's author as GitHub's web editor would write it.
    repo.git("commit", "-q", "--amend", "--no-edit", "--reset-author",
             who=("Boris", "4242+boris-gh@users.noreply.github.com"))
    assert gp(repo, "check", "--base", "main").code == 0
    repo.git("commit", "-q", "--amend", "--no-edit", "--reset-author",
             who=("Tania", "77+tania-gh@users.noreply.github.com"))
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1 and "FORGERY: wrote a review record in the name of boris@example.org" in run.out


def test_publishing_and_settings_changes_need_an_editor(repo):
    branch(repo, "sneaky")
    repo.write("posts/p.md", "---\ntitle: P\nstate: published\ndate: 2026-01-01\n---\n\nText\n")
    sha1 = repo.commit("Publish straight away", who=TANIA)
    repo.write("gulagpub.toml", repo.read("gulagpub.toml").replace('roles = ["translator"]', 'roles = ["editor"]'))
    sha2 = repo.commit("Make me an editor", who=TANIA)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    assert run.lines == [
        f"posts/p.md:3: commit {sha1[:10]} by tania@example.org: (new) -> published: Tania Translator "
        "<tania@example.org> may not import ((new) -> published): only a team member with the editor role may",
        f"posts/p.md:3: commit {sha1[:10]} by tania@example.org: a post may enter published directly only in an "
        "import commit (trailer 'Imported-from:') by an editor; otherwise it goes through review and approval",
        f"gulagpub.toml: commit {sha2[:10]} by tania@example.org: Tania Translator <tania@example.org> changed "
        "the settings or the team, which only an editor may",
    ]


def test_an_editors_import_commit_may_add_published_posts(repo):
    branch(repo, "import")
    repo.write("posts/p.md", "---\ntitle: P\nstate: published\ndate: 2026-01-01\n---\n\nText\n")
    repo.commit("Import\n\nImported-from: the old blog", who=BORIS)
    assert gp(repo, "check", "--base", "main").code == 0


def test_editing_an_approved_post_without_sending_it_back_fails(repo):
    path = approved(repo)
    branch(repo, "edit")
    repo.write(path, repo.read(path).replace("Abiego", "Abiego (Huesca)"))
    sha = repo.commit("Fix", who=TANIA)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    assert any(f"commit {sha[:10]} by tania@example.org: changed the content of an approved post and left it approved"
               in line for line in run.lines)
    assert any("stale approval by boris@example.org" in line for line in run.lines)
    ok(gp(repo, "submit", path, who=TANIA))
    run = gp(repo, "check", "--base", "HEAD~1")
    assert run.code == 0, run.out


def test_two_editors_approving_in_parallel_branches_then_merged(repo):
    text = repo.read("gulagpub.toml").replace("approvals_required = 1", "approvals_required = 2")
    repo.write("gulagpub.toml", text)
    repo.commit("Two approvals needed", who=ALICE)
    repo.write("posts/essay.md", "---\ntitle: Essay\nstate: review\nauthor: Tania Translator\n---\n\nText.\n")
    repo.commit("An essay for review", who=ALICE)
    branch(repo, "alice-approves")
    ok(gp(repo, "approve", "essay", who=ALICE))
    branch(repo, "boris-approves", "main")
    ok(gp(repo, "approve", "essay", who=BORIS))
    merge = repo.git("merge", "-q", "--no-ff", "-m", "Merge alice-approves", "alice-approves", who=BORIS, check=False)
    conflicted = "CONFLICT" in merge or repo.git("diff", "--name-only", "--diff-filter=U").strip() != ""
    assert conflicted  # both appended to reviews: at the same place
    # The documented resolution: keep both review entries (docs/workflow.md).
    theirs = load_side(repo, ":3:posts/essay.md")
    ours = load_side(repo, ":2:posts/essay.md")
    resolved = ours.replace("\n---\n", "\n" + theirs.split("reviews:\n", 1)[1].split("---\n", 1)[0] + "---\n", 1)
    resolved = resolved.replace("state: review\n", "state: approved\n")
    repo.write("posts/essay.md", resolved)
    repo.git("add", "posts/essay.md")
    repo.git("commit", "-q", "--no-edit", who=BORIS)
    post = load(repo.root).find("essay")
    assert sorted(r.by for r in post.reviews) == ["alice@example.org", "boris@example.org"]
    assert post.state.value == "approved"
    run = gp(repo, "check", "--base", "main")
    assert (run.code, run.out) == (0, "")
    # A resolution that drops one side's approval is caught.
    repo.git("reset", "-q", "--hard", "HEAD^")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge", "alice-approves", who=BORIS, check=False)
    repo.write("posts/essay.md", ours)
    repo.git("add", "posts/essay.md")
    repo.git("commit", "-q", "--no-edit", who=BORIS)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    assert any("the merge lost the review by alice@example.org; when resolving a conflict in 'reviews:' keep both"
               in line for line in run.lines), run.out


def load_side(repo: Repo, spec: str) -> str:
    return repo.git("show", spec)


# --- signed approvals -----------------------------------------------------------------

def keygen(tmp_path: Path, name: str) -> Path:
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


@pytest.fixture
def signed_repo(repo, tmp_path) -> tuple[Repo, Path, Path]:
    boris_key, alice_key = keygen(tmp_path, "boris"), keygen(tmp_path, "alice")
    text = repo.read("gulagpub.toml").replace("signed_approvals", "x")
    text = text.replace("approvals_required = 1", "approvals_required = 1\nsigned_approvals = true")
    pub = Path(f"{boris_key}.pub").read_text().strip()
    text = text.replace('github = "boris-gh"', f'github = "boris-gh"\nsigning_key = "{pub}"')
    repo.write("gulagpub.toml", text)
    repo.commit("Approvals must be signed", who=ALICE)
    post_in_review(repo)
    branch(repo, "review")
    return repo, boris_key, alice_key


def test_a_signed_approval_is_verified_by_git(signed_repo):
    repo, boris_key, _ = signed_repo
    act_as(repo.root, BORIS)
    repo.git("config", "user.signingkey", str(boris_key))
    run = ok(gp(repo, "approve", "vicente"))
    assert repo.git("log", "-1", "--format=%G?", "-c", "gpg.ssh.allowedSignersFile=/dev/null", check=False) is not None
    assert run.out.strip() == repo.git("rev-parse", "HEAD").strip()
    run = gp(repo, "check", "--base", "main")
    assert (run.code, run.out) == (0, "")


def test_approve_refuses_without_a_signing_key(signed_repo):
    repo, _, _ = signed_repo
    run = gp(repo, "approve", "vicente", who=BORIS)
    assert run.code == 1
    assert "approvals must be signed ([workflow] signed_approvals = true) but git has no signing key" in run.err


def test_unsigned_or_wrongly_signed_approvals_are_refused(signed_repo):
    repo, _, alice_key = signed_repo
    act_as(repo.root, BORIS)
    repo.git("config", "user.signingkey", str(alice_key))  # a key that is not Boris's
    ok(gp(repo, "approve", "vicente"))
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    sha = repo.git("rev-parse", "HEAD").strip()
    words = ("is not in a commit with a good SSH signature: the commit is unsigned, or signed with a key that is "
             "not on the team; sign with the key that is your signing_key in gulagpub.toml (`git config "
             "gpg.format ssh`, `git config user.signingkey ~/.ssh/gulagpub_signing.pub`, and sign again: "
             "`git commit --amend --no-edit -S`), or have an editor record your key (`gulagpub team set YOU "
             "--signing-key KEY.pub`); approvals must be signed (`gulagpub approve` signs with your user.signingkey)")
    assert run.lines == [f"posts/vicente.md:13: commit {sha[:10]} by boris@example.org: approval by "
                         f"boris@example.org {words}"]
    repo.git("commit", "-q", "--amend", "--no-edit", "--no-gpg-sign", who=BORIS)  # unsigned
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1 and words in run.out


# --- bad inputs: each reported, the others still checked -----------------------------------

BAD = {
    "posts/broken-yaml.md": (b"---\ntitle: ok\ntags: [a, b\nauthor: x\n---\n", "not valid YAML"),
    "posts/alias-bomb.md": (("---\na: &a [x, x]\n" + "".join(
        f"b{i}: &b{i} [" + ", ".join([f"*{'a' if i == 0 else f'b{i - 1}'}"] * 9) + "]\n" for i in range(9))
        + "title: bomb\n---\n").encode(), "more than 50 YAML aliases"),
    "posts/python-object.md": (b"---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\n", "YAML tag not allowed"),
    "posts/wrong-types.md": (b"---\ntitle: [not, text]\n---\nx\n", "'title' must be text"),
    "posts/unknown-state.md": (b"---\ntitle: T\nstate: finished\n---\nx\n", "unknown state 'finished'"),
    "posts/no-title.md": (b"---\nstate: draft\n---\nx\n", "no 'title'"),
    "posts/2020-01-01-twin.md": (b"---\ntitle: Twin\n---\nx\n", "slug 'twin' is also used by posts/2019-01-01-twin.md"),
    "posts/latin1.md": (b"---\ntitle: caf\xe9\n---\n", "not valid UTF-8 (byte 0xe9)"),
    "posts/bom.md": ("\ufeff---\ntitle: ok\n---\nx\n".encode(), "byte-order mark"),
    "posts/crlf.md": (b"---\r\ntitle: ok\r\n---\r\nx\r\n", "CRLF (Windows) line endings"),
    "posts/bad-date.md": (b"---\ntitle: T\ndate: 2012-02-30 10:00\n---\nx\n", "'date'"),
    "posts/escape.md": (b"---\ntitle: T\nslug: ../../etc/passwd\n---\nx\n", "slug '../../etc/passwd' is not allowed"),
}


def test_every_bad_input_is_reported_and_the_good_posts_still_checked(repo):
    repo.write("posts/good.md", GOOD)
    repo.write("posts/2019-01-01-twin.md", "---\ntitle: Twin\n---\nx\n")
    for path, (data, _) in BAD.items():
        repo.write(path, data)
    repo.write("posts/approved-stale.md", "---\ntitle: S\nstate: approved\n---\nx\n")
    run = gp(repo, "check")
    assert run.code == 1
    for path, (_, message) in BAD.items():
        mine = [line for line in run.lines if line.startswith(path + ":")]
        assert any(message in line for line in mine), (path, mine)
        assert all(line.split(":")[1].isdigit() for line in mine), mine
    assert not any(line.startswith(("posts/good.md", "posts/2019-01-01-twin.md")) for line in run.lines)
    assert "posts/approved-stale.md:3: state is approved with 0 of 1 valid approval(s)" in run.out
    assert "Traceback" not in run.out + run.err


def test_github_actions_gets_annotations(repo):
    repo.write("posts/no-title.md", "---\nstate: draft\n---\nx\n")
    run = gp(repo, "check", env={"GITHUB_ACTIONS": "true"})
    assert run.lines == [
        "posts/no-title.md:1: no 'title'; add a line 'title: ...' to the front matter",
        "::error file=posts/no-title.md,line=1::no 'title'; add a line 'title: ...' to the front matter",
    ]


def test_a_bad_base_is_a_usage_error(repo):
    run = gp(repo, "check", "--base", "no-such-branch")
    assert run.code == 2
    assert "--base 'no-such-branch' is not a commit in this repository" in run.err


# --- the bundled posts ----------------------------------------------------------------------

def test_the_bundled_posts_pass_and_keep_their_provenance():
    run = ok(gp(Repo(PROJECT), "check"))
    assert run.out == "" and "5 file(s) checked, no problems" in run.err
    posts = {p.slug: p for p in load(PROJECT).posts}
    vicente = posts["vicente-monclus-guallar"]
    assert (vicente.source.publication, vicente.source.via) == ("O Crabero", "Huesca-Info")
    assert vicente.translators == ("Paul Sharkey",) and vicente.translation.from_lang == "es"
    steimer = posts["on-leaving-russia-mollie-steimer"]
    assert (steimer.source.author, steimer.source.publication, steimer.source.date) == ("Mollie Steimer", "Freedom", "1924-01")
    assert [(r.publication, r.date) for r in steimer.reprints] == [("Cienfuegos Press Anarchist Review, #4", "1978")]
    memorial = posts["memorial-opposition-and-resistance"]
    assert memorial.translators == ("Szarapow",)
    karaganda = posts["the-tragedy-of-karaganda"]
    assert (karaganda.source.author, karaganda.source.publication) == ("Wayne Foster", "libcom.org")
    assert all(p.state.value == "published" and p.author == "gulaganarchists" and "gulag" in p.tags
               for p in posts.values())


def test_merging_main_into_a_branch_is_not_blamed_on_the_merger(repo):
    into_english(repo)
    branch(repo, "tania-work")
    repo.write("posts/mine.md", "---\ntitle: Mine\nstate: draft\nauthor: Tania Translator\n---\n\nText\n")
    repo.commit("My draft", who=TANIA)
    repo.git("checkout", "-q", "main")
    repo.write("gulagpub.toml", repo.read("gulagpub.toml").replace("approvals_required = 1", "approvals_required = 2"))
    repo.write("posts/theirs.md", "---\ntitle: T\nstate: published\ndate: 2026-01-01\n---\n\nText\n")
    repo.commit("Editors' work\n\nImported-from: elsewhere", who=ALICE)
    repo.git("checkout", "-q", "tania-work")
    repo.git("merge", "-q", "--no-edit", "main", who=TANIA)
    run = gp(repo, "check", "--base", "main")
    assert (run.code, run.out) == (0, "")


def test_a_pull_request_test_merge_by_an_outsider_is_judged_by_its_branch(repo):
    """GitHub checks a pull request on a merge commit it made; combining both
    sides' text is no workflow step, whoever is named as its author."""
    repo.write("posts/essay.md", "---\ntitle: Essay\nstate: draft\nauthor: Alice Editor\n---\n\nOne.\n\nTwo.\n\nThree.\n")
    repo.commit("Essay", who=ALICE)
    branch(repo, "pr")
    repo.write("posts/essay.md", repo.read("posts/essay.md").replace("Three.", "Three, better."))
    repo.commit("Improve the end", who=TANIA)
    repo.git("checkout", "-q", "main")
    repo.write("posts/essay.md", repo.read("posts/essay.md").replace("One.", "One, better."))
    repo.commit("Improve the start", who=BORIS)
    base = repo.git("rev-parse", "HEAD").strip()
    repo.git("checkout", "-q", "--detach")
    repo.git("merge", "-q", "--no-edit", "pr", who=("GitHub", "noreply@github.com"))
    assert "One, better." in repo.read("posts/essay.md") and "Three, better." in repo.read("posts/essay.md")
    run = gp(repo, "check", "--base", base)
    assert (run.code, run.out) == (0, "")


def test_two_files_with_one_id_are_reported_naming_both_with_the_fix(repo):
    # A language version made by copying its post's front matter, `id:` included.
    repo.write("posts/vicente.md", "---\ntitle: Vicente\nid: https://old.example.com/?p=7\nstate: draft\n---\n\nText.\n")
    repo.write("translations/es/vicente.md",
               "---\ntitle: Vicente (es)\nstate: draft\nlang: es\nid: https://old.example.com/?p=7\n---\n\nTexto.\n")
    repo.commit("Two files, one id")
    run = gp(repo, "check")
    assert run.code == 1
    assert run.lines == [
        "translations/es/vicente.md:5: id 'https://old.example.com/?p=7' is also the id of posts/vicente.md: "
        "feed readers would show only one of the two; keep it on the file it belongs to and delete the 'id:' "
        "line of the other (which then gets an id made from its path)"]
    repo.write("translations/es/vicente.md", "---\ntitle: Vicente (es)\nstate: draft\nlang: es\n---\n\nTexto.\n")
    repo.commit("Its own id")
    assert gp(repo, "check").code == 0


# --- the publisher's identity ------------------------------------------------------------

BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
PUBLISHER = f'\n[publisher]\nname = "{BOT[0]}"\nemail = "{BOT[1]}"\n'


def with_publisher(repo: Repo) -> str:
    repo.write("gulagpub.toml", repo.read("gulagpub.toml") + PUBLISHER)
    return repo.commit("The publishing workflow commits as the bot", who=ALICE)


def publishing_run(repo: Repo, now: str) -> None:
    act_as(repo.root, BOT)
    ok(gp(repo, "publisher", "--git-config"))
    ok(gp(repo, "publish", "--no-announce", "--now", now, "--out", str(repo.root.parent / "site")))


def test_the_publishers_commits_pass_on_main_after_several_runs(repo):
    base = with_publisher(repo)
    approved(repo, "posts/one.md")
    publishing_run(repo, "2026-12-01T10:00:00Z")
    approved(repo, "posts/two.md")
    publishing_run(repo, "2026-12-02T10:00:00Z")
    publishing_run(repo, "2026-12-03T10:00:00Z")  # nothing due: no commit
    # The announcer's ledger records, appended as the bot.
    repo.write("announcements.jsonl", '{"network": "mastodon", "path": "posts/one.md", "post": "x1", '
                                      '"state": "posted", "at": "2026-12-02T10:00:00Z"}\n')
    repo.commit("Announce: 1 change(s) to the ledger\n\nGulagpub-Command: announce", who=BOT)
    repo.write("announcements.jsonl", repo.read("announcements.jsonl") + '{"path": "posts/two.md", '
               '"post": "x2", "state": "posted", "at": "2026-12-03T10:00:00Z"}\n')
    repo.commit("Announce: 1 change(s) to the ledger\n\nGulagpub-Command: announce", who=BOT)
    log = repo.git("log", "--format=%an %s", f"{base}..HEAD")
    assert log.count("github-actions[bot] Publish posts/") == 2
    run = gp(repo, "check", "--base", base)
    assert (run.code, run.out) == (0, ""), run.out


def test_anything_else_under_the_publishers_identity_is_refused(repo):
    base = with_publisher(repo)
    path = approved(repo)
    publishing_run(repo, "2026-12-01T10:00:00Z")
    repo.write("announcements.jsonl", '{"path": "posts/vicente.md", "post": "x1", "state": "posted", '
                                      '"at": "2026-12-02T10:00:00Z"}\n')
    repo.commit("Announce", who=BOT)
    good = repo.git("rev-parse", "HEAD").strip()
    repo.write(path, repo.read(path).replace("Abiego", "Moscow"))
    forged = repo.commit("Publish posts/vicente.md: Vicente", who=BOT)
    repo.write("announcements.jsonl", repo.read("announcements.jsonl").replace("posted", "skipped"))
    rewritten = repo.commit("Announce", who=BOT)
    repo.write("templates/base.html", "<script>alert(1)</script>")
    repo.write("posts/new.md", "---\ntitle: New\nstate: draft\n---\n\nText.\n")
    other = repo.commit("Publish", who=BOT)
    run = gp(repo, "check", "--base", base)
    may = ("which may only publish due approved posts (`gulagpub publish`) and append records to "
           "announcements.jsonl (`gulagpub announce`); make any other change under your own name")
    me = f"committed under the publisher's identity ({BOT[0]} <{BOT[1]}>), {may}"
    assert run.code == 1
    assert run.lines == [
        f"posts/vicente.md:3: commit {forged[:10]} by {BOT[1]}: {me}",
        f"announcements.jsonl: commit {rewritten[:10]} by {BOT[1]}: {me}: changed or removed records "
        "already in announcements.jsonl (the ledger is only appended to)",
        f"posts/new.md:3: commit {other[:10]} by {BOT[1]}: {me}",
        f"templates/base.html: commit {other[:10]} by {BOT[1]}: {me}: changed templates/base.html",
    ]
    # What the bot did before the forgeries (a publication, a record appended) passes.
    repo.git("checkout", "-q", good)
    assert ok(gp(repo, "check", "--base", base)).out == ""


def test_without_a_publisher_the_check_says_how_to_add_one(repo):
    base = repo.git("rev-parse", "HEAD").strip()
    path = approved(repo)
    act_as(repo.root, BOT)
    run = gp(repo, "publisher")
    assert run.code == 1
    assert run.err == (
        "error: gulagpub.toml has no [publisher]: the identity the publishing workflow commits as, which "
        "`gulagpub check --base` accepts promotions and announcement records from. An editor adds it (one "
        f"commit; GitHub Actions commits as this bot):\n\n[publisher]\nname = \"{BOT[0]}\"\nemail = \"{BOT[1]}\"\n\n")
    ok(gp(repo, "publish", "--no-announce", "--now", "2026-12-01T10:00:00Z", "--out", str(repo.root.parent / "s")))
    sha = repo.git("rev-parse", "HEAD").strip()
    run = gp(repo, "check", "--base", base)
    assert run.code == 1
    assert run.lines == [
        f"{path}:2: commit {sha[:10]} by {BOT[1]}: the author is not on the team; changes to content come from "
        "team members (an editor adds people with `gulagpub team add`; GitHub web commits map through the "
        "member's 'github' login); it was made by `gulagpub publish`/`announce`: if "
        f"{BOT[1]} is your publishing workflow, an editor adds a [publisher] section to gulagpub.toml with "
        f"name = \"{BOT[0]}\" and email = \"{BOT[1]}\" (commits before that one stay refused: each "
        "commit is judged by the settings before it)"]


def test_the_publisher_is_not_a_person_on_the_team(repo):
    repo.write("gulagpub.toml", repo.read("gulagpub.toml") + '\n[publisher]\nname = "x"\nemail = "tania@example.org"\n')
    run = gp(repo, "check")
    assert run.code == 1
    assert "publisher.email tania@example.org is also a team member's; the publisher is the bot's own identity, " \
           "which no person commits as" in run.out + run.err


def test_a_translator_submitting_her_own_original_draft_passes(repo):
    branch(repo, "tania-writes")
    repo.write("posts/butyrki.md", "---\ntitle: Butyrki\nstate: draft\nauthor: Tania Translator\n---\n\nMine.\n")
    repo.commit("Draft", who=TANIA)
    repo.write("posts/butyrki.md", repo.read("posts/butyrki.md").replace("state: draft", "state: review"))
    repo.commit("Submit", who=TANIA)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 0, run.err


def test_naming_herself_the_author_does_not_let_a_translator_submit_someone_elses_draft(repo):
    repo.write("posts/essay.md", "---\ntitle: Essay\nstate: draft\nauthor: Boris Editor\n---\n\nHis.\n")
    repo.commit("Draft", who=BORIS)
    branch(repo, "tania-takes")
    repo.write("posts/essay.md", repo.read("posts/essay.md").replace("state: draft", "state: review")
               .replace("Boris Editor", "Tania Translator"))
    sha = repo.commit("Submit", who=TANIA)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    assert run.lines == [
        f"posts/essay.md:3: commit {sha[:10]} by tania@example.org: draft -> review: Tania Translator "
        "<tania@example.org> is not the author of posts/essay.md; only its author or an editor may submit an "
        "original draft"]


START_AFRESH = ("if this branch's pull request was merged before, it is done: start a new branch from upstream/main "
                "(`git fetch upstream` then `git switch -c NEW-NAME upstream/main`, or on GitHub sync your fork and "
                "make a new branch) and make the change there")


def test_a_reused_merged_branch_is_told_to_start_afresh(repo):
    """Tania's branch was merged and its post published since; her branch
    still holds `state: review`, and what she does there goes back."""
    repo.write("posts/carta.md", "---\ntitle: Carta\nstate: published\ndate: 2024-01-05 10:00\n---\n\nTexto.\n")
    repo.commit("Import", who=ALICE)
    branch(repo, "tania-es")
    repo.write("posts/carta.md", repo.read("posts/carta.md").replace("state: published", "state: review")
               + "Más texto.\n")
    sha = repo.commit("More", who=TANIA)
    run = gp(repo, "check", "--base", "main")
    assert run.code == 1
    assert f"posts/carta.md:3: commit {sha[:10]} by tania@example.org: published -> review is not a step of the " \
           f"workflow (see docs/workflow.md); {START_AFRESH}" in run.lines
    pr = gp(repo, "check", "--base", "main", "--pr-author", "tania-gh")
    assert pr.code == 1
    assert "published -> review is not a step of the workflow (see docs/workflow.md); " + START_AFRESH in pr.out


def test_submitting_again_on_a_reused_branch_is_told_to_start_afresh(repo):
    path = post_in_review(repo)
    repo.write(path, repo.read(path) + "A correction.\n")
    repo.commit("Correct", who=TANIA)
    run = gp(repo, "submit", path, who=TANIA)
    assert (run.code, run.err) == (1, f"error: cannot submit {path}: {path} is review, and review -> review is not "
                                      f"a step of the workflow (see docs/workflow.md); {START_AFRESH}\n")
