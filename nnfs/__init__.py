"""Modules:

- `nnfs.exercises`: How the course grades your answers: `check` runs your code on fresh random cases and edge cases and says, in plain words, what passed or what went wrong."""

__version__ = "0.1.0"

from .core import NNFSError, init, get_rng, get_dtype
