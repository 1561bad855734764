"""The Flux releases flux-lint knows: the minors it ships a schema bundle for.

One fact that several stages need (the repository model resolves a pinned or floating Flux
version against it, the schema store finds a bundle with it), so it lives in one place.
"""

from __future__ import annotations

#: Flux minors with a bundle, oldest first.
MINORS: tuple[tuple[int, int], ...] = ((2, 6), (2, 7), (2, 8), (2, 9))
#: The Flux a repository must work with unless told otherwise (``--flux-version``).
DEFAULT_MINOR = (2, 9)
