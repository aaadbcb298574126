"""Media: the files documents carry (scans, photos, PDFs). Edge module (reads files).

A post can be a bundle, `posts/NAME/index.md` with its files beside it
(`posts/NAME/scan-p1.jpg`); files the whole site uses live in `media/`. A
post's Markdown refers to them by relative path (`![Page 1](scan-p1.jpg)`,
`[the PDF](freedom-1924.pdf)`), or to a site-wide file as `/media/NAME`. A
language version (`translations/LANG/NAME.md`) uses the files of its post's
bundle.

`problems` judges every reference of every post: the file must exist in the
repository, be a plain file (a symbolic link is never followed), stay inside
its bundle or media/, be fetched (not a Git LFS pointer) and be at most
`[limits] file_size`, and not have the name of a smaller copy of an image
published beside it (`scan.jpg.480w.webp` beside a large `scan.jpg`:
`names_taken`). A file is data: it is only ever stat'ed and its first bytes
read, never run or parsed here.
"""

from __future__ import annotations

import os
import re
import stat as stat_mod
from collections.abc import Collection, Iterable, Iterator, Mapping
from html import unescape
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from .config import Config
from .errors import Problem
from .model import Post, State, name_of
from .records import Record

MEDIA_DIR = "media"
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"

# `[text](target "title")` and `![alt](target)`: the target up to a space or
# the closing parenthesis (`<target with spaces>` too). Reference-style
# definitions `[id]: target` count as well (footnotes, `[^1]: text`, do not).
_INLINE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*(?:<([^>\n]*)>|([^\s)]+))")
_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:\s*(?:<([^>\n]*)>|(\S+))", re.M)
_CODE_FENCE = re.compile(r"^ {0,3}(```|~~~)")
# HTML kept in the Markdown names files too (a figure or a gallery an import
# kept as HTML: `<a href="scan.jpg"><img src="scan.jpg" ...>`).
_HTML_ATTR = re.compile(r"""(?<=\s)(?:src|href)\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)')""", re.I)
# An HTML comment on one line (one over several lines is followed by _prose),
# and a tag whose `>` is on a line below (`<img` and its attributes under it).
_COMMENT = re.compile(r"<!--.*?-->")
_OPEN_TAG = re.compile(r"<[A-Za-z][^>]*$")


def may_name_files(body: str) -> bool:
    """Whether a body can name a file at all (a cheap test before the scan)."""
    return "](" in body or "]:" in body or "src=" in body or "href=" in body


class Reference(NamedTuple):
    """A link or image in a post's text that names a file of the repository."""

    line: int  # in the content file
    target: str  # as written (percent-decoded, without #fragment or ?query)
    path: str | None  # the repository path it names (None: it leaves its bundle or media/)


def bundle_folder(post_path: str) -> str | None:
    """The folder whose files a content file may name by relative path:
    a bundle's own folder, for a language version its post's bundle."""
    parts = post_path.split("/")
    if len(parts) == 3 and parts[0] == "posts" and parts[2] == "index.md":
        return f"posts/{parts[1]}/"
    if len(parts) == 3 and parts[0] == "translations":
        return f"posts/{name_of(post_path)}/"
    return None


