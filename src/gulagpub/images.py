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
"""

from __future__ import annotations

import io
import math
import mimetypes
import re
import warnings
from collections.abc import Callable, Collection
from html import escape, unescape
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote, urlsplit

from .errors import ContentError, Problem
from .media import Stat, resolve

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

_GPS_IFD = 0x8825  # EXIF's pointer to its GPS directory
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

    @property
    def size(self) -> int:
        """Its size on the site, in bytes."""
        return self.published if self.published >= 0 else self.stat[1]

    @property
    def label(self) -> str:
        """Its type as a reader knows it: 'PDF', 'JPEG', 'ZIP'…"""
        sub = self.mime.partition("/")[2].removeprefix("x-").removeprefix("vnd.")
        return {"svg+xml": "SVG", "msword": "Word", "plain": TEXT}.get(sub, sub.upper()) if sub else FILE


def inspect(path: Path, stat: Stat) -> FileInfo:
    """The header of the file at `path` (whose stat is `stat`)."""
    from PIL import Image, UnidentifiedImageError

    guessed = mimetypes.guess_type(path.name)[0] or ""
    if not guessed.startswith("image/"):
        return FileInfo(stat, guessed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (a huge image is only measured here, never decoded)
            with Image.open(path) as im:
                mime = Image.MIME.get(im.format or "", guessed)
                located = im.format == "JPEG" and (_GPS_IFD in im.getexif()
                                                   or b"GPS" in _as_bytes(im.info.get("xmp")))
                width, height = im.width, im.height
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):  # not an image Pillow reads
        return FileInfo(stat, guessed)
    if not located:
        return FileInfo(stat, mime, width, height)
    try:
        published = len(without_location(path.read_bytes()))
    except OSError:
        published = -1
    return FileInfo(stat, mime, width, height, True, published)


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
    from PIL import Image, ImageOps

    width, height = im.size
    area = min(max_pixels, width * height)
    scale = math.sqrt(area / (width * height))
    # A JPEG is decoded at the nearest larger 1/2, 1/4 or 1/8 scale: a
    # 40-megapixel scan is never held whole in memory.
    im.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
    picture = ImageOps.exif_transpose(im)  # as it is shown: a photo taken upright stays upright
    if picture.mode in ("RGBA", "LA", "P", "PA"):
        picture = Image.alpha_composite(Image.new("RGBA", picture.size, "white"), picture.convert("RGBA"))
    picture = picture.convert("RGB")
    width, height = picture.size
    scale = min(1.0, math.sqrt(area / (width * height)))
    while True:
        size = (max(1, int(width * scale)), max(1, int(height * scale)))
        out = io.BytesIO()
        picture.resize(size, Image.Resampling.LANCZOS).save(out, "JPEG", quality=85, optimize=True)
        if out.tell() <= max_bytes or size == (1, 1):
            return out.getvalue()
        scale *= 0.8  # (each step about two thirds of the pixels)


def human_size(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


_IMG = re.compile(r"<img\b[^>]*>")
_LINK = re.compile(r'<a\b[^>]*?\shref="([^"]*)"[^>]*>.*?</a>', re.S)
_SRC = re.compile(r'\ssrc="([^"]*)"')


def _named(url: str, folder: str | None, files: dict[str, FileInfo], prefix: str) -> FileInfo | None:
    """The file a link or image of a page names (its folder: the post's bundle;
    `prefix`: the site's path), if one of `files`."""
    parts = urlsplit(unescape(url))
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = unquote(parts.path)
    if target.startswith(prefix + "media/"):
        target = "/" + target[len(prefix):]
    path = resolve(folder, target)
    return files.get(path) if path else None


def file_note(info: FileInfo) -> str:
    """'(PDF, 2.5 KB)': what a link to a file is followed by, in English."""
    return f"({info.label}, {human_size(info.size)})"


def annotate(html: str, folder: str | None, files: dict[str, FileInfo], prefix: str = "/",
             note: Callable[[FileInfo], str] = file_note) -> str:
    """A page's sanitized HTML with its images' width, height and lazy loading,
    and its links to other files followed by their type and size (`note`: in
    the page's language)."""
    if "<img" in html:
        def img(m: re.Match[str]) -> str:
            tag = m.group(0)
            src = _SRC.search(tag)
            info = _named(src.group(1), folder, files, prefix) if src else None
            extra = ' loading="lazy"'
            if info is not None and info.width and " width=" not in tag:
                extra = f' width="{info.width}" height="{info.height}"' + extra
            return tag[:-1].rstrip("/").rstrip() + extra + ">"

        html = _IMG.sub(img, html)
    if files and "<a " in html:
        def link(m: re.Match[str]) -> str:
            info = _named(m.group(1), folder, files, prefix)
            if info is None or "<img" in m.group(0):  # (an image shown as a link to itself)
                return m.group(0)
            return m.group(0) + f' <small class="file">{escape(note(info))}</small>'

        html = _LINK.sub(link, html)
    return html
