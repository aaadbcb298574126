"""Benchmark: `gulagpub import wordpress` against `pelican-import --wpfile`
on the same generated export, in the same run.

    python benchmarks/wordpress_bench.py [--posts 10000] [--runs 3] [--pelican-runs N] [--work DIR]

It writes a deterministic WXR 1.2 export (seeded; classic and block-editor
bodies, tags, categories, comments, captions, embeds), imports it into a
fresh git content repository per run with gulagpub, converts it with
pelican-import (Pelican installed into a venv inside the work folder:
`pip install pelican markdown beautifulsoup4 lxml`, the last two because
pelican-import refuses XML without them; it also needs pandoc:
`apt-get install -y -qq pandoc`), and prints the median wall time and the
median peak RSS of each, measured with /usr/bin/time -v (Debian package
`time`), and the ratio. Figures on a shared machine are noisy: run it
twice and compare before believing a difference of less than ~20%.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
WORDS = ("anarchist prison exile camp letter memoir Solovki Butyrka Vorkuta comrade strike "
         "union council freedom Kronstadt Petrograd Moscow Siberia famine hunger sentence "
         "deportation archive document translation witness testimony trial").split()
CONFIG = """\
[site]
title = "Bench"
base_url = "https://bench.example.org/"
timezone = "UTC"