# A URL's scheme, as urlsplit finds one ('https:', 'mailto:'): most links of a text name another site.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _is_local(target: str) -> bool:
    """A target naming a file of the site rather than another site, a mail address or a place on the page."""
    if not target or target.startswith(("#", "//")) or _SCHEME.match(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def resolve(folder: str | None, target: str) -> str | None:
    """The repository path `target` names from a post whose files are in `folder`,
    or None when it would leave the bundle (or media/)."""
    if target.startswith("/"):
        rel, top = target.lstrip("/"), MEDIA_DIR + "/"
        if not rel.startswith(top):
            return ""  # another page of the site: not a file
    elif folder is None:
        return ""  # a single-file post: relative links are to pages, not files
    else:
        rel, top = folder + target, folder
    parts: list[str] = []
    for part in rel.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    path = "/".join(parts)
    return path if path.startswith(top) and path != top.rstrip("/") else None


def _prose(body: str, text: str) -> Iterator[tuple[int, str]]:
    """The lines of a Markdown body the reader sees (`text`: the whole file,
    for the line numbers): code blocks, code spans and HTML comments left out.
    An HTML tag spread over lines (`<img` and its attributes below it, as
    WordPress and hand-written figures have them) comes as one piece, its
    lines joined by "\n", at the number of its first line (`_line_in` gives a
    match's own)."""
    at = text.find(body) if body else -1
    first = text.count("\n", 0, at) + 1 if at >= 0 else 1
    lines = body.split("\n")
    fenced = comment = False
    numbered = enumerate(lines, start=first)
    for n, line in numbered:
        if comment:  # (inside a comment, fences and indentation are the comment's text)
            end = line.find("-->")
            if end < 0:
                continue
            comment, line = False, line[end + 3:]
        elif _CODE_FENCE.match(line):
            fenced = not fenced
            continue
        elif fenced or line.startswith(("    ", "\t")):
            continue
        if "`" in line:
            line = re.sub(r"`[^`]*`", "", line)
        if "<" not in line:
            yield n, line
            continue
        if "<!--" in line:
            line = _COMMENT.sub("", line) if "-->" in line else line
            start = line.find("<!--")
            if start >= 0 and _comment_goes_on(lines, n - first, start):
                line, comment = line[:start], True  # (what is before it is seen)
        if not comment and line.rfind("<") > line.rfind(">") and _tag_left_open(line):  # (most: closed)
            # (The tag's lines go on up to its `>`; a blank line or a fence ends the
            # paragraph first, and the tag is then text, as CommonMark reads it.)
            piece = [line]
            for _, more in numbered:
                if not more.strip():
                    break
                if _CODE_FENCE.match(more):
                    fenced = True
                    break
                piece.append(more)
                if ">" in more and not _tag_left_open(more):
                    break
            line = "\n".join(piece)
        yield n, line


def _comment_goes_on(lines: list[str], i: int, start: int) -> bool:
    """Whether the comment begun at `start` of `lines[i]` (not closed on its line) hides the lines
    below up to its `-->`: always when the line begins with it (an HTML block, blank lines and all),
    else when the `-->` is in the same paragraph (unclosed there, `<!--` is text)."""
    if not lines[i][:start].strip():
        return True
    for more in lines[i + 1:]:
        if not more.strip():
            return False
        if "-->" in more:
            return True
    return False


def _tag_left_open(line: str) -> bool:
    """Whether an HTML tag begun on `line` has its `>` on a line below."""
    return line.rfind("<") > line.rfind(">") and _OPEN_TAG.search(line, line.rfind(">") + 1) is not None


def _line_in(n: int, piece: str, at: int) -> int:
    """The line of the position `at` of a piece of `_prose` that starts at line `n`."""
    return n + piece.count("\n", 0, at) if "\n" in piece else n


ALT_MISSING = ("describe the image for readers who cannot see it: write what it shows between the "
               "brackets, ![Page 1 of the letter]({target}); an image that only decorates says so in its "
               'title: ![]({target} "decorative")')
_IMAGE = re.compile(r'!\[((?:[^\]\\]|\\.)*)\]\(\s*(?:<([^>\n]*)>|([^\s)]+))(?:\s+"([^"]*)")?')


HTML_ALT_MISSING = ("describe the image for readers who cannot see it: write what it shows in its alt "
                    'attribute, <img src="{target}" alt="Page 1 of the letter">; an image that only decorates '
                    'says so in its title, with an empty alt: <img src="{target}" alt="" title="decorative">')
# An <img> tag of inline HTML (on one line or over several, as _prose gives them) and its attributes.
_HTML_IMG = re.compile(r"<img\b([^>]*)>", re.I)
_HTML_IMG_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


class MissingAlt(NamedTuple):
    """An image of a post's body with no alt text (and not marked decorative)."""

    line: int  # in the content file
    target: str  # the image's address, as written
    html: bool  # an <img> of inline HTML (else a Markdown image)

    def message(self) -> str:
        how = HTML_ALT_MISSING if self.html else ALT_MISSING
        return "an image without alt text; " + how.format(target=self.target)


def _html_images_without_alt(piece: str) -> Iterator[tuple[int, str]]:
    """The positions in `piece` and targets of its <img> tags with no alt
    text: an `alt=""` counts only with `title="decorative"`, the Markdown case's mark."""
    for tag in _HTML_IMG.finditer(piece):
        attrs: dict[str, str] = {}
        for a in _HTML_IMG_ATTR.finditer(tag.group(1)):
            value = next((v for v in a.group(2, 3, 4) if v is not None), "")
            attrs.setdefault(a.group(1).lower(), unescape(value))
        alt = attrs.get("alt")
        decorative = attrs.get("title", "").strip().lower() == "decorative"
        if alt is None or (not alt.strip() and not decorative):
            yield tag.start(), attrs.get("src", "")


def images_without_alt(post: Post, text: str) -> Iterator[MissingAlt]:
    """The images of a post's body, Markdown images and inline HTML's <img>
    (at the line where the tag begins), with no alt text (and not marked decorative)."""
    for n, piece in _prose(post.body, text):
        if "![" in piece:
            for m in _IMAGE.finditer(piece):
                if not m.group(1).strip() and (m.group(4) or "").strip().lower() != "decorative":
                    yield MissingAlt(_line_in(n, piece, m.start()),
                                     m.group(2) if m.group(2) is not None else m.group(3), False)
        if "<" in piece:
            for at, target in _html_images_without_alt(piece):
                yield MissingAlt(_line_in(n, piece, at), target, True)


def _in_the_workflow(post: Post) -> bool:
    """A post still on its way to publication, held to the alt-text rule: the
    archive already published (a WordPress import, its scheduled posts) is
    not, so that importing a blog does not fail every check; its images get
    their descriptions as its posts are corrected."""
    return post.state not in (State.PUBLISHED, State.WITHDRAWN) and post.approved_on_import is None


def references(post: Post, text: str) -> Iterator[Reference]:
    """The references to files in a post's body (`text`: the whole content
    file, for the line numbers), outside code blocks and code spans."""
    return references_in(bundle_folder(post.path), post.body, text)


def references_in(folder: str | None, body: str, text: str) -> Iterator[Reference]:
    """The references to files in a Markdown `body` whose relative paths are in
    `folder` (a bundle's; None: only /media/), `text` the whole file it is in:
    those the reader sees (outside code and HTML comments), a tag spread over
    lines read whole."""
    for n, line in _prose(body, text):
        if "](" not in line and "]:" not in line and "=" not in line:  # (most lines: no link to look at)
            continue
        for m in (*(_INLINE.finditer(line) if "](" in line else ()), *(_DEFINITION.finditer(line) if "]:" in line else ()),
                  *(_HTML_ATTR.finditer(line) if "=" in line else ())):
            raw = m.group(1) if m.group(1) is not None else m.group(2)
            if not _is_local(raw):
                continue
            target = unquote(urlsplit(raw).path)
            if not target:
                continue
            path = resolve(folder, target)
            if path == "":
                continue
            yield Reference(_line_in(n, line, m.start()), target, path)


def lead_image(post: Post) -> str | None:
    """The repository path of a post's lead image (`image:`), if it names a file of the repository."""
    if post.image is None or not _is_local(post.image.src):
        return None
    return resolve(bundle_folder(post.path), unquote(urlsplit(post.image.src).path)) or None


def scan_files(post: Post) -> tuple[str, ...]:
    """The repository paths of the original's scans (`source.scans`), page by
    page, those inside the post's bundle or media/ (`problems` reports the others)."""
    if post.source is None or not post.source.scans:
        return ()
    folder = bundle_folder(post.path)
    return tuple(path for path in (resolve(folder, unquote(urlsplit(s).path)) if _is_local(s) else None
                                   for s in post.source.scans) if path)


def record_of(post: Post, summary: str | None) -> Record:
    """A post's Record, with the files it publishes."""
    return Record.of(post, summary, named_files(post), lead_image(post), scan_files(post))


def named_files(post: Post) -> tuple[str, ...]:
    """The repository files a post's text, its lead image and its scans name
    (those inside its bundle or media/), each once, sorted: what the build
    publishes with its page."""
    body = post.body
    lead = lead_image(post)
    found = {lead} if lead else set()
    found.update(scan_files(post))
    if may_name_files(body) and (bundle_folder(post.path) is not None or "/media/" in body):
        found.update(ref.path for ref in references(post, body) if ref.path)
    return tuple(sorted(found))


def published_path(src: str, page: str, path: str) -> str:
    """The site path ('/a/b/scan.jpg', percent-encoded as site paths are) where
    the repository file `path`, named by the content file `src` whose page is
    the site path `page`, is published: a site-wide file under /media/, a
    bundle's file beside the page that names it (a language version's page
    has its own copy, so that its relative links hold)."""
    if path.startswith(MEDIA_DIR + "/"):
        return "/" + quote(path)
    folder = bundle_folder(src) or ""
    base = page if page.endswith("/") else page.rpartition("/")[0] + "/"
    return base + quote(path[len(folder):])


def under(html: str, prefix: str) -> str:
    """Rendered HTML whose links to site-wide files (`/media/…`) point under the
    site's path `prefix` ('/' or '/archive/': a site below a sub-path)."""
    if prefix == "/" or "/media/" not in html:
        return html
    return html.replace(' src="/media/', f' src="{prefix}media/').replace(' href="/media/', f' href="{prefix}media/')


Stat = tuple[int, int, int]  # mtime_ns, size, inode: names a file's bytes, as the parse index does


def unchanged(root: Path, path: str, stat: Stat) -> bool:
    """Whether a file judged before still has its stat (one lstat: a file
    replaced, or a folder on its way made a link, has another)."""
    try:
        st = os.lstat(os.path.join(root, path))
    except OSError:
        return False
    return (st.st_mtime_ns, st.st_size, st.st_ino) == stat


def judged(root: Path, path: str, config: Config,
           folders: dict[str, bool] | None = None) -> tuple[Stat | None, str | None]:
    """A repository file's stat when it can be published, else why not
    (`folders`: which folders are links, as found for the files judged before)."""
    link = _links_on_the_way(root, path, {} if folders is None else folders)
    if link:
        return None, f"is inside {link}/, a symbolic link (never followed)"
    try:
        st = os.lstat(os.path.join(root, path))
    except FileNotFoundError:
        return None, "no such file"
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror})"
    why = _file_problem(root, path, st, config)
    return ((st.st_mtime_ns, st.st_size, st.st_ino), None) if why is None else (None, why)


