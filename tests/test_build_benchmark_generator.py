"""The build benchmark's corpus generator (benchmarks/build_corpus.py): the same
small blog as a valid gulagpub repository, a Pelican project and a Hugo
site. No Pelican or Hugo is run here; benchmarks/build_bench.py does that."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import PROJECT
from gulagpub.cli import main

N = 12


def _load(name: str, file: str):
    """A script of benchmarks/ (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(name, PROJECT / "benchmarks" / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load("bench_corpus", "build_corpus.py")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("bench") / "corpus"
    stamp = corpus.ensure(root, N, 7, ["gulagpub", "pelican", "hugo"])
    return root, stamp


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def test_gulagpub_corpus_passes_check_and_is_committed(generated: tuple[Path, dict]) -> None:
    root, _ = generated
    result = CliRunner().invoke(main, ["-C", str(root / "gulagpub"), "check"])
    assert result.exit_code == 0, result.output
    assert f"{N} file(s) checked, no problems" in result.stderr
    status = subprocess.run(["git", "status", "--porcelain"], cwd=root / "gulagpub",
                            capture_output=True, text=True, check=True).stdout
    assert status == ""  # everything committed: dates of changes come from git


def test_gulagpub_corpus_has_posts_and_language_versions(generated: tuple[Path, dict]) -> None:
    root, _ = generated
    posts = sorted((root / "gulagpub" / "posts").glob("*.md"))
    versions = sorted((root / "gulagpub" / "translations").glob("*/*.md"))
    assert len(posts) + len(versions) == N
    assert len(versions) == round(N * corpus.LANG_SHARE) >= 1
    for v in versions:
        assert v.parent.name in ("es", "ru")
        assert (root / "gulagpub" / "posts" / v.name).exists()
    for p in posts:
        meta = _front_matter(p)
        assert meta["state"] == "published"
        assert 1 <= len(meta["tags"]) <= 5
        assert len(meta["categories"]) == 1
        assert meta["source"]["publication"]
        words = len(p.read_text(encoding="utf-8").split("---\n", 2)[2].split())
        assert 550 <= words <= 1100, (p.name, words)


def test_pelican_and_hugo_corpora_have_the_same_posts(generated: tuple[Path, dict]) -> None:
    root, _ = generated
    names = {p.stem for p in (root / "gulagpub" / "posts").glob("*.md")}
    versions = {(p.parent.name, p.stem) for p in (root / "gulagpub" / "translations").glob("*/*.md")}

    pelican = root / "pelican"
    conf = (pelican / "pelicanconf.py").read_text()
    for setting in ("FEED_ALL_ATOM", "FEED_ALL_RSS", "CATEGORY_FEED_ATOM", "CATEGORY_FEED_RSS",
                    "TAG_FEED_ATOM", "TAG_FEED_RSS"):
        assert re.search(rf"^{setting} = \"feeds/", conf, re.M), setting
    files = {p.name for p in (pelican / "content").glob("*.md")}
    assert files == {f"{n}.md" for n in names} | {f"{n}-{lang}.md" for lang, n in versions}
    some = next(iter(versions))
    text = (pelican / "content" / f"{some[1]}-{some[0]}.md").read_text(encoding="utf-8")
    assert f"Lang: {some[0]}\n" in text and "Translation: true\n" in text

    hugo = root / "hugo"
    toml = (hugo / "hugo.toml").read_text()
    for kind in ("home", "section", "taxonomy", "term"):
        assert f'{kind} = ["html", "rss"]' in toml
    for layout in ("_default/baseof.html", "_default/single.html", "_default/list.html",
                   "_default/terms.html", "_default/rss.xml", "index.html"):
        assert (hugo / "layouts" / layout).exists(), layout
    files = {p.name for p in (hugo / "content" / "posts").glob("*.md")}
    assert files == {f"{n}.md" for n in names} | {f"{n}.{lang}.md" for lang, n in versions}
    meta = _front_matter(hugo / "content" / "posts" / f"{sorted(names)[0]}.md")
    assert meta["tags"] and meta["categories"] and meta["date"].endswith("Z")


def test_same_seed_same_corpus_and_kept_corpus_is_reused(tmp_path: Path,
                                                         generated: tuple[Path, dict]) -> None:
    root, stamp = generated
    again = corpus.ensure(tmp_path / "again", N, 7, ["gulagpub"])
    assert again["edit"] == stamp["edit"]
    for p in (root / "gulagpub" / "posts").glob("*.md"):
        assert (tmp_path / "again" / "gulagpub" / "posts" / p.name).read_bytes() == p.read_bytes()
    assert corpus.ensure(tmp_path / "again", N, 7, ["gulagpub"])["reused"] is True


def test_benchmark_times_gulagpub_on_a_tiny_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load("bench_build", "build_bench.py")
    gulagpub = str(Path(sys.executable).parent / "gulagpub")
    rc = bench.main(["--sizes", str(N), "--runs", "1", "--tools", "gulagpub", "--gulagpub", gulagpub,
                     "--keep", str(tmp_path / "work"), "--results", str(tmp_path / "results")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert re.search(rf"^gulagpub +{N} full +\d+\.\d{{3}}", out, re.M), out
    assert re.search(rf"^gulagpub +{N} one edit +\d+\.\d{{3}}", out, re.M), out
    [result] = (tmp_path / "results").glob("build-*.json")
    rows = json.loads(result.read_text())["rows"]
    assert [(r["tool"], r["kind"]) for r in rows] == [("gulagpub", "full"), ("gulagpub", "edit")]
    assert rows[0]["output"]["html"] > N and rows[0]["output"]["atom"] > 0
    assert all(r["median"] > 0 and r["peak_mb"] > 0 and not r["failed"] for r in rows)
    # The edited post is back as generated, and its edits are not in the history.
    repo = tmp_path / "work" / f"corpus-{N}-seed1917" / "gulagpub"
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True).stdout
    assert len(log.splitlines()) == 1
    # What full builds moved aside is deleted at the end, not left on the disk.
    assert not (tmp_path / "work" / "trash").exists()


def test_floor_benchmark_measures_the_site_it_is_given(tmp_path: Path, generated: tuple[Path, dict],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    floor = _load("bench_floor", "build_floor.py")
    root, _ = generated
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["-C", str(root / "gulagpub"), "build", "--out", str(site)])
    assert result.exit_code == 0, result.output
    folders = sum(1 for p in site.rglob("*") if p.is_dir())
    files = [p for p in site.rglob("*") if p.is_file()]
    assert floor.main(["--corpus", str(root / "gulagpub"), "--site", str(site), "--runs", "1",
                       "--results", str(tmp_path / "results")]) == 0
    out = capsys.readouterr().out
    assert f"render: {N} files" in out, out
    assert f"write: {folders} folders, {len(files)} files" in out, out
    [saved] = (tmp_path / "results").glob("floor-*.json")
    data = json.loads(saved.read_text())
    assert data["write"]["bytes"] == sum(p.stat().st_size for p in files)
    assert all(r["wall"] > 0 and r["cpu"] > 0 for runs in data["write"]["runs"].values() for r in runs)
    assert data["render"][0]["markdown_cpu"] > 0
    # The copies it wrote are gone (its manifest is in the repository's state folder); the site is untouched.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "site"]
    assert sum(1 for p in site.rglob("*") if p.is_file()) == len(files)


def test_floor_benchmark_refuses_a_folder_that_is_not_a_site(tmp_path: Path, generated: tuple[Path, dict],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    floor = _load("bench_floor", "build_floor.py")
    root, _ = generated
    with pytest.raises(SystemExit) as exc:
        floor.main(["--corpus", str(root / "gulagpub"), "--site", str(tmp_path), "--runs", "1"])
    assert exc.value.code == 2
    assert "not a built site" in capsys.readouterr().err
