"""A published post under correction: what the site shows meanwhile. Edge module (git).

A correction of a published post is proposed in the post's own file (`gulagpub
submit POST --note NOTE` sends it to review with a `correction:` note), so the
working tree holds the proposed text, in review or approved, until `gulagpub
publish` publishes it again. Meanwhile the site keeps the post at its address
as it was last published: the version git holds from before the proposal.

`show_published` puts that version in the build's reading, in place of the
file: parsed and rendered like any other content (by its content hash, in the
one cache), its index entry kept "racy" so that the next reading, by a build
or by `status`/`check`, reads the file itself again. With `--drafts` (a
preview of the work in review) the build shows the proposed text instead.
"""

from __future__ import annotations

from pathlib import Path

from .config import Config
from .errors import GitError, Problem
from .reading import _RACY, FileEntry, Reading, _parse, posts

UNDER_REVIEW = ("review", "approved")
_DEPTH = 50  # versions of a file looked at for the one last published


def show_published(root: Path, config: Config, reading: Reading) -> list[Problem]:
    """Replace, in `reading`, each post under correction by its version last
    published in git; a post whose published version git does not hold is
    left out of the site, with a problem saying so."""
    files = reading.files
    kinds, states, pos = files.col("kind"), files.col("state"), files.pos
    candidates = [p for p in reading.paths
                  if states[pos[p]] in UNDER_REVIEW and kinds[pos[p]] in ("post", "translation")]
    if not candidates:
        return []
    correcting = [path for path, post in posts(root, config, reading, candidates).items()
                  if post.correction is not None]
    problems: list[Problem] = []
    for path in correcting:
        data = _last_published(root, config, path)
        if data is None:
            problems.append(Problem(path, 0, "is a correction of a published post, but git holds no published "
                                             "version of it (a shallow clone?); the site leaves it out until "
                                             "the correction is published"))
            continue
        # (A language version is parsed as its post's, in a bundle or not, as the reading did.)
        got = _parse((path, str(root / path), data, config, True, files[path].original))
        rec = got.record
        if got.post is None or got.body is None or rec is None or rec.state != "published":
            continue
        cache = reading.cache
        cache.put_post(got.sha, got.post, got.body)
        cache.put_record(got.sha, rec)
        reading.records[got.sha] = rec
        reading.shown[got.sha] = got.post
        if got.html is not None:
            cache.put_html(got.sha, got.html)
            reading.html[got.sha] = got.html
        # Racy: whoever reads next reads the file itself (this entry is the build's view only).
        files.set(path, FileEntry(_RACY, got.sha, tuple(got.problems), rec.kind, rec.state, rec.lang, rec.original))
        files.changed = True
        reading.changed.pop(path, None)  # (its identity is the published one's: a correction keeps it)
    return problems


def _last_published(root: Path, config: Config, path: str) -> bytes | None:
    """The file as it was in the newest commit where it was published."""
    from .history import newest_version

    try:
        found = newest_version(root, path, config, lambda p: p.state.value == "published", _DEPTH)
    except GitError:
        return None
    return found.data if found is not None else None