def _file_problem(root: Path, path: str, st: os.stat_result, config: Config) -> str | None:
    """What is wrong with the repository file `path` (whose lstat is `st`) as a published file, if anything."""
    if stat_mod.S_ISLNK(st.st_mode):
        return ("is a symbolic link; media must be plain files in the repository "
                "(replace the link with the file it points to)")
    if not stat_mod.S_ISREG(st.st_mode):
        return "is not a file"
    if st.st_size < 200:  # LFS pointers are about 130 bytes
        try:
            with open(root / path, "rb") as f:
                head = f.read(len(LFS_POINTER))
        except OSError as exc:
            return f"cannot be read ({exc.strerror})"
        if head == LFS_POINTER:
            return ("is a Git LFS pointer, not the file: run `git lfs pull` to fetch it "
                    "(and `git lfs install` once if Git LFS is new on this machine)")
    limit = config.limits.file_size
    if st.st_size > limit:
        return (f"is {st.st_size:,} bytes, more than the {limit:,} allowed ([limits] file_size in "
                "gulagpub.toml); make it smaller (scan at a lower resolution, split the PDF) or raise the limit")
    return None


def _links_on_the_way(root: Path, path: str, folders: dict[str, bool]) -> str | None:
    """A folder on the way to `path` that is a symbolic link (never followed);
    `folders` remembers the folders looked at."""
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        folder = "/".join(parts[:i])
        link = folders.get(folder)
        if link is None:
            link = folders[folder] = os.path.islink(os.path.join(root, folder))
        if link:
            return folder
    return None


