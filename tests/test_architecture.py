"""The shape of the code: the pure core imports no edge module nor the CLI,
and the stages of the build are modules of their own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "gulagpub"

# Values in, values out: no files, git, network, clock or processes (docs/architecture.md).
CORE = {"errors", "citation", "model", "records", "frontyaml", "workflow", "config", "yamlsubset", "postfile",
        "xmlsafe", "render", "feeds", "catalog", "taxonomy", "navigation", "slugs", "urls", "promotion", "compose",
        "ledger", "comments", "wpmarkup", "wpmedia", "relative", "languages", "issueform"}
EDGE = {"i18n", "store", "lock", "reading", "media", "images", "content", "gitstore", "history", "historyindex",
        "site", "theme",
        "sources", "feedentries", "traces", "parallel", "preview", "network", "mastodon", "bluesky",
        "announce", "importer", "wordpress", "download", "build", "outputs", "pages", "editorial", "publisher", "check",
        "pullrequest", "originals", "corrections", "revisions", "search", "cli"}


def imports_of(module: str, src: Path = SRC) -> set[str]:
    """The gulagpub modules `module` imports, at the top or inside functions."""
    tree = ast.parse((src / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gulagpub."):
            found.add(node.module.split(".")[1])  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("gulagpub."))
    return found


def test_every_module_is_placed() -> None:
    modules = {p.stem for p in SRC.glob("*.py")} - {"__init__", "__main__"}
    assert modules - CORE - EDGE == set(), "place new modules in CORE or EDGE (and docs/architecture.md)"


@pytest.mark.parametrize("module", sorted(CORE))
def test_a_core_module_imports_only_the_core(module: str) -> None:
    reached = imports_of(module) & EDGE
    assert not reached, f"{module} (core) imports {sorted(reached)}: move the I/O to an edge module"


def test_model_and_postfile_do_not_import_each_other() -> None:
    assert not ("postfile" in imports_of("model") and "model" in imports_of("postfile"))


def test_the_check_sees_an_edge_import_anywhere_in_a_core_module(tmp_path: Path) -> None:
    # A copy of urls.py reaching git from inside a function, and the store by its full name.
    code = (SRC / "urls.py").read_text(encoding="utf-8")
    code += "\ndef sneaky():\n    from . import gitstore\n    from gulagpub.store import Sealer\n"
    (tmp_path / "urls.py").write_text(code)
    assert imports_of("urls", tmp_path) & EDGE == {"gitstore", "store"}
    assert imports_of("urls") & EDGE == set()


def test_importing_the_library_runs_no_git_and_reads_no_file() -> None:
    probe = ("import builtins, subprocess, sys\n"
             "def refuse(*a, **k): raise SystemExit('ran ' + repr(a[:1]))\n"
             "subprocess.Popen = refuse\n"
             "import gulagpub.build, gulagpub.content, gulagpub.editorial, gulagpub.check\n"
             "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
