"""Front matter's text -> its fields and the line of each, YAML read safely
and within bounds. Pure.

The plain subset people write is read by `yamlsubset` (the values PyYAML
would give, several times faster); anything else by PyYAML's safe loader (no
object construction: `!!python/...` tags are errors) with a bound on
aliases, so an alias bomb is refused before anything is expanded. Apart from
postfile.py (text <-> Post) so that model.py can read a cached Post's fields
again without importing the module that makes Posts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import yamlsubset

if TYPE_CHECKING:
    import yaml

MAX_ALIASES = 50

# PyYAML is imported where it is used: front matter in the plain subset (most
# files) is read by `yamlsubset`, and a build that reads only such files
# starts without it (its import was a twentieth of a one-edit build).


class _AliasBomb(Exception):
    pass


@functools.cache
def _bounded_loader() -> type[yaml.SafeLoader]:
    import yaml

    class _BoundedSafeLoader(yaml.SafeLoader):
        """Safe loading, and at most MAX_ALIASES alias references per document."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_ALIASES:
                    raise _AliasBomb()
            return super().compose_node(parent, index)

    return _BoundedSafeLoader


# Where an alias (`*name`) may stand. Counting these over-counts (a '*' in
# quoted text matches too) but never under-counts, so a file with at most
# MAX_ALIASES matches cannot hold more aliases, and libyaml may load it.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[\{,:?-])\*[^\s\]\},]", re.M)


def _loader(fm: str) -> Any:
    """libyaml's safe loader where the alias bound cannot be exceeded (ten
    times faster), else the pure-Python one that counts aliases exactly."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None and len(_MAYBE_ALIAS.findall(fm)) <= MAX_ALIASES:
        return fast(fm)
    return _bounded_loader()(fm)


def read_front(fm: str) -> tuple[dict[Any, Any], dict[str, int]]:
    """The fields of front matter that parse_post read before (and the line
    of each), read again: a Post from the parse cache asks for them."""
    loaded = load_fields(fm, lambda line, message: None)
    return loaded if loaded is not None else ({}, {})



def load_fields(fm: str, bad: Callable[[int, str], None]) -> tuple[dict[Any, Any], dict[str, int]] | None:
    """Front matter's fields and the line of each; None (and a problem) when
    it is not a mapping of fields. The common plain subset is read by
    `yamlsubset`; anything else by PyYAML's safe loader."""
    fast = yamlsubset.load(fm)
    if fast is not None:
        return fast
    import yaml

    loader = _loader(fm)
    try:
        node = loader.get_single_node()
        meta = loader.construct_document(node) if node is not None else {}
    except _AliasBomb:
        bad(1, f"front matter uses more than {MAX_ALIASES} YAML aliases (*name); write the values out")
        return None
    except yaml.constructor.ConstructorError as exc:
        line = (exc.problem_mark.line + 2) if exc.problem_mark else 1
        bad(line, f"YAML tag not allowed ({exc.problem}); front matter may hold only plain "
                  "text, numbers, dates, lists and mappings")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        what = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in what:  # libyaml's own bound (1,000 levels)
            bad(line, "front matter is nested too deeply to read; write the values out flat")
            return None
        bad(line, f"front matter is not valid YAML ({what}); check quoting and indentation "
                  "(values containing ': ' or starting with a quote need quotes)")
        return None
    except RecursionError:  # the pure-Python loader, on thousands of nested brackets
        bad(1, "front matter is nested too deeply to read; write the values out flat")
        return None
    except (ValueError, OverflowError) as exc:  # a constructor refused: 2012-13-45, 10**5000
        bad(_line_of_value(node), f"front matter has a value YAML cannot read ({exc}); write dates "
                                  "as YYYY-MM-DD (HH:MM), or quote the value to keep it as text")
        return None
    finally:
        loader.dispose()
    if not isinstance(meta, dict):
        bad(2, "front matter must be a mapping of fields ('title: ...' lines)")
        return None
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node.value, str):
                lines[key_node.value] = key_node.start_mark.line + 2
    for name, first, second in _twice(node):
        bad(second, f"'{name}' is given twice (first on line {first}); YAML keeps only the last one and "
                    "drops the other without a word: delete one of the two, or merge them into one")
    return meta, lines


def _twice(node: Any, prefix: str = "") -> list[tuple[str, int, int]]:
    """The keys given twice in a mapping of the front matter's `node`, at any
    depth: the dotted name (`source.author`), the file lines of the first and
    of the second. (PyYAML, as python-frontmatter, keeps the last silently.)"""
    import yaml

    found: list[tuple[str, int, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 2
            name = f"{prefix}{key_node.value}" if isinstance(key_node, yaml.ScalarNode) else None
            if name is not None:
                ident = (key_node.tag, key_node.value)
                if ident in seen:
                    found.append((name, seen[ident], line))
                else:
                    seen[ident] = line
                found += _twice(value_node, name + ".")
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value, start=1):
            found += _twice(item, f"{prefix.rstrip('.')}[{n}].")
    return found


def _line_of_value(node: Any) -> int:
    """The line of the top-level field whose value cannot be constructed."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            for part in (key_node, value_node):
                try:
                    yaml.constructor.SafeConstructor().construct_document(part)
                except (ValueError, OverflowError):
                    return key_node.start_mark.line + 2
                except yaml.YAMLError:
                    pass
    return 1