def problems(root: Path, posts: Iterable[Post], config: Config,
             published: Collection[str] | None = None) -> list[Problem]:
    """Every reference to a file that would not publish, as `path:line: message`
    (`published`: the files the site publishes, by default those `posts` name)."""
    posts = list(posts)
    found: list[Problem] = []
    folders: dict[str, bool] = {}
    if published is None:  # (read only when a post may name a copy's name: most sites, none)
        published = {path for post in posts for path in named_files(post)} if any(
            "w.webp" in post.body or (post.image is not None and post.image.src.endswith("w.webp"))
            or (post.source is not None and any(s.endswith("w.webp") for s in post.source.scans))
            for post in posts) else set()
    taken = names_taken(root, published, config, folders)
    seen: dict[str, str | None] = dict(taken)
    for post in posts:
        body = post.body
        # (A single-file post can name only site-wide files.)
        named = may_name_files(body) and (bundle_folder(post.path) is not None or "/media/" in body)
        if post.image is not None:
            lead, line = lead_image(post), post.line_of("image")
            if lead and lead not in seen:
                seen[lead] = judged(root, lead, config, folders)[1]
            why = seen[lead] if lead else (
                "is not a file of this site: the lead image is a file beside the post or in media/")
            if why is not None:
                found.append(Problem(post.path, line, f"image {post.image.src!r}"
                                     + (f" ({lead})" if lead else "") + f" {why}"))
        if post.source is not None and post.source.scans:
            found += _scan_problems(root, post, config, folders, taken)
        if not named and "![" not in body and not _HTML_IMG.search(body):
            continue
        try:
            text = (root / post.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = body  # (the file changed since it was read: its lines are the body's)
        if _in_the_workflow(post):
            found += [Problem(post.path, m.line, m.message()) for m in images_without_alt(post, text)]
        if named:
            found += reference_problems(root, post.path, references(post, text), config, seen, folders)
    return found


def reference_problems(root: Path, path: str, refs: Iterable[Reference], config: Config,
                       seen: dict[str, str | None] | None = None,
                       folders: dict[str, bool] | None = None) -> list[Problem]:
    """The references of the file `path` (a post, a stored original) to files
    that would not publish (`seen`, `folders`: what was found for files judged before)."""
    seen = {} if seen is None else seen
    folders = {} if folders is None else folders
    found = []
    for ref in refs:
        if ref.path is None:
            found.append(Problem(path, ref.line, f"{ref.target!r} leaves the post's folder; refer to a "
                                                 "file beside the post (`scan.jpg`) or in media/ (`/media/scan.jpg`)"))
            continue
        if ref.path not in seen:
            seen[ref.path] = judged(root, ref.path, config, folders)[1]
        why = seen[ref.path]
        if why is not None:
            found.append(Problem(path, ref.line, f"{ref.target!r} ({ref.path}) {why}"))
    return found


def names_taken(root: Path, published: Collection[str], config: Config,
                folders: dict[str, bool] | None = None) -> dict[str, str]:
    """The files of `published` (those the site publishes) whose name is that
    of another one's smaller copy, each with why it is not published
    (images.names_taken, the headers read from the disk)."""
    from . import images  # (images reads headers with Pillow, and names files through this module)

    if not any(path.endswith("w.webp") for path in published):
        return {}

    def info(path: str) -> images.FileInfo | None:
        stat = judged(root, path, config, folders)[0]
        return images.inspect(root / path, stat) if stat is not None else None

    return images.names_taken(published, info)


def _scan_problems(root: Path, post: Post, config: Config, folders: dict[str, bool],
                   taken: Mapping[str, str]) -> list[Problem]:
    """What keeps each of a post's scans (`source.scans`) from being shown: it
    must be a file that publishes (`taken`: those whose name another file's
    copy has), and an image."""
    from .images import inspect  # (images reads headers with Pillow, and names files through this module)

    assert post.source is not None
    try:
        text = (root / post.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    folder = bundle_folder(post.path)
    found = []
    for written in post.source.scans:
        line = _line_of_scan(text, post.line_of("source"), written)
        path = resolve(folder, unquote(urlsplit(written).path)) if _is_local(written) else None
        if not path:
            where = ("beside the post (make it a bundle: `git mv posts/NAME.md posts/NAME/index.md`, the scans "
                     "beside index.md)" if folder is None and not written.startswith("/") else "beside the post")
            found.append(Problem(post.path, line, f"scan {written!r} is not a file of this site: a scan is a file "
                                                  f"{where} or in media/ (`/media/{written.rpartition('/')[2]}`)"))
            continue
        stat, why = judged(root, path, config, folders)
        if stat is not None and path in taken:
            why = taken[path]
        elif stat is not None and not inspect(root / path, stat).width:
            why = "is not an image (JPEG, PNG, WebP, GIF); link a PDF from the text instead"
        if why is not None:
            found.append(Problem(post.path, line, f"scan {written!r} ({path}) {why}"))
    return found


def _line_of_scan(text: str, source_line: int, written: str) -> int:
    """The line of the front matter where the scan `written` is named: from
    `source:` on (its own line in a `- item` list), else that of `source:`."""
    lines = text.split("\n")
    for n in range(source_line - 1, len(lines)):  # (lines[n] is the file's line n + 1)
        line = lines[n]
        if n >= source_line and (line.strip() == "---" or (line and not line[0].isspace())):
            break  # (the next field, or the end of the front matter)
        if written in line and (n > source_line - 1 or "scans" in line):
            return n + 1
    return source_line
