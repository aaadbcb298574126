"""A generated blog for scale tests and profiling: N posts of 600-1,000 words,
1-5 tags from 200, 15 categories, 10 % in Spanish or Russian. Deterministic.

    python tests/corpus.py DIR N      # writes DIR/gulagpub.toml and DIR/posts/, commits with git
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

WORDS = ("anarchist prison exile camp letter memoir Bolshevik repression Solovki Butyrka Kolyma "
         "comrade strike union congress Kronstadt Makhno Odessa Moscow Petrograd deportation "
         "hunger protest tribunal sentence amnesty Vorkuta railway forest winter archive").split()
ES = "anarquista cárcel exilio campo carta memoria represión compañero sindicato huelga".split()
RU = "анархист тюрьма ссылка лагерь письмо память репрессии товарищ союз забастовка".split()

CONFIG = """\
[site]
title = "Generated Blog"
base_url = "https://blog.example.org/"
lang = "en"
timezone = "UTC"

[feeds]
entries = 20

[[team]]
name = "Gen"
email = "gen@example.org"
roles = ["editor"]
"""


def post(i: int, rng: random.Random) -> tuple[str, str]:
    lang = "en"
    r = rng.random()
    words = WORDS
    if r < 0.05:
        lang, words = "es", ES
    elif r < 0.10:
        lang, words = "ru", RU
    year = 2000 + i % 26
    month = 1 + (i // 26) % 12
    day = 1 + (i // 312) % 28
    name = f"{year:04d}-{month:02d}-{day:02d}-post-{i}"
    tags = sorted({f"tag-{rng.randrange(200)}" for _ in range(rng.randint(1, 5))})
    cat = f"category-{rng.randrange(15)}"
    n = rng.randint(600, 1000)
    paras = []
    while n > 0:
        k = min(n, rng.randint(40, 120))
        paras.append(" ".join(rng.choice(words) for _ in range(k)).capitalize() + ".")
        n -= k
    body = "\n\n".join(paras)
    text = (f"---\ntitle: Post number {i} about {rng.choice(words)}\nstate: published\n"
            f"author: Generated\ndate: {year:04d}-{month:02d}-{day:02d} {i % 24:02d}:{i % 60:02d}\n"
            f"lang: {lang}\ntags: [{', '.join(tags)}]\ncategories: [{cat}]\n---\n\n"
            f"## Part one\n\n{body}\n\nSee [the index](/) and *more*.\n")
    return f"posts/{name}.md", text


def generate(root: Path, n: int, seed: int = 1, commit: bool = True) -> None:
    rng = random.Random(seed)
    (root / "posts").mkdir(parents=True, exist_ok=True)
    (root / "gulagpub.toml").write_text(CONFIG, encoding="utf-8")
    for i in range(n):
        path, text = post(i, rng)
        (root / path).write_text(text, encoding="utf-8")
    if commit:
        env_git = ["git", "-C", str(root), "-c", "user.name=Gen", "-c", "user.email=gen@example.org"]
        subprocess.run([*env_git, "init", "-q", "-b", "main"], check=True)
        subprocess.run([*env_git, "add", "-A"], check=True)
        subprocess.run([*env_git, "commit", "-q", "--no-gpg-sign", "-m", "Generated posts"], check=True)


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]))
