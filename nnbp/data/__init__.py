"""Datasets: finding them by name or path (`catalog`), their in-memory form (`dataset`), the file
formats they come in (`formats`, `pickled`), downloading the named ones (`download`), and reading
the examples someone brings to a trained network (`inputs`, `pictures`). Knows nothing of training.
"""

from nnbp.data.catalog import Fetch, cache_dir, data_folders, known_datasets, load_dataset, locate
from nnbp.data.dataset import Dataset, Split

__all__ = ["Dataset", "Fetch", "Split", "cache_dir", "data_folders", "known_datasets", "load_dataset", "locate"]
