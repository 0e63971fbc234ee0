"""A run and what it writes: the one service that trains a config (`run`), the run folder with its
lock and checkpoint (`folder`), the weights file (`weights`), the history (`history`), and the
services over saved weights: evaluation and description (`evaluation`), the gradient check
(`gradient_check`) and prediction (`prediction`). Prints nothing.
"""

from nnbp.run.evaluation import check_fits, describe_weights, evaluate_weights
from nnbp.run.folder import RunFolder
from nnbp.run.gradient_check import check_gradient
from nnbp.run.history import History, read_history
from nnbp.run.prediction import predict_files
from nnbp.run.run import Callbacks, Run, train
from nnbp.run.weights import load_weights, save_weights

__all__ = [
    "Callbacks",
    "History",
    "Run",
    "RunFolder",
    "check_fits",
    "check_gradient",
    "describe_weights",
    "evaluate_weights",
    "load_weights",
    "predict_files",
    "read_history",
    "save_weights",
    "train",
]
