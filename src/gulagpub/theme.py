"""The templates a site is rendered with: the package's own, and those of the
content repository's `templates/` folder, which take their place. Edge module
(reads the template files).

A repository's templates come from whoever could commit to it, pull requests
included: they render in Jinja's sandbox, which refuses the attribute and
call tricks that reach Python's internals (`cycler.__init__.__globals__.os`),
and their folder may hold no symbolic link. Templates only ever see plain
values (texts, numbers, lists and records of them), never an object of the
build. The package's templates are part of gulagpub's code: without a
`templates/` folder the plain (faster) environment renders them. Either way
autoescaping is on and every printed text loses the characters XML forbids.

Compiled templates are kept, sealed, in the repository's state folder
(store.py): a compiled template is code, and only code gulagpub compiled
there is ever loaded.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from . import i18n
from .errors import BuildError
from .store import Sealer
from .xmlsafe import strip_forbidden

if TYPE_CHECKING:
    import jinja2

TEMPLATES_DIR = "templates"
PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


def own_templates(root: Path) -> list[str]:
    """The files of the repository's templates/ folder (relative names), refusing links."""
    own = root / TEMPLATES_DIR
    if os.path.islink(own):
        raise BuildError(f"{TEMPLATES_DIR}: is a symbolic link; templates must be files in the repository "
                         "(replace the link with the folder itself)")
    if not own.is_dir():
        return []
    names: list[str] = []
    links: list[str] = []
    for folder, dirs, files in os.walk(own):
        rel = Path(folder).relative_to(own).as_posix()
        prefix = "" if rel == "." else rel + "/"
        for d in list(dirs):
            if os.path.islink(os.path.join(folder, d)):
                links.append(prefix + d)
                dirs.remove(d)
        dirs.sort()
        for f in sorted(files):
            (links if os.path.islink(os.path.join(folder, f)) else names).append(prefix + f)
    if links:
        raise BuildError("\n".join(f"{TEMPLATES_DIR}/{link}: is a symbolic link; templates must be files in the "
                                   "repository (replace the link with the file itself)" for link in sorted(links)))
    return names


def digest(root: Path) -> str:
    """Names every template the site may use (the repository's and the package's)."""
    h = hashlib.blake2b(digest_size=16)
    for folder, names in ((root / TEMPLATES_DIR, own_templates(root)), (PACKAGE_TEMPLATES, _package_names())):
        for name in names:
            h.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
        h.update(b"\1")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _package_names() -> list[str]:
    return sorted(p.name for p in PACKAGE_TEMPLATES.iterdir() if p.is_file())


class Messages(Protocol):
    """The messages of one interface language (i18n.Interface)."""

    lang: str

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


