"""Writing a trained network for other runtimes: `export(model, path, format)`.

Each format takes the whole `nnbp.Model` — the network, the scaling that turns raw examples into its
inputs, the output activation, and the class names or a regression's target scaling — so the exported
model takes raw examples and gives the same answers as `nnbp predict`.
"""

from nnbp.export.write import FORMATS, export

__all__ = ["FORMATS", "export"]
