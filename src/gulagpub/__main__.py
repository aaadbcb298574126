"""`python -m gulagpub`: the same as the `gulagpub` command."""

from .cli import main

main()
