"""`python -m nnbp` runs the same CLI as the `nnbp` script."""

from nnbp.cli import main

main()
