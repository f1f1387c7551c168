"""nnfs: Neural Networks from Scratch, a literate course and a small NumPy framework."""
__version__ = "0.1.0"

from .core import NNFSError, init, get_rng, get_dtype
