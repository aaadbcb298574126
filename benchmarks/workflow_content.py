"""A large, realistic content repository for the workflow benchmark.

`plan()` decides, from a seed, every commit of a content repository's history:
a team set up with `init` and `team add`, archive imports of published posts,
and posts that go through the editorial workflow one commit per action
(draft -> translation -> review -> approved -> published, with edits and
requested changes), each commit authored by the team member who acts, with
`Post:` and `Transition:` trailers. A side branch off main holds a translator's
pull request: translations edited and submitted, some approved by an editor —
only legal changes, so `gulagpub check --base main` passes on it.

`write()` feeds the whole history to ONE `git fast-import` process (50,000
`git commit`s would take an hour), then checks the side branch out.

The same seed and number of posts give the same post files whatever the number
of commits: with fewer commits, more posts enter as archive imports and fewer
go through the workflow, but every post, the long-history post and the side
branch are the same. That is what lets the benchmark compare a command's time
at 10,000 and 50,000 commits of history.
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from gulagpub.model import content_digest

GENERATOR_VERSION = 1
TZ = ZoneInfo("Europe/Madrid")
HISTORY_START = datetime(2015, 1, 5, 9, 0, tzinfo=TZ)
HISTORY_END = datetime(2026, 10, 30, 18, 0, tzinfo=TZ)
BRANCH = "tania-translations"
MAIN = "main"
IMPORT_BATCH = 100  # posts per archive-import commit, at most


@dataclass(frozen=True)
class Member:
    name: str
    email: str
    roles: tuple[str, ...]
    langs: tuple[str, ...]

    @property
    def ident(self) -> str:
        return f"{self.name} <{self.email}>"

    def is_editor(self) -> bool:
        return "editor" in self.roles

    def is_translator(self) -> bool:
        return "translator" in self.roles


TEAM = (
    Member("Alice Editor", "alice@example.org", ("editor",), ("en", "es")),
    Member("Boris Editor", "boris@example.org", ("editor",), ("en", "ru")),
    Member("Clara Editor", "clara@example.org", ("editor",), ("en", "de")),
    Member("Dmitri Editor", "dmitri@example.org", ("editor", "translator"), ("en", "ru", "uk")),
    # Translators list the language they translate into (en) with those they read.
    Member("Tania Translator", "tania@example.org", ("translator",), ("en", "es", "ru")),
    Member("Pablo Translator", "pablo@example.org", ("translator",), ("en", "es", "ca")),
    Member("Olga Translator", "olga@example.org", ("translator",), ("en", "ru", "uk")),
    Member("Marek Translator", "marek@example.org", ("translator",), ("en", "pl", "ru")),
)
EDITORS = tuple(m for m in TEAM if m.is_editor())
TRANSLATORS = tuple(m for m in TEAM if m.is_translator())
ALICE, BORIS = TEAM[0], TEAM[1]
TANIA = TEAM[4]  # the translator of the side branch
BRANCH_EDITOR = BORIS  # the editor who approves on the side branch
SOURCE_LANGS = ("es", "ru", "ru", "ru", "uk", "pl", "de", "ca")

# Posts with a fixed role, whatever the size: index 0 has the long history,
# 1-3 are in translation with Tania at main's tip, 4-7 await review.
LONG_POST = 0
BRANCH_TRANSLATING = (1, 2, 3)
BRANCH_REVIEWING = (4, 5, 6, 7)
RESERVED = 1 + len(BRANCH_TRANSLATING) + len(BRANCH_REVIEWING)

_FALLBACK_WORDS = (
    "camp prison letter exile comrades anarchist union labour arrest sentence years Moscow "
    "Solovki Kolyma Vorkuta Karaganda trial escape family released deported group archive "
    "memoir witness prisoners hunger strike winter railway mine forest journal report "
    "freedom solidarity committee newspaper testimony interrogation transport barracks"
).split()

TOML = """\
[site]
title = "Anarchists in the Gulag (benchmark copy)"
base_url = "https://gulaganarchists.example.org/"
lang = "en"
timezone = "Europe/Madrid"
description = "Generated content for gulagpub's workflow benchmark."

