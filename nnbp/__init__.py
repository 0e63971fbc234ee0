"""nnbp: train fully-connected networks by backpropagation, as chapter 2 of Nielsen's book lays it out."""

__version__ = "0.1.0"