[[team]]
name = "Editor"
email = "editor@example.org"
roles = ["editor"]
"""


def _sentence(rnd: random.Random) -> str:
    words = [rnd.choice(WORDS) for _ in range(rnd.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def _body(rnd: random.Random, i: int) -> str:
    paragraphs = [" ".join(_sentence(rnd) for _ in range(rnd.randint(2, 6))) for _ in range(rnd.randint(3, 8))]
    if i % 3 == 0:  # block editor
        parts = [f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->" for p in paragraphs]
        parts.insert(1, "<!-- wp:heading -->\n<h2>Part two</h2>\n<!-- /wp:heading -->")
        return "\n\n".join(parts)
    text = "\n\n".join(paragraphs)  # classic editor: no <p>, blank lines are paragraphs
    if i % 10 == 1:
        text += ('\n\n[caption id="attachment_1" width="300"]<img src="https://old.example.com/'
                 f'wp-content/uploads/{i}.jpg" alt="Photo {i}" /> A photo[/caption]')
    if i % 25 == 2:
        text += '\n\n<iframe src="https://www.youtube.com/embed/abc" width="560"></iframe>'
    if i % 7 == 3:
        text += "\n\n<blockquote>" + _sentence(rnd) + "</blockquote>\n\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    return text


def generate(path: Path, posts: int, seed: int = 1917) -> None:
    """A WXR 1.2 export with `posts` posts, the same bytes for the same arguments."""
    rnd = random.Random(seed)
    start = datetime(2008, 1, 1, 12, 0, 0)
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                  'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
                  'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                  'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                  'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
                  "<title>Bench blog</title>\n<link>https://old.example.com</link>\n"
                  "<language>en-US</language>\n<wp:wxr_version>1.2</wp:wxr_version>\n"
                  "<wp:base_site_url>https://old.example.com</wp:base_site_url>\n"
                  "<wp:base_blog_url>https://old.example.com</wp:base_blog_url>\n")
        for login, name in (("editor", "Editor"), ("guest", "Guest Writer")):
            out.write(f"<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[{login}]]>"
                      f"</wp:author_login><wp:author_email><![CDATA[{login}@example.org]]></wp:author_email>"
                      f"<wp:author_display_name><![CDATA[{name}]]></wp:author_display_name>"
                      "<wp:author_first_name><![CDATA[]]></wp:author_first_name>"
                      "<wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>\n")
        for i in range(1, posts + 1):
            when = start + timedelta(hours=7 * i, minutes=rnd.randint(0, 59))
            local = when + timedelta(hours=2)
            slug = f"post-{i}-" + "-".join(rnd.choice(WORDS).lower() for _ in range(3))
            title = _sentence(rnd)[:-1]
            status = "publish" if i % 20 else "draft"
            tags = "".join(f'<category domain="post_tag" nicename="{t.lower()}"><![CDATA[{t}]]></category>'
                           for t in sorted({rnd.choice(WORDS) for _ in range(3)}))
            cat = rnd.choice(("Letters", "Memoirs", "Sources", "News"))
            comments = ""
            for c in range(i % 4):
                comments += (f"<wp:comment><wp:comment_id>{i * 10 + c}</wp:comment_id>"
                             f"<wp:comment_author><![CDATA[Reader {c}]]></wp:comment_author>"
                             f"<wp:comment_author_email><![CDATA[r{c}@example.net]]></wp:comment_author_email>"
                             f"<wp:comment_author_IP><![CDATA[10.0.0.{c}]]></wp:comment_author_IP>"
                             f"<wp:comment_date><![CDATA[{local:%Y-%m-%d %H:%M:%S}]]></wp:comment_date>"
                             f"<wp:comment_date_gmt><![CDATA[{when:%Y-%m-%d %H:%M:%S}]]></wp:comment_date_gmt>"
                             f"<wp:comment_content><![CDATA[{_sentence(rnd)}]]></wp:comment_content>"
                             "<wp:comment_approved><![CDATA[1]]></wp:comment_approved>"
                             "<wp:comment_type><![CDATA[comment]]></wp:comment_type>"
                             "<wp:comment_parent>0</wp:comment_parent></wp:comment>")
            out.write(
                f"<item>\n<title><![CDATA[{title}]]></title>\n"
                f"<link>https://old.example.com/{local:%Y/%m/%d}/{slug}/</link>\n"
                f"<pubDate>{when:%a, %d %b %Y %H:%M:%S} +0000</pubDate>\n"
                f"<dc:creator><![CDATA[{'editor' if i % 2 else 'guest'}]]></dc:creator>\n"
                f'<guid isPermaLink="false">https://old.example.com/?p={i}</guid>\n<description></description>\n'
                f"<content:encoded><![CDATA[{_body(rnd, i)}]]></content:encoded>\n"
                f"<excerpt:encoded><![CDATA[{_sentence(rnd) if i % 5 == 0 else ''}]]></excerpt:encoded>\n"
                f"<wp:post_id>{i}</wp:post_id>\n"
                f"<wp:post_date><![CDATA[{local:%Y-%m-%d %H:%M:%S}]]></wp:post_date>\n"
                f"<wp:post_date_gmt><![CDATA[{when:%Y-%m-%d %H:%M:%S}]]></wp:post_date_gmt>\n"
                "<wp:comment_status><![CDATA[open]]></wp:comment_status>\n"
                "<wp:ping_status><![CDATA[open]]></wp:ping_status>\n"
                f"<wp:post_name><![CDATA[{slug}]]></wp:post_name>\n"
                f"<wp:status><![CDATA[{status}]]></wp:status>\n<wp:post_parent>0</wp:post_parent>\n"
                "<wp:menu_order>0</wp:menu_order>\n<wp:post_type><![CDATA[post]]></wp:post_type>\n"
                "<wp:post_password><![CDATA[]]></wp:post_password>\n<wp:is_sticky>0</wp:is_sticky>\n"
                f'<category domain="category" nicename="{cat.lower()}"><![CDATA[{cat}]]></category>{tags}\n'
                f"{comments}</item>\n"
            )
        out.write("</channel>\n</rss>\n")


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in KiB, CPU seconds) of one command, from /usr/bin/time -v.
    CPU time (user + system) is less disturbed than wall time by a busy machine."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr)
    assert wall and rss and len(cpu) == 2, proc.stderr[-2000:]
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return seconds, int(rss.group(1)), float(cpu[0]) + float(cpu[1])


def fresh_repo(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "gulagpub.toml").write_text(CONFIG)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "editor@example.org",
           "GIT_COMMITTER_NAME": "Editor", "GIT_COMMITTER_EMAIL": "editor@example.org"}
    for args in (["init", "-q", "-b", "main"], ["config", "user.email", "editor@example.org"],
                 ["config", "user.name", "Editor"], ["config", "commit.gpgsign", "false"],
                 ["add", "-A"], ["commit", "-q", "-m", "start"]):
        subprocess.run(["git", "-C", str(path), *args], check=True, env=env)


def pelican(work: Path) -> Path | None:
    """pelican-import from a venv in the work folder (installed on first use)."""
    venv = work / "pelican-venv"
    exe = venv / "bin" / "pelican-import"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        proc = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pelican", "markdown",
                               "beautifulsoup4", "lxml"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"pelican: cannot install ({proc.stderr.strip()[-300:]})", file=sys.stderr)
            return None
    if shutil.which("pandoc") is None:
        print("pelican: pelican-import needs pandoc (apt-get install -y -qq pandoc); not run",
              file=sys.stderr)
        return None
    return exe


def fmt(seconds: list[float], rss: list[int], cpu: list[float]) -> str:
    return (f"median {statistics.median(seconds):7.2f} s wall, {statistics.median(cpu):7.2f} s CPU, "
            f"peak RSS {statistics.median(rss) / 1024:6.1f} MiB  (wall per run: "
            f"{', '.join(f'{s:.2f}' for s in seconds)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pelican-runs", type=int, default=None, help="default: --runs")
    ap.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    args = ap.parse_args()
    if not Path("/usr/bin/time").exists():
        print("needs /usr/bin/time (apt-get install -y -qq time)", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="wordpress-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    export = work / f"export-{args.posts}.xml"
    if not export.exists():
        generate(export, args.posts)
    print(f"export: {export} ({export.stat().st_size / 1e6:.1f} MB, {args.posts} posts); "
          f"{os.cpu_count()} CPUs, shared machine: figures are noisy", flush=True)
    gulagpub = Path(sys.executable).parent / "gulagpub"
    g_wall: list[float] = []
    g_rss: list[int] = []
    g_cpu: list[float] = []
    for run in range(args.runs):
        repo = work / f"repo-{run}"
        shutil.rmtree(repo, ignore_errors=True)
        fresh_repo(repo)
        s, r, c = timed([str(gulagpub), "-C", str(repo), "import", "wordpress", str(export), "--json"])
        g_wall.append(s)
        g_rss.append(r)
        g_cpu.append(c)
    print(f"gulagpub import wordpress:  {fmt(g_wall, g_rss, g_cpu)}", flush=True)
    exe = pelican(work)
    if exe is None:
        return 0
    p_wall: list[float] = []
    p_rss: list[int] = []
    p_cpu: list[float] = []
    for run in range(args.pelican_runs or args.runs):
        out = work / f"pelican-{run}"
        shutil.rmtree(out, ignore_errors=True)
        s, r, c = timed([str(exe), "--wpfile", str(export), "-o", str(out), "-m", "markdown"])
        p_wall.append(s)
        p_rss.append(r)
        p_cpu.append(c)
    print(f"pelican-import --wpfile:    {fmt(p_wall, p_rss, p_cpu)}")
    print(f"ratio gulagpub/pelican: wall {statistics.median(g_wall) / statistics.median(p_wall):.2f}, "
          f"CPU {statistics.median(g_cpu) / statistics.median(p_cpu):.2f}, "
          f"peak RSS {statistics.median(g_rss) / statistics.median(p_rss):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
