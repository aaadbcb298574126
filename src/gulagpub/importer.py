"""Importing a WordPress export into a content repository: the use case.

Edge module: reads the export and the repository, writes files, commits.
Everything is planned first (parsed, converted, compared with what is in
the repository) and only then written, so a bad export writes nothing.

Each written file records a digest of its own text (`import.digest`). A
later import overwrites a file only while its text still matches that
digest: a post someone edited since is left alone and reported. An import
of the same export writes nothing and makes no commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from . import gitstore, wpmedia
from .comments import path_for as comments_path_for
from .content import content_paths, load_config
from .download import Failure, Fetch, Settings, fetch_all
from .errors import ImportFailed, disk_advice
from .model import Kind, content_digest, name_of, slug_from_name
from .postfile import dump_yaml, split
from .wordpress import (MAX_EXPORT_BYTES, Document, Progress, UnknownAuthor, parse_export, read_author_map,
                        to_documents)
from .wpmarkup import Attachment

REDIRECT_MAP = "redirects.map"  # nginx `map` entries: old request URI -> new path
REDIRECTS = "_redirects"  # Netlify-style rules

_DIGEST = re.compile(r"^  digest: (sha256:[0-9a-f]{16})\n", re.M)


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _with_digest(text: str, at: int) -> str:
    """`text` with a `  digest:` line inserted at offset `at`, the end of its
    `import` mapping: the digest of the text without that line."""
    return text[:at] + f"  digest: {_sha(text)}\n" + text[at:]


def unedited(text: str) -> bool:
    """True when a file is exactly as the import wrote it (its recorded
    digest matches its text without the digest line)."""
    head = text
    if text.startswith("---\n"):
        fm, _ = split(text)
        head = "---\n" + (fm or "")
    m = _DIGEST.search(head)
    if not m:
        return False
    return _sha(text[: m.start()] + text[m.end():]) == m.group(1)


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def render_post_file(doc: Document) -> str:
    """The post as written by postfile.render_post, its `import` mapping last."""
    fm = dump_yaml(doc.meta)
    body = doc.body.strip("\n")
    text = "---\n" + fm + "---\n" + ("\n" + body + "\n" if body.strip() else "")
    return _with_digest(text, len("---\n" + fm))


def render_comments_file(doc: Document, post_path: str) -> str:
    """The post's WordPress comments as YAML: who, when, what, in reply to
    which. No e-mail addresses or IP addresses: those are never read."""
    data: dict[str, Any] = {
        "post": post_path,
        "comments": doc.comments,
        "import": {"from": "wordpress", "wp_id": doc.item.wp_id},
    }
    text = "# Comments from the WordPress blog, kept as an archive of the post.\n" + dump_yaml(data)
    return _with_digest(text, len(text))


@dataclass
class ImportReport:
    source: str
    site: str
    dry_run: bool
    imported: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> state -> n
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)  # (path, why not overwritten)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    attention: list[tuple[str, str]] = field(default_factory=list)  # (path, what to check)
    unknown_authors: list[str] = field(default_factory=list)
    authors: list[UnknownAuthor] = field(default_factory=list)  # the unknown ones, in detail
    notes: list[str] = field(default_factory=list)  # about the export as a whole
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (URL, attached to post id)
    media: list[str] = field(default_factory=list)  # media on the old site used by posts
    comments: int = 0
    comments_skipped: int = 0
    redirects: int = 0
    commit: str | None = None
    download: bool = False  # the media were fetched (not --no-download)
    files: list[tuple[str, str]] = field(default_factory=list)  # (URL, repository path of its copy)
    fetched: list[str] = field(default_factory=list)  # repository paths brought by this run
    present: int = 0  # copies already in the repository: not fetched again
    resumed: list[str] = field(default_factory=list)  # of `fetched`: completed from what an earlier run left
    failed: list[Failure] = field(default_factory=list)
    links: int = 0  # links to the old site made links to the copies and to the new pages
    moved: list[tuple[str, str]] = field(default_factory=list)  # (single file, the bundle it became)

    def rerun(self) -> str:
        """The command that fetches what failed (the others are not fetched again)."""
        return f"gulagpub import wordpress {self.source}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "site": self.site, "dry_run": self.dry_run,
            "imported": {k: dict(v) for k, v in self.imported.items()},
            "written": self.written, "unchanged": self.unchanged,
            "kept": [{"path": p, "why": w} for p, w in self.kept],
            "skipped": [{"item": i, "why": w} for i, w in self.skipped],
            "attention": [{"path": p, "note": n} for p, n in self.attention],
            "unknown_authors": self.unknown_authors,
            "authors_to_add": [{"login": a.login, "name": a.name, "posts": a.posts,
                                "command": add_author_command(a)} for a in self.authors],
            "notes": self.notes,
            "attachments": [{"url": u, "post_id": p} for u, p in self.attachments],
            "media": self.media, "comments": self.comments,
            "comments_skipped": self.comments_skipped, "redirects": self.redirects,
            "commit": self.commit,
            "download": self.download,
            "files": [{"url": u, "path": p} for u, p in self.files],
            "fetched": self.fetched, "present": self.present, "resumed": self.resumed,
            "failed": [{"url": f.url, "path": f.dest, "reason": f.reason} for f in self.failed],
            "rerun": self.rerun() if self.failed else None,
            "links": self.links,
            "moved": [{"from": a, "to": b} for a, b in self.moved],
        }


@dataclass
class Plan:
    writes: dict[str, str]
    report: ImportReport
    files: list[str] = field(default_factory=list)  # media copies in the repository, for the commit
    removes: list[str] = field(default_factory=list)  # single files moved into their bundles
    same: list[str] = field(default_factory=list)  # texts already as planned: committed unless they are


def _existing(root: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in content_paths(root):
        full = root / path
        if full.is_file() and not full.is_symlink():
            files[path] = full.read_text(encoding="utf-8", errors="replace")
    return files


def _front_matter(text: str) -> dict[str, Any]:
    fm, _ = split(text)
    try:
        meta = yaml.load(fm or "", Loader=_Loader)
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _import_key(meta: dict[str, Any]) -> tuple[str, int] | None:
    """(site, wp_id) of a file an import wrote, from its front matter."""
    imp = meta.get("import")
    if isinstance(imp, dict) and imp.get("from") == "wordpress" and isinstance(imp.get("wp_id"), int):
        return str(imp.get("site", "")), imp["wp_id"]
    return None


def _redirect_lines(pairs: dict[str, str]) -> tuple[str, str]:
    nginx = ["# Old WordPress URLs and their new paths, written by `gulagpub import wordpress`.",
             "# nginx:  map $request_uri $gulagpub_new { include redirects.map; }",
             "#         server { if ($gulagpub_new) { return 301 $gulagpub_new; } }"]
    netlify = ["# Old WordPress URLs and their new paths, written by `gulagpub import wordpress`."]
    for old in sorted(pairs):
        new = pairs[old]
        nginx.append(f"{old} {new};")
        if old.startswith("/?"):
            query = old[2:]
            netlify.append(f"/ {query} {new} 301")
        else:
            netlify.append(f"{old} {new} 301")
    return "\n".join(nginx) + "\n", "\n".join(netlify) + "\n"


def _read_map(text: str) -> dict[str, str]:
    pairs = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and line.endswith(";"):
            parts = line[:-1].split()
            if len(parts) == 2:
                pairs[parts[0]] = parts[1]
    return pairs


def add_author_command(author: UnknownAuthor) -> str:
    """The command that adds a WordPress author to the team; the next import
    then finds them by the e-mail the export holds."""
    name = author.name.replace('"', "'")
    email = author.email or "EMAIL"
    return f'gulagpub team add "{name}" {email} --role translator'


def plan_import(root: Path, export_file: Path, *, include_private: bool = False,
                max_bytes: int = MAX_EXPORT_BYTES, progress: Progress | None = None,
                dry_run: bool = False, author_map: Mapping[str, str] | None = None,
                download: Settings | None = None) -> Plan:
    """Everything an import would write, and its report. With `download`
    (and not `dry_run`), the media are fetched into the repository first
    (each complete or absent), as the texts link to what is there; else
    nothing is written."""
    config = load_config(root)
    try:
        size = export_file.stat().st_size
    except OSError as exc:
        raise ImportFailed(f"{export_file}: cannot read it ({exc.strerror}); check the path") from exc
    if size > max_bytes:
        raise ImportFailed(
            f"{export_file}: the export is {size:,} bytes, more than the {max_bytes:,} this import "
            "accepts; WordPress can export one post type or one date range at a time "
            "(Tools > Export): import the parts one after the other"
        )
    export = parse_export(export_file.read_bytes(), str(export_file), max_bytes=max_bytes,
                          progress=progress)
    existing = _existing(root)
    metas = {path: _front_matter(text) for path, text in existing.items()}
    by_key: dict[tuple[str, int], str] = {}
    for path, meta in metas.items():
        key = _import_key(meta)
        if key is not None:
            by_key[key] = path
    site = export.base_blog_url
    ours = {by_key[(site, it.wp_id)] for it in export.items if (site, it.wp_id) in by_key}
    # (A language version, translations/LANG/NAME.md, has its post's name: it is that post, not another
    # one whose slug the import must not take.)
    taken = {str(meta.get("slug") or slug_from_name(name_of(path)))
             for path, meta in metas.items() if path not in ours and path.startswith(("posts/", "pages/"))}
    taken_ids = {str(meta["id"]) for path, meta in metas.items() if path not in ours and meta.get("id")}
    mapped = to_documents(export, config, include_private=include_private,
                          taken=frozenset(taken), taken_ids=frozenset(taken_ids),
                          author_map=author_map, progress=progress)

    report = ImportReport(source=str(export_file), site=site, dry_run=dry_run,
                          skipped=mapped.skipped, unknown_authors=mapped.unknown_authors,
                          authors=mapped.authors, notes=mapped.notes,
                          attachments=mapped.attachments, comments_skipped=mapped.comments_skipped)
    writes: dict[str, str] = {}
    attachment_urls = {u for u, _ in mapped.attachments}
    old_hosts = {h for h in (re.sub(r"^https?://([^/]+).*$", r"\1", site),) if h}
    media: dict[str, None] = {}
    same: list[str] = []  # files already as the import writes them (committed, or by a run that did not commit)

    def put(path: str, text: str, label: str) -> None:
        current = existing.get(path)
        if current is None and (root / path).exists():
            current = (root / path).read_text(encoding="utf-8", errors="replace")
        if current == text:
            report.unchanged += 1
            same.append(path)
        elif current is None or unedited(current):
            writes[path] = text
        else:
            report.kept.append((path, f"{label} was edited since it was imported (or was not "
                                      "written by an import): not overwritten; compare it with the "
                                      "export by hand"))

    old_site = wpmedia.OldSite.of(site)
    paths = {doc.item.wp_id: by_key.get((site, doc.item.wp_id), doc.path) for doc in mapped.documents}
    # Links between posts are written as the site's own pages link: under its path ('/archive/').
    prefix = urlsplit(config.site.base_url).path.rstrip("/") or ""
    media_plan = wpmedia.place(old_site, [_uses(root, doc, paths[doc.item.wp_id], existing, old_site, prefix)
                                          for doc in mapped.documents], mapped.uploads)
    report.download = download is not None
    report.files = [(p.url, p.dest) for p in media_plan.files.values()]
    if download is not None and not dry_run:
        outcome = fetch_all(root, [Fetch(p.url, p.dest) for p in media_plan.files.values()], download,
                            progress=progress)
        report.fetched, report.present, report.failed = outcome.fetched, len(outcome.present), outcome.failed
        report.resumed = outcome.resumed
    elif download is not None:  # a dry run: what it would fetch
        there = [p.dest for p in media_plan.files.values() if (root / p.dest).is_file()]
        report.fetched, report.present = [d for _, d in report.files if d not in there], len(there)
    # The texts link to the copies that are there (a dry run: that would be).
    present = {key: p.dest for key, p in media_plan.files.items()
               if (download is not None and dry_run) or (root / p.dest).is_file()}
    # A post is a bundle once it has a file of its own there: one whose
    # files could not be fetched stays a single file (nothing beside it),
    # and becomes a bundle when a later run brings them.
    bundled = {wp for wp, index in media_plan.bundles.items()
               if any(d.startswith(index.removesuffix("index.md")) for d in present.values())}
    removes: list[str] = []

    for doc in mapped.documents:
        path = media_plan.bundles[doc.item.wp_id] if doc.item.wp_id in bundled else paths[doc.item.wp_id]
        if path != paths[doc.item.wp_id] and paths[doc.item.wp_id] in existing:
            # A single file an earlier import wrote (--no-download, or its files failed), now with its
            # files: it moves into its bundle, as `git mv posts/NAME.md posts/NAME/index.md` would.
            old = paths[doc.item.wp_id]
            report.moved.append((old, path))
            removes.append(old)
            if (root / comments_path_for(old)).is_file():
                removes.append(comments_path_for(old))
        body = wpmedia.rewrite(old_site, doc.body, path, media_plan, present)
        report.links += body != doc.body
        doc.body = body
        _lead_image(doc, path, media_plan, present, mapped.uploads)
        if "approved_content" in doc.meta["import"]:  # what was approved is the text as written here
            doc.meta["import"]["approved_content"] = content_digest(doc.meta, doc.body)
        kind = report.imported.setdefault(doc.kind.value, Counter())
        kind[doc.meta["state"]] += 1
        for note in doc.notes:
            report.attention.append((path, note))
        for url in doc.media:
            host = re.sub(r"^(?:https?:)?//([^/]+).*$", r"\1", url)
            if url not in attachment_urls and (host in old_hosts or host.endswith((".files.wordpress.com", ".wp.com"))):
                media[url] = None
        text = render_post_file(doc)
        put(path, text, "the post" if doc.kind == Kind.POST else "the page")
        if doc.comments:
            report.comments += len(doc.comments)
            put(comments_path_for(path), render_comments_file(doc, path), "the comments file")
    report.media = list(media)

    pairs: dict[str, str] = {}
    for name in (REDIRECT_MAP,):
        if (root / name).is_file():
            pairs.update(_read_map((root / name).read_text(encoding="utf-8", errors="replace")))
    for doc in mapped.documents:
        pairs.update(dict(doc.redirects))
    report.redirects = len(pairs)
    if pairs:
        nginx, netlify = _redirect_lines(pairs)
        for name, text in ((REDIRECT_MAP, nginx), (REDIRECTS, netlify)):
            current = (root / name).read_text(encoding="utf-8", errors="replace") if (root / name).is_file() else None
            if current != text:
                writes[name] = text
            else:
                same.append(name)
    report.written = sorted(writes)
    return Plan(writes=writes, report=report, files=sorted(present.values()), removes=removes, same=same)


def _movable(root: Path, path: str, existing: Mapping[str, str]) -> bool:
    """A single-file post the import may move into its bundle: the import
    would rewrite it anyway (it and its comments file are as the last import
    wrote them), and no `posts/NAME/index.md` is there already."""
    comments = root / comments_path_for(path)
    return (unedited(existing[path])
            and (not comments.is_file() or unedited(comments.read_text(encoding="utf-8", errors="replace")))
            and not (root / wpmedia.bundle_of(path)).exists())


def _uses(root: Path, doc: Document, path: str, existing: Mapping[str, str], site: wpmedia.OldSite,
          prefix: str) -> wpmedia.Uses:
    """A document as placing the media sees it. A post an earlier import
    wrote as a single file becomes a bundle like a new one, while the import
    may rewrite it; one edited since stays a single file (its files go to
    media/), as the import does not touch it."""
    links: tuple[str, ...] = ()
    if doc.redirects:  # a published post: its old addresses lead to its new page
        # (each redirect's old path is "PATH" or "/?p=ID": its path and query apart)
        old = [site.page_path(doc.item.link)] + [wpmedia.page_key(*p.partition("?")[::2]) for p, _ in doc.redirects]
        links = tuple(p for p in old if p)
    pinned = path in existing and not path.endswith("/index.md") and not _movable(root, path, existing)
    return wpmedia.Uses(wp_id=doc.item.wp_id, path=path, bundle=doc.kind == Kind.POST and not pinned,
                        body=doc.body, new_path=prefix + doc.new_path, links=links, thumbnail=doc.item.thumbnail)


def _lead_image(doc: Document, path: str, plan: wpmedia.MediaPlan, present: Mapping[str, str],
                uploads: Mapping[int, Attachment]) -> None:
    """The featured image (postmeta _thumbnail_id) as `image:`, when its copy
    is there and the export has its alt text; without alt text it is not
    made up: the note asks a person to describe the image."""
    key = plan.thumbnails.get(doc.item.wp_id)
    if key is None or key not in present:
        return
    src = wpmedia.link_to(present[key], path)
    alt = uploads[doc.item.thumbnail].alt.strip()
    if src is None:
        return
    if not alt:
        doc.notes.append(f"the featured image {src} has no alt text in the export: describe it for readers "
                         f"who cannot see it and add 'image: {{src: {src}, alt: WHAT IT SHOWS}}' to the front matter")
        return
    imp = doc.meta.pop("import")
    doc.meta["image"] = {"src": src, "alt": alt}
    doc.meta["import"] = imp


def _write(root: Path, path: str, text: str) -> None:
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    tmp = full.with_name(full.name + ".gulagpub-tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, full)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # (a disk that is full keeps no half of it)
        raise


def import_wordpress(root: Path, export_file: Path, *, dry_run: bool = False,
                     include_private: bool = False, max_bytes: int = MAX_EXPORT_BYTES,
                     progress: Progress | None = None, author_map: Mapping[str, str] | None = None,
                     authors_file: Path | None = None, download: Settings | None = None) -> ImportReport:
    """Import a WXR export into the content repository at `root`, in one
    commit with an `Imported-from:` trailer. With `dry_run`, write nothing.
    `author_map` (WordPress login -> a team member's e-mail) and the lines
    of `authors_file` (`LOGIN = EMAIL`; `author_map` wins) name who wrote what.
    With `download`, the old site's media are fetched into the posts'
    bundles and media/ (see wpmedia) and committed with the texts; a file
    that failed is in `report.failed`, and running the import again fetches
    it (what is there is not fetched again)."""
    authors: dict[str, str] = {}
    if authors_file is not None:
        try:
            text = authors_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportFailed(f"{authors_file}: cannot read it ({exc}); give a UTF-8 text file "
                               "of `LOGIN = EMAIL` lines") from exc
        authors.update(read_author_map(text, str(authors_file)))
    authors.update(author_map or {})
    if not dry_run:
        if not gitstore.is_repo(root):
            raise ImportFailed(f"{root}: not a git repository; run `git init` there first")
        gitstore.identity(root)  # fail before writing anything, not at the commit
        staged = [p for p in gitstore.git(root, "diff", "--cached", "--name-only", "-z").split("\0") if p]
        if staged:
            raise ImportFailed(
                f"{root}: changes are staged in git ({', '.join(staged[:3])}"
                f"{', ...' if len(staged) > 3 else ''}); the import makes its own commit: "
                "commit them or unstage them (`git restore --staged .`) first"
            )
    start = gitstore.head(root) if not dry_run else None
    plan = plan_import(root, export_file, include_private=include_private, max_bytes=max_bytes,
                       progress=progress, dry_run=dry_run, author_map=authors, download=download)
    report = plan.report
    if dry_run:
        return report
    tracked = set(gitstore.git(root, "ls-files", "-z", "--", "posts", "media", "pages").split("\0"))
    new_files = [p for p in plan.files if p not in tracked]  # fetched now, or by a run that did not commit
    # A text a run that could not commit wrote (the disk refused a later file) is as planned now, but
    # not in git: it goes into this commit.
    changed = {entry[3:] for entry in gitstore.git(root, "status", "--porcelain", "-z", "--untracked-files=all",
                                                   "--", "posts", "pages", REDIRECT_MAP, REDIRECTS).split("\0")
               if len(entry) > 3}
    new_files += [p for p in plan.same if p in changed]
    if not plan.writes and not new_files and not plan.removes:
        return report
    path = ""
    try:
        for i, (path, text) in enumerate(sorted(plan.writes.items()), 1):
            _write(root, path, text)
            if progress and i % 500 == 0:
                progress("writing", i, len(plan.writes))
        for path in plan.removes:  # (after its bundle is written: never no copy of the post)
            (root / path).unlink(missing_ok=True)
    except OSError as exc:
        raise ImportFailed(
            f"{path}: cannot write it: {disk_advice(exc)}; nothing was committed (the files written so far are "
            f"whole, and the next run takes them along): then run `{report.rerun()}` again") from exc
    counts = ", ".join(f"{sum(c.values())} {k}(s)" for k, c in sorted(report.imported.items()))
    # Exactly these files, in one commit on top of the HEAD the plan was made at.
    report.commit = gitstore.commit(
        root, sorted(plan.writes) + new_files + plan.removes,
        f"Import from WordPress: {report.site or export_file.name}",
        body=f"{len(plan.writes)} file(s) written from {export_file.name} ({counts})"
             + (f"; {len(new_files)} media file(s) from the old site." if new_files else "."),
        trailers=[("Imported-from", f"{report.site} ({export_file.name})")],
        expect_head=start,
    )
    return report
