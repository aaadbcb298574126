"""The files posts name, as the site shows them: an image's size, a file's
type, and a published copy without the place a photo was taken. Edge module
(reads file headers with Pillow).

`inspect` reads only a file's header (Pillow opens an image without decoding
its pixels), once per stat: the build keeps what it found in its traces.
`annotate` gives every image of a page its width and height (no layout shift
while it loads) and `loading="lazy"`, and every link to a file that is not an
image its type and size ("PDF, 1.2 MB"). `without_location` is a JPEG with
the GPS data of its EXIF (and an XMP packet naming a GPS position) left out,
the image data untouched. `fitted` is an image as a social network takes it:
the file, or a smaller JPEG copy made in memory when the file is over the
network's limits.

A large image is also published as smaller WebP copies (`variant_widths`:
480, 960 and 1600 px wide, those narrower than 90 % of it), named
`NAME.480w.webp` beside it and offered to the browser through `srcset`
(`annotate`); the original stays the image's `src` and what its figure
links to. `variants` makes them in the site's writers, keyed by git's id
of the original's bytes (FileInfo.blob) and the encoding settings
(`VARIANTS`) in a folder of copies in the state folder, from which they are
hard-linked into the site: an image whose bytes were encoded once is never
encoded again, or read, whatever its stat (a fresh clone, a CI run with the
folder restored). `inspect_all` finds what the site shows of files through
the same folder (`seen.json`), and `prune` empties it of copies long unused.
Both `fitted` and `variants` scale through `_decoded` and `_resized`.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import mimetypes
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlsplit

from .errors import ContentError, Problem
from .media import Stat, resolve
from .store import open_regular, read_regular, write_fd

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

_GPS_IFD = 0x8825  # EXIF's pointer to its GPS directory
_ORIENTATION = 0x0112  # 5 to 8: shown turned a quarter, its width the stored height
_XMP = b"http://ns.adobe.com/xap/1.0/\0"


def N_(message: str) -> str:
    """A message for the catalogs, translated where the page's language is known (i18n.py)."""
    return message


# The kinds of file without a name of their own, in the reader's language on the page.
TEXT, FILE = N_("text"), N_("file")


class FileInfo(NamedTuple):
    """What the site shows of a published file, found from its header."""

    stat: Stat
    mime: str  # from the bytes for an image, else from the name ('' when unknown)
    width: int = 0  # pixels (0: not an image Pillow can read)
    height: int = 0
    located: bool = False  # it holds GPS data: its published copy is made without it
    published: int = -1  # bytes of the published copy, when not the file's own size (one without its location)
    animated: bool = False  # more than one frame (an animated GIF or WebP): no smaller copies
    blob: str = ""  # git's id of its bytes (gitstore.blob_ids; '' when unknown): what its copies are named by

    @property
    def size(self) -> int:
        """Its size on the site, in bytes."""
        return self.published if self.published >= 0 else self.stat[1]

    @property
    def label(self) -> str:
        """Its type as a reader knows it: 'PDF', 'JPEG', 'ZIP'…"""
        sub = self.mime.partition("/")[2].removeprefix("x-").removeprefix("vnd.")
        return {"svg+xml": "SVG", "msword": "Word", "plain": TEXT}.get(sub, sub.upper()) if sub else FILE


def inspect(path: Path, stat: Stat, blob: str = "") -> FileInfo:
    """The header of the file at `path` (whose stat is `stat`, and git's id `blob`)."""
    from PIL import Image, UnidentifiedImageError

    guessed = mimetypes.guess_type(path.name)[0] or ""
    if not guessed.startswith("image/"):
        return FileInfo(stat, guessed, blob=blob)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (a huge image is only measured here, never decoded)
            with Image.open(path) as im:
                mime = Image.MIME.get(im.format or "", guessed)
                width, height = im.width, im.height
                located = False
                if im.format == "JPEG":
                    exif = im.getexif()
                    located = _GPS_IFD in exif or b"GPS" in _as_bytes(im.info.get("xmp"))
                    if exif.get(_ORIENTATION) in (5, 6, 7, 8):  # (the size it is shown at, as browsers turn it)
                        width, height = height, width
                animated = getattr(im, "n_frames", 1) > 1
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):  # not an image Pillow reads
        return FileInfo(stat, guessed, blob=blob)
    if not located:
        return FileInfo(stat, mime, width, height, animated=animated, blob=blob)
    try:
        published = len(without_location(path.read_bytes()))
    except OSError:
        published = -1
    return FileInfo(stat, mime, width, height, True, published, animated, blob)


