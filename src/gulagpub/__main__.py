"""`python -m gulagpub`: the same as the `gulagpub` command."""

from .cli import run

run()
