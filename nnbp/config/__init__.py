"""Configuration: `TrainConfig` (every key with its parser and help), and reading it from YAML.

config = build_config(read_config_file(path), {"eta": "0.5"}, str(path))
"""

from nnbp.config.files import read_config_file
from nnbp.config.keys import Key
from nnbp.config.train_config import KEYS, TrainConfig, build_config, keys_help, keys_table

__all__ = ["KEYS", "Key", "TrainConfig", "build_config", "keys_help", "keys_table", "read_config_file"]