# What each image is (its type, size, location data, frames) by git's id of its
# bytes, kept in the folder of copies beside them: a build without its traces
# (a fresh clone with the folder restored, as publish.yml runs) opens no image
# it has seen. JSON, never code: the folder is restored from a cache.
SEEN = "seen.json"
_SEEN_FORMAT = "gulagpub seen 1"  # (a new number whenever `inspect` would find otherwise)


def inspect_all(root: Path, stats: dict[str, Stat], ids: dict[str, str], cache: Path | None,
                remember: bool = True) -> dict[str, FileInfo]:
    """The header of each file of `stats` (repository path -> stat; `ids`, git's
    ids of their bytes): what the folder of copies `cache` says of the same
    bytes, else read, and remembered there (unless not to `remember`: a dry run)."""
    seen = _load_seen(cache)
    found: dict[str, FileInfo] = {}
    new = 0
    for path, st in stats.items():
        blob = ids.get(path, "")
        key = f"{blob} {mimetypes.guess_type(path)[0] or ''}"
        hit = seen.get(key) if blob else None
        if hit is not None:
            found[path] = FileInfo(st, *hit, blob=blob)
            continue
        info = found[path] = inspect(root / path, st, blob)
        if blob and info.width:
            seen[key] = (info.mime, info.width, info.height, info.located, info.published, info.animated)
            new += 1
    if new and cache is not None and remember:
        _save_seen(cache, seen)
    return found


_Seen = tuple[str, int, int, bool, int, bool]


def _load_seen(cache: Path | None) -> dict[str, _Seen]:
    import json

    try:
        data = read_regular(cache / SEEN) if cache is not None else None
        loaded = json.loads(data) if data else None
    except (OSError, ValueError):
        return {}
    if not isinstance(loaded, dict) or loaded.get("format") != _SEEN_FORMAT or not isinstance(loaded.get("seen"), dict):
        return {}
    kinds = (str, int, int, bool, int, bool)
    return {k: tuple(v) for k, v in loaded["seen"].items()  # type: ignore[misc]
            if isinstance(v, list) and len(v) == len(kinds) and all(type(x) is t for x, t in zip(v, kinds))}


def _save_seen(cache: Path, seen: dict[str, _Seen]) -> None:
    import json

    try:
        cache.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return  # (found again next time)
    _keep(cache / SEEN, json.dumps({"format": _SEEN_FORMAT, "seen": seen}, separators=(",", ":")).encode())


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "replace") if isinstance(value, str) else b""


def without_location(data: bytes) -> bytes:
    """A JPEG's bytes with its EXIF GPS directory, and any XMP packet naming a
    GPS position, left out; every other segment, and the image, as they were."""
    from PIL import Image

    if data[:2] != b"\xff\xd8":
        return data
    out, i = [data[:2]], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # the image data starts: the rest as it is
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            out.append(data[i:i + 2])
            i += 2
            continue
        end = i + 2 + int.from_bytes(data[i + 2:i + 4], "big")
        payload = data[i + 4:end]
        if marker == 0xE1 and payload.startswith(b"Exif\0\0"):
            exif = Image.Exif()
            exif.load(payload)
            if _GPS_IFD in exif:
                del exif[_GPS_IFD]
                kept = exif.tobytes()
                out.append(b"\xff\xe1" + (len(kept) + 2).to_bytes(2, "big") + kept)
                i = end
                continue
        elif marker == 0xE1 and payload.startswith(_XMP) and b"GPS" in payload:
            i = end
            continue
        out.append(data[i:end])
        i = end
    out.append(data[i:])
    return b"".join(out)