[workflow]
approvals_required = 1
"""


def team_toml(member: Member) -> str:
    roles = ", ".join(f'"{r}"' for r in member.roles)
    langs = ", ".join(f'"{x}"' for x in member.langs)
    return (f'\n[[team]]\nname = "{member.name}"\nemail = "{member.email}"\n'
            f"roles = [{roles}]\nlangs = [{langs}]\n")


# --- front matter, written by hand for speed: every string double-quoted
# (JSON strings are YAML), so what YAML reads back equals what we hold and
# model.content_digest() over our dict equals the digest gulagpub computes.

_PLAIN = re.compile(r"^[a-z][a-z0-9.@-]*$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _q(value: str) -> str:
    if _PLAIN.match(value) and value not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def render(meta: dict[str, Any], body: str) -> str:
    out = ["---"]
    for key, value in meta.items():
        if isinstance(value, str):
            out.append(f"{key}: {_q(value)}")
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out.append(f"{key}: [{', '.join(_q(v) for v in value)}]")
        elif isinstance(value, dict):
            out.append(f"{key}:")
            out += [f"  {k}: {_q(v)}" for k, v in value.items()]
        elif isinstance(value, list):  # of mappings (reviews)
            out.append(f"{key}:")
            for item in value:
                pairs = [f"{k}: {_q(v)}" for k, v in item.items()]
                out.append("- " + pairs[0])
                out += ["  " + p for p in pairs[1:]]
        else:
            raise TypeError(f"cannot write {key}={value!r}")
    out.append("---")
    return "\n".join(out) + "\n\n" + body.strip("\n") + "\n"


@dataclass
class PostState:
    path: str
    meta: dict[str, Any]
    body: str
    creator: Member
    translator: Member | None = None
    edits: int = 0

    @property
    def title(self) -> str:
        return str(self.meta["title"])

    def text(self) -> str:
        return render(self.meta, self.body)


@dataclass
class Commit:
    author: Member
    when: datetime
    subject: str
    trailers: list[tuple[str, str]]
    files: dict[str, str]  # path -> new text
    body: str = ""

    def message(self) -> str:
        msg = self.subject + "\n"
        if self.body:
            msg += "\n" + self.body + "\n"
        if self.trailers:
            msg += "\n" + "\n".join(f"{k}: {v}" for k, v in self.trailers) + "\n"
        return msg


@dataclass
class Step:
    """One planned commit of one post: its time on [0, 1) and what happens."""

    time: float
    post: int
    action: str  # create | assign | edit | submit | request | approve | publish
    actor: Member


@dataclass
class Plan:
    posts: int
    commits: int
    seed: int
    setup: int = 0
    workflow_posts: int = 0
    imports: list[tuple[float, list[int]]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    branch: list[tuple[str, int, Member]] = field(default_factory=list)
    translators: dict[int, Member] = field(default_factory=dict)
    from_langs: dict[int, str] = field(default_factory=dict)


class Writer:
    """Text for titles and bodies, deterministic from the seed."""

    def __init__(self, seed: int, words: list[str]) -> None:
        self.rng = random.Random(seed)
        self.words = words

    def sentence(self, n: int | None = None) -> str:
        n = n or self.rng.randint(8, 22)
        s = " ".join(self.rng.choices(self.words, k=n))
        return s[:1].upper() + s[1:] + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 7)))


def vocabulary(project: Path | None) -> list[str]:
    """Words from the bundled posts (real prose makes realistic sizes), or a
    fallback list."""
    words: list[str] = []
    if project is not None:
        for f in sorted((project / "posts").glob("*.md")):
            text = f.read_text(encoding="utf-8").split("---", 2)[-1]
            words += [w for w in re.findall(r"[^\W\d_][\w’'-]*", text) if len(w) > 1]
    return words if len(words) > 500 else list(_FALLBACK_WORDS)


# --- the plan -------------------------------------------------------------

def _lifecycle(i: int, rng: random.Random) -> tuple[str, list[str]]:
    """The final state of workflow post `i` and its actions, in order."""
    if i == LONG_POST:
        return "published", (["create", "assign"] + ["edit"] * 8 + ["submit", "request"]
                             + ["edit"] * 6 + ["submit", "request"] + ["edit"] * 5
                             + ["submit", "approve", "publish"])
    if i in BRANCH_TRANSLATING:
        final = "translation"
    elif i in BRANCH_REVIEWING:
        final = "review"
    else:
        r = rng.random()
        final = ("draft" if r < 0.05 else "translation" if r < 0.13 else "review" if r < 0.20
                 else "approved" if r < 0.25 else "published")
    actions = ["create"]
    if final == "draft":
        return final, actions + ["edit"] * rng.randint(0, 1)
    actions += ["assign"] + ["edit"] * rng.randint(1, 3)
    if final == "translation":
        return final, actions
    actions.append("submit")
    if rng.random() < 0.15:
        actions += ["request", "edit", "submit"]
    if final == "review":
        return final, actions
    actions.append("approve")
    return final, actions + (["publish"] if final == "published" else [])


def plan(posts: int, commits: int, seed: int = 1, branch_commits: int = 20) -> Plan:
    """Decide every commit. `commits` counts main's history; the side branch
    adds `branch_commits` more."""
    if posts < RESERVED + 1:
        raise ValueError(f"--posts must be at least {RESERVED + 1}")
    p = Plan(posts=posts, commits=commits, seed=seed)
    p.setup = len(TEAM)  # init by the first editor, then one `team add` each
    budget = commits - p.setup
    lifecycles = []
    for i in range(posts):
        rng = random.Random(f"{seed}/life/{i}")
        lifecycles.append(_lifecycle(i, rng))

    def import_commits(n: int) -> int:
        return math.ceil(n / IMPORT_BATCH)

    used = 0
    n = 0
    while n < posts and used + len(lifecycles[n][1]) + import_commits(posts - n - 1) <= budget:
        used += len(lifecycles[n][1])
        n += 1
    minimum = p.setup + sum(len(lc[1]) for lc in lifecycles[:RESERVED]) + import_commits(posts - RESERVED)
    if n < RESERVED:
        raise ValueError(f"--commits must be at least {minimum} for {posts} posts")
    p.workflow_posts = n
    imported = list(range(n, posts))
    n_import = budget - used
    extra = 0
    if n_import > len(imported):  # more commits than imports can take: extra edits
        extra = n_import - len(imported)
        n_import = len(imported)
    actions = [list(lc[1]) for lc in lifecycles[:n]]
    for k in range(extra):  # spread over the ordinary workflow posts (not the fixed ones)
        j = RESERVED + k % max(1, n - RESERVED) if n > RESERVED else 1 + k % (RESERVED - 1)
        acts = actions[j]
        at = acts.index("edit") if "edit" in acts else (acts.index("assign") + 1 if "assign" in acts else 1)
        acts.insert(at, "edit")

    # Imports: contiguous batches of post numbers, at random times.
    rng = random.Random(f"{seed}/imports")
    if imported:
        sizes = [len(imported) // n_import + (1 if k < len(imported) % n_import else 0)
                 for k in range(n_import)]
        start = 0
        for size in sizes:
            p.imports.append((rng.random(), imported[start:start + size]))
            start += size

    # Workflow steps: each post's actions at increasing times; the long post
    # spans the whole history; the fixed ones end late, before the branch.
    for i in range(n):
        rng = random.Random(f"{seed}/steps/{i}")
        acts = actions[i]
        if i == LONG_POST:
            times = [0.002 + 0.995 * k / len(acts) for k in range(len(acts))]
        else:
            t = rng.uniform(0.55, 0.9) if i < RESERVED else rng.random() * 0.97
            times = []
            for _ in acts:
                times.append(t)
                t += rng.expovariate(1 / 0.002)
        creator = EDITORS[rng.randrange(len(EDITORS))]
        from_lang = SOURCE_LANGS[random.Random(f"{seed}/lang/{i}").randrange(len(SOURCE_LANGS))]
        if i in BRANCH_TRANSLATING:
            translator = TANIA
        else:
            able = [m for m in TRANSLATORS if from_lang in m.langs and m != creator] or list(TRANSLATORS)
            translator = able[rng.randrange(len(able))]
        approvers = [m for m in EDITORS if m not in (creator, translator)]
        if i in BRANCH_REVIEWING:
            approvers = [BRANCH_EDITOR]  # keeps review posts for Boris on the branch
        assigned = False
        for t, act in zip(times, acts):
            assigned = assigned or act == "assign"
            actor = {"create": creator, "assign": creator, "request": approvers[0],
                     "approve": approvers[-1], "publish": creator, "submit": translator,
                     "edit": translator if assigned else creator}[act]
            p.steps.append(Step(time=t, post=i, action=act, actor=actor))
        p.translators[i] = translator
        p.from_langs[i] = from_lang
    p.steps.sort(key=lambda s: (s.time, s.post))

    # The side branch: Tania edits and submits her translations, Boris approves.
    edits_each = max(0, branch_commits - 3 - len(BRANCH_REVIEWING) - 1)
    per = [edits_each // 3 + (1 if k < edits_each % 3 else 0) for k in range(3)]
    reviewing = list(BRANCH_REVIEWING)
    for k, post in enumerate(BRANCH_TRANSLATING):
        for e in range(per[k]):
            p.branch.append(("edit", post, TANIA))
            if e == 1 and reviewing:
                p.branch.append(("approve", reviewing.pop(0), BRANCH_EDITOR))
        p.branch.append(("submit", post, TANIA))
        if reviewing:
            p.branch.append(("approve", reviewing.pop(0), BRANCH_EDITOR))
    p.branch += [("approve", r, BRANCH_EDITOR) for r in reviewing]
    p.branch.append(("approve", BRANCH_TRANSLATING[0], BRANCH_EDITOR))
    p.branch = p.branch[:branch_commits]
    return p


# --- the history, commit by commit -----------------------------------------

KEY_ORDER = ("title", "state", "author", "date", "lang", "tags", "categories", "summary",
             "content_warning", "source", "translation", "reviews", "published_by", "import")
TAGS = ("memoirs", "letters", "solovki", "kolyma", "vorkuta", "karaganda", "spain", "ukraine",
        "poland", "makhnovists", "anarcho-syndicalists", "women", "hunger-strike", "exile")
PUBLICATIONS = ("Freedom", "Golos Truda", "Solidaridad Obrera", "Le Libertaire", "Dielo Truda",
                "Probuzhdenie", "Cienfuegos Press Anarchist Review", "Volna", "CNT", "Umanità Nova")


def ordered(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: meta[k] for k in KEY_ORDER if k in meta}


def slugify(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:6]) or "post"


def _stamp(when: datetime) -> str:
    off = when.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{int(when.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


class History:
    """Turns a Plan into commits, keeping every post's current text."""

    def __init__(self, p: Plan, words: list[str]) -> None:
        self.plan = p
        self.w = Writer(p.seed, words)
        self.posts: dict[int, PostState] = {}
        self.toml = TOML

    def _title(self, i: int) -> str:
        rng = random.Random(f"{self.plan.seed}/title/{i}")
        words = " ".join(rng.choices(self.w.words, k=rng.randint(3, 7)))
        shape = rng.randrange(3)
        if shape == 0:
            return f"{words[:1].upper()}{words[1:]} ({rng.randint(1921, 1956)})"
        if shape == 1:
            return f"Letter from {rng.choice(self.w.words).capitalize()}: {words}"
        return words[:1].upper() + words[1:]

    def _common(self, i: int, title: str, from_lang: str) -> dict[str, Any]:
        rng = random.Random(f"{self.plan.seed}/meta/{i}")
        meta: dict[str, Any] = {"title": title, "author": "gulaganarchists", "lang": "en",
                                "tags": ["gulag", *rng.sample(TAGS, rng.randint(0, 3))]}
        if rng.random() < 0.3:
            meta["categories"] = ["Sources / Links"]
        if rng.random() < 0.4:
            meta["summary"] = self.w.sentence()
        if rng.random() < 0.03:
            meta["content_warning"] = "Descriptions of torture"
        source = {"title": self.w.sentence(rng.randint(3, 6)).rstrip("."),
                  "author": f"{rng.choice(self.w.words).capitalize()} {rng.choice(self.w.words).capitalize()}",
                  "publication": rng.choice(PUBLICATIONS), "date": str(rng.randint(1920, 1990)),
                  "lang": from_lang}
        if rng.random() < 0.3:
            source["url"] = f"https://archive.example.org/doc/{i}"
        meta["source"] = source
        return meta

    # Each action changes one post and returns the commit that records it.
    def create(self, i: int, who: Member, when: datetime) -> Commit:
        from_lang = self.plan.from_langs[i]
        title = self._title(i)
        meta = self._common(i, title, from_lang)
        meta["state"] = "draft"
        # The planned publication time, set by the editor from the start: it is
        # part of what reviewers approve, and `publish` promotes posts once due.
        meta["date"] = (when + timedelta(days=45)).strftime("%Y-%m-%d %H:%M")
        meta["translation"] = {"from_lang": from_lang}
        path = f"posts/{slugify(title)}-{i:05d}.md"
        body = "Source text, to be translated:\n\n" + self.w.paragraph()
        self.posts[i] = PostState(path, ordered(meta), body, who)
        return self._commit(i, who, when, f"New draft {path}", [("Transition", "(new) -> draft")])

    def assign(self, i: int, who: Member, when: datetime) -> Commit:
        post = self.posts[i]
        tr = self.plan.translators[i]
        post.translator = tr
        post.meta["translation"] = {"translator": tr.name, "from_lang": self.plan.from_langs[i]}
        post.meta["state"] = "translation"
        return self._commit(i, who, when, f"Assign {post.path} to {tr.name}",
                            [("Transition", "draft -> translation"), ("Assigned-to", tr.ident)])

    def edit(self, i: int, who: Member, when: datetime) -> Commit:
        post = self.posts[i]
        paras = post.body.split("\n\n")
        if post.meta["state"] == "draft":
            paras.append(self.w.paragraph())
            subject = f"Edit draft: {post.title}"
        elif post.edits == 0:
            paras = [self.w.paragraph() for _ in range(self.w.rng.randint(2, 4))]
            subject = f"Translate {post.title} (first part)"
        elif self.w.rng.random() < 0.6:
            paras.append(self.w.paragraph())
            subject = f"Translate more of {post.title}"
        else:
            paras[self.w.rng.randrange(len(paras))] = self.w.paragraph()
            subject = f"Revise the translation of {post.title}"
        post.body = "\n\n".join(paras)
        post.edits += 1
        return self._commit(i, who, when, subject, None)

    def _move(self, i: int, who: Member, when: datetime, target: str, subject: str,
              by: str, verdict: str | None = None) -> Commit:
        """A state change as `gulagpub` records it, with the review it writes."""
        post = self.posts[i]
        before = post.meta["state"]
        if verdict is not None:
            review = {"by": who.email, "name": who.name, "verdict": verdict, "at": when.isoformat(),
                      "content": content_digest(post.meta, post.body)}
            if verdict != "approved":
                review["note"] = "Please check the names and dates against the source; " + self.w.sentence(6)
            post.meta["reviews"] = [*post.meta.get("reviews", []), review]
            post.meta = ordered(post.meta)
        post.meta["state"] = target
        return self._commit(i, who, when, subject.format(path=post.path),
                            [("Transition", f"{before} -> {target}"), (by, who.ident)])

    def submit(self, i: int, who: Member, when: datetime) -> Commit:
        return self._move(i, who, when, "review", "Submit {path} for review", "Submitted-by")

    def request(self, i: int, who: Member, when: datetime) -> Commit:
        return self._move(i, who, when, "translation", "Request changes to {path}",
                          "Changes-requested-by", "changes-requested")

    def approve(self, i: int, who: Member, when: datetime) -> Commit:
        return self._move(i, who, when, "approved", "Approve {path}", "Approved-by", "approved")

    def publish(self, i: int, who: Member, when: datetime) -> Commit:
        return self._move(i, who, when, "published", "Publish {path}", "Published-by")

    def _commit(self, i: int, who: Member, when: datetime, subject: str,
                trailers: list[tuple[str, str]] | None) -> Commit:
        """A commit as `gulagpub` makes it (subject with the title, trailers),
        or with `trailers=None` as a person makes it with plain git."""
        post = self.posts[i]
        if trailers is not None:
            subject = f"{subject}: {post.title}"
            trailers = [("Post", post.path), *trailers]
        return Commit(who, when, subject, trailers or [], {post.path: post.text()})

    def import_batch(self, batch: list[int], who: Member, when: datetime) -> Commit:
        files = {}
        for i in batch:
            rng = random.Random(f"{self.plan.seed}/import/{i}")
            from_lang = SOURCE_LANGS[rng.randrange(len(SOURCE_LANGS))]
            title = self._title(i)
            meta = self._common(i, title, from_lang)
            day = datetime(2008, 1, 1, tzinfo=TZ) + timedelta(minutes=rng.randrange(7 * 365 * 24 * 60))
            meta["state"] = "published"
            meta["date"] = day.strftime("%Y-%m-%d %H:%M")
            meta["translation"] = {"translator": rng.choice(["Paul Sharkey", "Szarapow", *(m.name for m in TRANSLATORS)]),
                                   "from_lang": from_lang}
            meta["import"] = {"from": "gulaganarchists.wordpress.com archive (exported)"}
            path = f"posts/{slugify(title)}-{i:05d}.md"  # as for workflow posts: same files at any size
            body = "\n\n".join(self.w.paragraph() for _ in range(rng.randint(3, 8)))
            files[path] = render(ordered(meta), body)
        return Commit(who, when, f"Import {len(batch)} published post(s) from the blog's archive",
                      [("Imported-from", "gulaganarchists.wordpress.com archive (exported)")], files,
                      body="Posts published on the old blog enter as they were, as published imports.")

    def commits(self) -> Iterator[tuple[str, Commit]]:
        """(branch, commit) for the whole history: main, then the side branch."""
        p = self.plan
        events: list[tuple[float, int, Any]] = [(s.time, 1, s) for s in p.steps]
        events += [(t, 0, batch) for t, batch in p.imports]
        events.sort(key=lambda e: (e[0], e[1], e[2].post if e[1] else e[2][0]))
        n = p.commits
        span = (HISTORY_END - HISTORY_START) / n
        rng = random.Random(f"{p.seed}/dates")

        def when(k: int) -> datetime:
            t = HISTORY_START + span * (k + rng.random() * 0.8)
            return t.astimezone(TZ).replace(microsecond=0)

        toml = TOML + team_toml(TEAM[0])
        yield MAIN, Commit(TEAM[0], when(0), "Start Anarchists in the Gulag (benchmark copy)",
                           [("Editor", TEAM[0].ident)],
                           {"gulagpub.toml": toml})
        for k, member in enumerate(TEAM[1:], 1):
            toml += team_toml(member)
            roles = ", ".join(member.roles)
            yield MAIN, Commit(TEAM[0], when(k), f"Add {member.name} to the team ({roles})",
                               [("Team-added", member.ident), ("Roles", roles), ("Added-by", TEAM[0].ident)],
                               {"gulagpub.toml": toml})
        k = len(TEAM)
        for _, kind, ev in events:
            if kind == 0:
                yield MAIN, self.import_batch(ev, EDITORS[k % len(EDITORS)], when(k))
            else:
                yield MAIN, getattr(self, ev.action)(ev.post, ev.actor, when(k))
            k += 1
        assert k == n, (k, n)
        t = HISTORY_END + timedelta(hours=2)
        for action, post, who in p.branch:
            t += timedelta(minutes=rng.randint(20, 300))
            yield BRANCH, getattr(self, action)(post, who, t.astimezone(TZ))