def environment(root: Path, state: Path, words: Messages) -> jinja2.Environment:
    """Templates from the content repository's templates/ first, then the
    package's, speaking the language of `words`: each message a template
    names with a fixed text (`_("Tags:")`, `{% trans %}`) is put in that
    language when the template is compiled, so a page pays nothing for it."""
    import jinja2
    import jinja2.sandbox

    own = own_templates(root)
    loaders: list[jinja2.BaseLoader] = []
    if own:
        loaders.append(jinja2.FileSystemLoader(root / TEMPLATES_DIR, followlinks=False))
    loaders.append(jinja2.FileSystemLoader(PACKAGE_TEMPLATES))
    kind = jinja2.sandbox.SandboxedEnvironment if own else jinja2.Environment
    sealer = Sealer(state)

    class Localized(kind):  # type: ignore[valid-type,misc]
        def compile(self, source: Any, name: str | None = None, filename: str | None = None,
                    raw: bool = False, defer_init: bool = False) -> Any:
            if isinstance(source, str):
                source = _translated(self.parse(source, name, filename), words, self)
            return super().compile(source, name, filename, raw, defer_init)

    class SealedBytecode(jinja2.BytecodeCache):
        """Jinja's compiled templates, sealed in the state folder (one per
        language: the messages are compiled in)."""

        def get_cache_key(self, name: str, filename: str | None = None) -> str:
            return f"{super().get_cache_key(name, filename)}-{words.lang}-{i18n.digest()}"

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            raw = sealer.read(f"jinja/{bucket.key}")
            if raw is not None:
                bucket.bytecode_from_string(raw)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                sealer.write(f"jinja/{bucket.key}", bucket.bytecode_to_string())
            except OSError:
                pass  # a cache that cannot be written only costs time

    # auto_reload off: templates do not change during a build, and checking their
    # times for every page (and every include) is work for nothing.
    env = Localized(loader=jinja2.ChoiceLoader(loaders), autoescape=True, auto_reload=False,
                    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, finalize=_xml_safe,
                    bytecode_cache=SealedBytecode(), extensions=["jinja2.ext.i18n"])
    # What is left to do while rendering (ngettext, a message held in a variable).
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def _translated(tree: Any, words: Messages, env: jinja2.Environment) -> Any:
    """A parsed template with each gettext of a fixed message (`_("Tags:")`,
    `_("Page %(n)s", n=…)`, a {% trans %} block) replaced by the message in
    the language of `words`, with what Jinja's newstyle gettext does at run
    time: the text marked safe, and the values given filled in (escaped)."""
    from jinja2 import nodes
    from jinja2.visitor import NodeTransformer

    class Translate(NodeTransformer):
        def visit_Call(self, call: nodes.Call) -> nodes.Node:
            node = self.generic_visit(call)
            if not (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in ("_", "gettext")
                    and len(node.args) == 1 and isinstance(node.args[0], nodes.Const)
                    and isinstance(node.args[0].value, str) and node.dyn_args is None and node.dyn_kwargs is None):
                return node
            text = words.gettext(node.args[0].value)
            if node.kwargs:
                values = nodes.Dict([nodes.Pair(nodes.Const(k.key), k.value) for k in node.kwargs])
                return nodes.Mod(nodes.MarkSafeIfAutoescape(nodes.Const(text)), values).set_lineno(node.lineno)
            try:
                text = text % {}  # ('%%' is a '%', as gettext at run time makes it)
            except (KeyError, ValueError, TypeError):
                return node  # (a placeholder with no value: let rendering say so, as before)
            return nodes.MarkSafeIfAutoescape(nodes.Const(text)).set_lineno(node.lineno)

    done = Translate().visit(tree)
    done.set_environment(env)
    return done


def template_error(exc: Exception, name: str) -> BuildError:
    """A template that failed to compile or render, as one line naming the
    template (and its line, where Jinja knows it) and the fix."""
    import traceback

    import jinja2

    where, line = name, getattr(exc, "lineno", None)
    filename = getattr(exc, "filename", None)
    if filename is None:  # a failure while rendering: Jinja's frames carry the template's file and line
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".xsl", ".txt", ".css", ".svg")):
                filename, line = frame.filename, frame.lineno
                break
    if filename is not None:
        where = Path(filename).name
    ours = filename is not None and Path(filename).parent == PACKAGE_TEMPLATES
    text = (exc.message if isinstance(exc, jinja2.TemplateError) else None) or str(exc)
    if isinstance(exc, jinja2.exceptions.SecurityError):
        text = f"the sandbox refused it: {text}"
    loc = (f"{TEMPLATES_DIR}/{where}" if not ours else f"gulagpub's {where}") + (f":{line}" if line else "")
    fix = "fix the template, or delete it to use gulagpub's own" if not ours else "report this as a bug of gulagpub"
    return BuildError(f"{loc}: {text}; {fix}")


def _xml_safe(value: Any) -> Any:
    """Every text a template prints, without the characters XML 1.0 forbids
    (Markup comes from render.markdown_to_html, which strips them already)."""
    if type(value) is str:
        # Printable ASCII (most links, dates, titles) holds none of them: no lookup.
        if value.isascii() and value.isprintable():
            return value
        return _stripped(value)
    return value


@functools.lru_cache(maxsize=1 << 16)
def _stripped(text: str) -> str:
    # Pages repeat the same texts (site title, feed links, tag names).
    return strip_forbidden(text)