class Upload(NamedTuple):
    """An image as it is sent to a network."""

    data: bytes
    mime: str
    name: str  # the file name it is sent under
    resized: bool = False  # a smaller copy, not the file


def fitted(path: Path, max_bytes: int, max_pixels: int, types: Collection[str]) -> Upload:
    """The image at `path` as a network whose limits are `max_bytes`,
    `max_pixels` (width x height) and the media types `types` takes it: the
    file itself (a JPEG without its location) when it is within them, else a
    JPEG copy made in memory, scaled down until it is, without any of the
    file's metadata (EXIF, XMP, ICC). ContentError when it is not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        data = path.read_bytes()
        with warnings.catch_warnings():
            # A scan of many megapixels is what this is for, not a decompression bomb.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                mime = Image.MIME.get(im.format or "", "")
                if len(data) <= max_bytes and im.width * im.height <= max_pixels and mime in types:
                    return Upload(without_location(data) if mime == "image/jpeg" else data, mime, path.name)
                return Upload(_smaller(im, max_bytes, max_pixels), "image/jpeg", path.stem + ".jpg", True)
    except OSError as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise ContentError([Problem(str(path), 0, "not an image that can be read (JPEG, PNG, GIF or "
                                                      "WebP); save the image as one of those")]) from exc
        raise ContentError([Problem(str(path), 0, f"cannot be read ({exc.strerror or exc})")]) from exc


def _smaller(im: PILImage, max_bytes: int, max_pixels: int) -> bytes:
    width, height = im.size
    area = min(max_pixels, width * height)
    scale = math.sqrt(area / (width * height))
    picture = _decoded(im, (math.ceil(width * scale), math.ceil(height * scale)), opaque=True)
    width, height = picture.size
    scale = min(1.0, math.sqrt(area / (width * height)))
    while True:
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        out = io.BytesIO()
        _resized(picture, size).save(out, "JPEG", quality=85, optimize=True)
        if out.tell() <= max_bytes or size == (1, 1):
            return out.getvalue()
        scale *= 0.8  # (each step about two thirds of the pixels)


def _decoded(im: PILImage, at_least: tuple[int, int], opaque: bool) -> PILImage:
    """An opened image decoded upright, as it is shown, big enough to be scaled
    down to `at_least` (stored width x height); `opaque`: on white, in RGB
    (for JPEG), else keeping its transparency. None of its metadata goes on."""
    from PIL import Image, ImageOps

    # A JPEG is decoded at the nearest larger 1/2, 1/4 or 1/8 scale: a
    # 40-megapixel scan is never held whole in memory.
    im.draft("RGB", at_least)
    picture = ImageOps.exif_transpose(im)  # as it is shown: a photo taken upright stays upright
    if picture.mode == "L" and not opaque:
        return picture  # (a grey scan scaled as one: a third of the work)
    clear = picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
    if clear and opaque:
        picture = Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture.convert("RGBA"))
    return picture.convert("RGBA" if clear and not opaque else "RGB")


def _resized(picture: PILImage, size: tuple[int, int]) -> PILImage:
    """A decoded picture at `size` (Lanczos; in steps for a large reduction, which is quicker and looks the same)."""
    from PIL import Image

    return picture if picture.size == size else picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


# --- smaller copies for the site (srcset) ------------------------------------------
VARIANT_WIDTHS = (480, 960, 1600)
VARIANT_QUALITY = 80
# libwebp's effort (0-6): 2 encodes a third faster than the default 4 for files
# a few per cent larger or smaller (a 1200 x 800 scan: 80 ms instead of 120 for its two copies).
VARIANT_METHOD = 2
# The encoding settings: part of every copy's key (in the folder of copies and
# on the site). Change it whenever a copy's bytes would change.
VARIANTS = f"webp q{VARIANT_QUALITY} m{VARIANT_METHOD} v1"
_SCALABLE = ("image/jpeg", "image/png", "image/webp", "image/gif")


def variant_widths(info: FileInfo) -> tuple[int, ...]:
    """The widths of the smaller copies an image is published with: those
    narrower than 90 % of its own (none for an image that is already small,
    one that moves, or one that is not a picture Pillow scales, such as SVG)."""
    if info.animated or info.mime not in _SCALABLE:
        return ()
    return tuple(w for w in VARIANT_WIDTHS if w < 0.9 * info.width)


def variant_name(name: str, width: int) -> str:
    """The name of an image's copy `width` pixels wide, beside it: 'scan.jpg' -> 'scan.jpg.480w.webp'."""
    return f"{name}.{width}w.webp"