def write(root: Path, p: Plan, words: list[str]) -> dict[str, Any]:
    """Make the repository at `root` (a new folder) with ONE git fast-import,
    check the side branch out, and return facts about it."""
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", MAIN, str(root)], check=True)
    proc = subprocess.Popen(["git", "-C", str(root), "fast-import", "--quiet"],
                            stdin=subprocess.PIPE)
    assert proc.stdin is not None
    history = History(p, words)
    mark = 0
    main_tip = 0
    counts = {MAIN: 0, BRANCH: 0}
    out = proc.stdin
    for branch, c in history.commits():
        mark += 1
        msg = c.message().encode("utf-8")
        stamp = _stamp(c.when)
        chunks = [f"commit refs/heads/{branch}\nmark :{mark}\n"
                  f"author {c.author.ident} {stamp}\ncommitter {c.author.ident} {stamp}\n"
                  f"data {len(msg)}\n".encode("utf-8"), msg, b"\n"]
        if branch == BRANCH and counts[BRANCH] == 0:
            chunks.append(f"from :{main_tip}\n".encode())
        for path, text in c.files.items():
            data = text.encode("utf-8")
            chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode("utf-8"))
            chunks += [data, b"\n"]
        out.write(b"".join(chunks) + b"\n")
        counts[branch] += 1
        if branch == MAIN:
            main_tip = mark
    out.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "-f", BRANCH], check=True)
    for key, value in (("user.name", TANIA.name), ("user.email", TANIA.email)):
        subprocess.run(["git", "-C", str(root), "config", key, value], check=True)
    long_post = history.posts[LONG_POST]
    return {
        "generator": GENERATOR_VERSION, "posts": p.posts, "commits": counts[MAIN],
        "branch": BRANCH, "branch_commits": counts[BRANCH], "seed": p.seed,
        "workflow_posts": p.workflow_posts, "import_commits": len(p.imports),
        "long_post": long_post.path,
        "long_post_commits": sum(1 for s in p.steps if s.post == LONG_POST),
    }
