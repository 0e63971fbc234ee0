"""Reading a config file: a regular file of at most MAX_CONFIG_BYTES, parsed by a safe YAML loader
that also refuses what a config never needs (aliases, deep nesting, a key given twice).

Returns the raw mapping; `nnbp.config.train_config.build_config` checks its keys and values.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from nnbp.config.keys import shown
from nnbp.errors import NnbpError
from nnbp.system.safeio import read_text

MAX_CONFIG_BYTES = 1 << 20  # a config is a few hundred bytes; anything near this is not one
MAX_YAML_DEPTH = 8  # a config's deepest value is a list or mapping inside a key: 2 or 3 levels


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that also refuses aliases (whose expansion can grow exponentially), nesting
    deeper than MAX_YAML_DEPTH, a key given twice, and a list or mapping as a key."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            raise NnbpError(f"line {line}: YAML aliases (*name) are not accepted in a config")
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise NnbpError(f"line {line}: nested more than {MAX_YAML_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if not isinstance(key, Hashable):
            raise NnbpError(f"line {line}: a {type(key).__name__} cannot be a key")
        if key in seen:
            raise NnbpError(f"line {line}: key {shown(key)} is given twice")
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw mapping in a YAML config file."""
    text = read_text(path, "a YAML config file", MAX_CONFIG_BYTES)
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except NnbpError as e:
        raise NnbpError(f"{path}: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise NnbpError(f"{path}: not valid YAML{where}: {problem}") from None
    except ValueError as e:  # an integer of more digits than Python converts
        raise NnbpError(f"{path}: holds a number nnbp cannot read ({str(e).split(':')[0]})") from None
    if raw is None:
        raise NnbpError(f"{path}: is empty; expected a mapping of config keys such as 'sizes: [784, 30, 10]'")
    if not isinstance(raw, dict):
        raise NnbpError(f"{path}: holds a {type(raw).__name__}; expected a mapping of config keys")
    return raw