_COPY = re.compile(r"(.+)\.([1-9][0-9]*)w\.webp")


def copy_of(name: str) -> tuple[str, int] | None:
    """The image and width a copy's name (`variant_name`) names: 'scan.jpg.480w.webp' -> ('scan.jpg', 480)."""
    m = _COPY.fullmatch(name)
    return (m.group(1), int(m.group(2))) if m else None


def names_taken(paths: Collection[str], info: Callable[[str], FileInfo | None]) -> dict[str, str]:
    """Of the repository files `paths` the site publishes, those with the name
    of a smaller copy of another of them (`scan.jpg.480w.webp` beside a
    `scan.jpg` published with a copy 480 px wide): both would be published at
    one path. Each with why it is not published (`info`: a file's header, None
    when it cannot be published)."""
    taken = {}
    for path in paths:
        named = copy_of(path) if path.endswith("w.webp") else None
        if named is None or named[0] not in paths:
            continue
        original = info(named[0])
        if original is not None and named[1] in variant_widths(original):
            folder, _, name = path.rpartition("/")
            taken[path] = (f"cannot be published: its name is taken by the {named[1]} px copy of "
                           f"{named[0].rpartition('/')[2]}, published beside it; rename {name} "
                           f"(`git mv {path} {folder}/NEW-NAME.webp`) and the references to it")
    return taken


def _copy_name(blob: str, width: int) -> str:
    """A copy's name in the folder of copies: its original's bytes and how it is made."""
    return hashlib.sha256(f"{blob}\0{VARIANTS}\0{width}".encode()).hexdigest() + ".webp"


def copies_tag() -> str:
    """Names how copies are made and named (`VARIANTS`, `_copy_name` by git's id):
    publish.yml's cache of the folder of copies has it in its key, so that a
    cache of copies no longer used is not restored (and then never saved anew,
    its key unchanged while the images are). tests/test_github.py holds them equal."""
    return hashlib.sha256(f"{VARIANTS}\0git blob id".encode()).hexdigest()[:8]


def _whole_webp(path: Path) -> bool:
    """A regular file of the user's that is a whole WebP file (RIFF header, its
    length; read from its first 12 bytes, as store.read_regular would open it:
    never a link, FIFO or device): a copy cut short or damaged in the folder
    of copies is made again."""
    try:
        opened = open_regular(path)
    except OSError:
        return False
    if opened is None:
        return False
    fd, st = opened
    try:
        head = os.read(fd, 12)
    except OSError:
        return False
    finally:
        os.close(fd)
    return (len(head) == 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP"
            and int.from_bytes(head[4:8], "little") + 8 == st.st_size >= 20)


# The copies made by this writer for outputs it has yet to be asked for
# (an image's copies are one group of outputs: made together, from one decoding).
_pending: dict[tuple[str, Stat, int], bytes | Path] = {}


def variant(path: Path, stat: Stat, blob: str, widths: Sequence[int], width: int,
            cache: Path | None) -> bytes | Path:
    """The copy `width` pixels wide of the image at `path` (whose stat is
    `stat`, git's id `blob`, and whose copies are `widths` wide), made with its
    siblings: its bytes, or the file in the folder of copies that holds them."""
    got = _pending.pop((str(path), stat, width), None)
    if got is not None:
        return got
    made = variants(path, widths, cache, blob)
    for w, data in made.items():
        if w != width:
            _pending[(str(path), stat, w)] = data
    return made[width]


