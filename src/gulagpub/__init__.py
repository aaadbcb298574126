"""gulagpub: publish translated historical documents from Git.

The library can be used without the CLI: `gulagpub.content.load(root)` reads a
content repository; the other modules take the values it returns.
"""

from .errors import GulagpubError, Problem
from .model import Kind, Post, State

__all__ = ["GulagpubError", "Kind", "Post", "Problem", "State"]
