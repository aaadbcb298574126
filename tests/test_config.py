"""gulagpub.toml: every setting validated (type, range, not empty), all
problems listed at once with their lines, the same for `check` and `build`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import BASE_CONFIG, Repo
from flow import gp
from gulagpub.config import OUTPUT_EXTRA, LimitSettings, Size, parse_config, parse_size
from gulagpub.errors import ConfigError


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return str(caught.value).splitlines()


def test_the_test_settings_are_valid_and_limits_have_their_defaults() -> None:
    config = parse_config(BASE_CONFIG)
    assert config.limits == LimitSettings()
    assert (config.limits.tags, config.limits.categories, config.limits.file_size) == (50, 50, 20_000_000)
    assert config.limits.output_size is None
    assert config.limits.output_limit(3_000_000) == 10 * 3_000_000 + OUTPUT_EXTRA == 1_030_000_000


def test_limits_are_read_with_sizes_in_units() -> None:
    config = parse_config(BASE_CONFIG + '\n[limits]\ntags = 5\noutput_size = "2 GB"\nfile_size = "1.5 MiB"\n')
    assert config.limits.tags == 5
    assert config.limits.output_size == 2 * 10**9 and config.limits.output_limit(10**12) == 2 * 10**9
    assert config.limits.file_size == int(1.5 * 2**20) and isinstance(config.limits.file_size, Size)
    assert parse_size("20 MB") == 20_000_000 and parse_size(7) == 7
    assert parse_size("lots") is None and parse_size(True) is None


def test_every_problem_is_listed_at_once_each_on_its_line() -> None:
    text = BASE_CONFIG.replace('timezone = "Europe/Madrid"',
                               'timezone = "Europe/Madrid"\nper_page = 0\npermalink = "/../{slug}/"')
    text = text.replace('email = "tania@example.org"', 'email = ""')
    text += '\n[limits]\ntags = -1\nnesting = "deep"\n\n[mastodon]\nlimit = -3\n'
    lines = text.splitlines()

    def at(line: str) -> int:
        return lines.index(line) + 1

    permalink, email, nesting = 'permalink = "/../{slug}/"', 'email = ""', 'nesting = "deep"'
    found = problems(text)
    assert found == [
        f"gulagpub.toml:{at('per_page = 0')}: site.per_page must be a whole number, from 1 to 1000 (got 0)",
        f"gulagpub.toml:{at(permalink)}: site.permalink '/../{{slug}}/' may "
        "not hold '.' or '..' segments or '//': every page must stay inside the site",
        f"gulagpub.toml:{at(email)}: [[team]] #3 (Tania Translator) needs an e-mail "
        "address (what `git config user.email` says when they act), like email = \"name@example.org\" (got '')",
        f"gulagpub.toml:{at('tags = -1')}: limits.tags must be a whole number, 1 or more (got -1)",
        f"gulagpub.toml:{at(nesting)}: limits.nesting must be a whole number, 1 or more (got 'deep')",
        f"gulagpub.toml:{at('limit = -3')}: mastodon.limit must be a whole number, 0 or more (got -3)",
    ]


@pytest.mark.parametrize("permalink, says", [
    ("/{year}/{slug}/", None),
    ("/{lang}/{slug}.html/", None),
    ("/{year}/", "must hold {slug}"),
    ("{slug}/", "must start and end with '/'"),
    ("/a/../../{slug}/", "'..' segments"),
    ("/{slug.__class__}/", "has the placeholder {slug.__class__}"),
    ("/{slug!r}/", "has the placeholder {slug!r}"),
    ("/{slug:>9}/", "has the placeholder {slug:>9}"),
    ("/{title}/{slug}/", "has the placeholder {title}"),
    ("/{slug}/?x=1/", "may hold only letters"),
    ("/{slug}//", "'//'"),
    ("/{slug/", "is not a template"),
])
def test_a_permalink_can_never_leave_the_site(permalink: str, says: str | None) -> None:
    text = BASE_CONFIG.replace('lang = "en"', f'lang = "en"\npermalink = "{permalink}"', 1)
    if says is None:
        assert parse_config(text).site.permalink == permalink
    else:
        found = problems(text)
        assert len(found) == 1 and says in found[0], found


@pytest.mark.parametrize("change, says", [
    (("[[team]]\nname = \"Alice Editor\"", "[[teem]]\nname = \"Alice Editor\""), "unknown section 'teem'"),
    (('roles = ["editor"]\nlangs = ["en", "es"]', 'roles = []\nlangs = ["en", "es"]'), "roles must be a list"),
    (('name = "Boris Editor"', 'name = "  "'), "needs a name"),
    (('email = "boris@example.org"', 'email = "boris"'), "needs an e-mail address"),
    (('email = "boris@example.org"', 'email = "alice@example.org"'), "is listed twice in the team"),
    (('github = "boris-gh"', 'github = "alice-gh"'), "is also #1's"),
    (('github = "boris-gh"', 'github = "not a login"'), "must be a GitHub login"),
    (('langs = ["en", "ru"]', 'langs = ["en_GB"]'), "langs must be a list of language tags"),
    (('github = "boris-gh"', 'github = "boris-gh"\nsigning_key = "not a key"'), "must be an SSH public key"),
    (('approvals_required = 1', 'approvals_required = 3'), "the team has 2 editor(s)"),
    (('approvals_required = 1', 'approvals_required = true'), "must be a whole number"),
    (('title = "Test Blog"', 'title = ""'), "site.title is empty"),
    (('base_url = "https://blog.example.org/"', 'base_url = "ftp://x"'), "absolute http(s) URL"),
])
def test_team_and_workflow_settings_are_checked(change: tuple[str, str], says: str) -> None:
    assert change[0] in BASE_CONFIG
    found = problems(BASE_CONFIG.replace(*change))
    assert any(says in line for line in found), found


def test_a_team_is_required_and_needs_an_editor() -> None:
    site = '[site]\ntitle = "T"\nbase_url = "https://t.example/"\n'
    assert "no [[team]]: add at least one editor" in problems(site)[0]
    found = problems(site + '[[team]]\nname = "T"\nemail = "t@t.example"\nroles = ["translator"]\n')
    assert found == ['gulagpub.toml:4: the team has no editor; give someone roles = ["editor"] '
                     "(only editors approve, publish and change these settings)"]


def test_one_key_for_two_people_is_refused(tmp_path: Path) -> None:
    from conftest import ssh_keygen

    key = ssh_keygen(tmp_path / "k", "k").read_text().strip()
    text = BASE_CONFIG.replace('github = "alice-gh"', f'github = "alice-gh"\nsigning_key = "{key}"')
    text = text.replace('github = "tania-gh"', f'github = "tania-gh"\nsigning_key = "{key}"')
    assert any("signing_key is also #1's" in line for line in problems(text))


def test_check_and_build_refuse_bad_settings_alike(repo: Repo, tmp_path: Path) -> None:
    repo.write("gulagpub.toml", BASE_CONFIG.replace('timezone = "Europe/Madrid"',
                                                     'timezone = "Europe/Madrid"\nper_page = 0')
               + "\n[limits]\ncategories = -2\n")
    check = gp(repo, "check")
    build = gp(repo, "build", "--out", str(tmp_path / "site"))
    assert check.code == build.code == 1
    assert "site.per_page must be a whole number, from 1 to 1000 (got 0)" in check.err
    assert "limits.categories must be a whole number, 1 or more (got -2)" in check.err
    expected = [line for line in check.err.splitlines() if line.startswith(("error: ", "gulagpub.toml"))]
    assert [line for line in build.err.splitlines() if line.startswith(("error: ", "gulagpub.toml"))] == expected
    assert "Traceback" not in check.err + build.err
    assert not (tmp_path / "site").exists()


def test_the_documented_settings_are_valid_and_hold_every_limit() -> None:
    from conftest import PROJECT

    doc = (PROJECT / "docs" / "content-model.md").read_text(encoding="utf-8")
    block = doc.split("## gulagpub.toml", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(block.replace("AAAA...", "AAAAC3NzaC1lZDI1NTE5"))  # (the key is a placeholder)
    assert config.limits == LimitSettings()  # the defaults, as documented
    written = {line.split("=")[0].strip("# ").strip() for line in block.split("[limits]")[1].splitlines() if "=" in line}
    assert written == {f for f in LimitSettings.__dataclass_fields__}