def variants(path: Path, widths: Sequence[int], cache: Path | None, blob: str = "") -> dict[int, bytes | Path]:
    """The WebP copies of the image at `path` (git's id of its bytes: `blob`,
    '' when unknown) at each of `widths` (px), upright, without its metadata
    (EXIF, XMP; its colour profile kept): the files in the folder of copies
    `cache` made before from the same bytes (the image is then not read), else
    encoded (from one decoding) and kept there (`cache` None: nothing kept)."""
    from PIL import Image, UnidentifiedImageError

    data = b""
    if not blob:
        data = _read(path)
        blob = "sha256 " + hashlib.sha256(data).hexdigest()
    copies: dict[int, bytes | Path] = {}
    for w in widths:
        kept = cache / _copy_name(blob, w) if cache is not None else None
        if kept is not None and _whole_webp(kept):
            copies[w] = kept
    missing = sorted((w for w in widths if w not in copies), reverse=True)
    if not missing:
        return copies
    data = data or _read(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                icc = im.info.get("icc_profile")
                upright = _oriented_size(im)
                # (Decoded for the widest copy whichever are missing: a copy's bytes are the same however made.)
                scale = max(widths) / upright[0]
                stored = (im.width, im.height) if upright == im.size else (im.height, im.width)
                picture = _decoded(im, (math.ceil(stored[0] * scale), math.ceil(stored[1] * scale)), opaque=False)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise ContentError([Problem(str(path), 0, "cannot be made smaller: not an image that can be read "
                                                  f"({exc}); save it again as JPEG, PNG or WebP")]) from exc
    if cache is not None:
        try:
            cache.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            cache = None  # (made again next time)
    for w in missing:
        size = (w, max(1, round(picture.height * w / picture.width)))
        out = io.BytesIO()
        _resized(picture, size).save(out, "WEBP", quality=VARIANT_QUALITY, method=VARIANT_METHOD,
                                     **({"icc_profile": icc} if icc else {}))
        kept = cache / _copy_name(blob, w) if cache is not None else None
        copies[w] = kept if kept is not None and _keep(kept, out.getvalue()) else out.getvalue()
    return copies


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ContentError([Problem(str(path), 0, f"cannot be read ({exc.strerror or exc})")]) from exc


# A copy that no complete build has used for this long leaves the folder of
# copies (an image of another branch is then encoded once more when it comes back).
UNUSED_FOR = 30 * 86400  # seconds since the copy was made


def prune(cache: Path, files: Iterable[FileInfo], now: float) -> int:
    """Remove from the folder of copies those none of `files` (every file a
    complete build publishes) is published with and that were made over
    UNUSED_FOR ago, and what killed writers left; the number removed."""
    used = {_copy_name(info.blob, w) for info in files if info.blob for w in variant_widths(info)}
    removed = 0
    try:
        entries = os.scandir(cache)
    except OSError:
        return 0
    with entries:
        for entry in entries:
            name = entry.name
            if not ((name.endswith(".webp") and name not in used) or (name.startswith(".") and name.endswith(".tmp"))):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime < now - UNUSED_FOR:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                pass
    return removed


def _oriented_size(im: PILImage) -> tuple[int, int]:
    """An opened image's size as it is shown (a JPEG turned by its EXIF orientation)."""
    if im.format == "JPEG" and im.getexif().get(_ORIENTATION) in (5, 6, 7, 8):
        return im.height, im.width
    return im.width, im.height


def _keep(target: Path, data: bytes) -> bool:
    """Put a file in the folder of copies whole or not at all (two writers
    making it at once: either one); whether it is there. A copy is readable as
    the site's files are (it is hard-linked into the site); the folder is not."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write_fd(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644), data)
        os.replace(tmp, target)
        return True
    except OSError:  # (a folder of copies that cannot be written: the copy is made again next time)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def human_size(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


_IMG = re.compile(r"<img\b[^>]*>")
_LINK = re.compile(r'<a\b[^>]*?\shref="([^"]*)"[^>]*>.*?</a>', re.S)
_SRC = re.compile(r'\ssrc="([^"]*)"')
_IMG_OR_LINK = re.compile(r"<a\b[^>]*>.*?</a>|<img\b[^>]*>", re.S)

# What the browser is told of an image's width on the page, to choose among
# its copies: the content column (style.css: the body at most 42rem with 1rem
# of padding each side, box-sizing border-box), and in the parallel view a
# column of two beside each other from 48rem (the body at most 72rem, a gap of 1.5rem).
SIZES = "(max-width: 42rem) calc(100vw - 2rem), 40rem"
PARALLEL_SIZES = "(max-width: 48rem) calc(100vw - 2rem), (max-width: 72rem) calc(50vw - 1.75rem), 34.25rem"


def _named(url: str, folder: str | None, files: dict[str, FileInfo], prefix: str,
           names: Collection[str]) -> FileInfo | None:
    """The file a link or image of a page names (its folder: the post's bundle;
    `prefix`: the site's path), if one of `files` (whose file names are `names`)."""
    tail = url.rpartition("/")[2]
    if tail not in names and not any(c in tail for c in "%&?#"):  # (most links: to pages, or other sites)
        return None
    parts = urlsplit(unescape(url))
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = unquote(parts.path)
    if target.startswith(prefix + "media/"):
        target = "/" + target[len(prefix):]
    path = resolve(folder, target)
    return files.get(path) if path else None


def srcset(url: str, info: FileInfo) -> str:
    """The `srcset` of the image at `url` (as the page names it) whose header is
    `info`: its smaller copies, named after `url` as they are published beside
    it, and itself, each with its width ('' when it has no copies, or when `url`
    has a query, a fragment, a comma or a space, which a candidate cannot hold)."""
    widths = variant_widths(info)
    if not widths or any(c in url for c in "?#, "):
        return ""
    return ", ".join([f"{variant_name(url, w)} {w}w" for w in widths] + [f"{url} {info.width}w"])


def file_note(info: FileInfo) -> str:
    """'(PDF, 2.5 KB)': what a link to a file is followed by, in English."""
    return f"({info.label}, {human_size(info.size)})"


def annotate(html: str, folder: str | None, files: dict[str, FileInfo], prefix: str = "/",
             note: Callable[[FileInfo], str] = file_note, sizes: str = SIZES) -> str:
    """A page's sanitized HTML with its images' width, height and lazy loading
    (a large one with its smaller copies in `srcset`, for a column as wide as
    `sizes` says, and a link to the original around it unless it is in a link
    already), and its links to other files followed by their type and size
    (`note`: in the page's language)."""
    names = {path.rpartition("/")[2] for path in files}
    if "<img" in html:
        def img(tag: str, linked: bool) -> str:
            src = _SRC.search(tag)
            info = _named(src.group(1), folder, files, prefix, names) if src else None
            extra = ' loading="lazy"'
            if info is not None and info.width and " width=" not in tag:
                extra = f' width="{info.width}" height="{info.height}"' + extra
            url = src.group(1) if src else ""
            candidates = srcset(url, info) if info is not None and src and " srcset=" not in tag else ""
            if candidates:
                extra += f' srcset="{candidates}" sizes="{sizes}"'
                if not linked:  # (the original, whole, a click away)
                    return f'<a href="{url}">' + tag[:-1].rstrip("/").rstrip() + extra + "></a>"
            return tag[:-1].rstrip("/").rstrip() + extra + ">"

        def either(m: re.Match[str]) -> str:
            found = m.group(0)
            if found.startswith("<img"):
                return img(found, False)
            return _IMG.sub(lambda i: img(i.group(0), True), found) if "<img" in found else found

        html = _IMG_OR_LINK.sub(either, html)
    if files and "<a " in html:
        def link(m: re.Match[str]) -> str:
            info = _named(m.group(1), folder, files, prefix, names)
            if info is None or "<img" in m.group(0):  # (an image shown as a link to itself)
                return m.group(0)
            return m.group(0) + f' <small class="file">{escape(note(info))}</small>'

        html = _LINK.sub(link, html)
    return html
