"""What each config key accepts: the parsers that check a value, and how an option's text becomes one.

A parser is `parse(value, where) -> value`: the checked (and normalised) value, or an `NnbpError`
whose message starts with `where` (`file: key`, `--option` or the bare key name), shows the value,
and says what was expected, with a close match when a name is misspelt. `Key` bundles a key's
parser with its help line and its option's look; `nnbp.config.train_config` gives one to each field.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nnbp.activations import ACTIVATIONS
from nnbp.data.expansion import Expansion
from nnbp.errors import NnbpError
from nnbp.schedule import EtaSchedule
from nnbp.system.blas import MAX_THREADS, SETTINGS
from nnbp.system.memory import describe, memory_limit, parameter_bytes

MAX_LAYERS = 1_000
MAX_SHIFT = 8  # pixels an expanded image moves at most, each way
MAX_ROTATE = 45  # degrees
MAX_ELASTIC = 100  # α, the strength of an elastic distortion
MAX_INT = 2**63 - 1  # every whole number a config holds fits an int64

Parser = Callable[[Any, str], Any]  # parse(value, where): the checked value, or NnbpError naming `where`


def shown(value: Any, limit: int = 60) -> str:
    """A value as an error message shows it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def nearest(value: Any, options: Iterable[str]) -> str | None:
    """The one of `options` that `value` is a near miss of (case, '-' and '_' aside, or a typo), if any."""
    if not isinstance(value, str):
        return None
    options = list(options)
    folded = {o.lower().replace("-", "").replace("_", ""): o for o in options}
    key = value.lower().replace("-", "").replace("_", "")
    return folded.get(key) or next(iter(difflib.get_close_matches(value, options, n=1, cutoff=0.6)), None)


def close_match(value: Any, options: Iterable[str]) -> str:
    """'; did you mean X?' when `value` is a near miss of one of `options`, else ''."""
    match = nearest(value, options)
    return f"; did you mean {match!r}?" if match else ""


def whole(value: Any, where: str, minimum: int) -> int:
    """A whole number (not a bool) from `minimum` to MAX_INT."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise NnbpError(f"{where}: {shown(value)} is not a whole number")
    if value < minimum:
        raise NnbpError(f"{where}: {shown(value)} is less than {minimum}")
    if value > MAX_INT:
        raise NnbpError(f"{where}: {shown(value)} is larger than {MAX_INT}")
    return value


def number(value: Any, where: str) -> float:
    """A number (not a bool) as a float; text such as '1e-3' too, which YAML 1.1 reads as a string."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise NnbpError(f"{where}: {shown(value)} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise NnbpError(f"{where}: {shown(value)} is not a number")
    try:
        return float(value)
    except OverflowError:
        raise NnbpError(f"{where}: {shown(value)} is too large a number") from None


def finite_number(value: Any, where: str) -> float:
    """A finite number as JSON holds it: an int or a float, never a bool or text."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise NnbpError(f"{where}: {shown(value, 40)} is not a finite number")
    return value


def positive_int(value: Any, where: str) -> int:
    return whole(value, where, 1)


def seed(value: Any, where: str) -> int:
    return whole(value, where, 0)


def optional_count(value: Any, where: str) -> int | None:
    """None (off, or all), or a whole number of at least 1."""
    return None if value is None else positive_int(value, where)


def validation_size(value: Any, where: str) -> int | None:
    return None if value is None else whole(value, where, 0)


def eta(value: Any, where: str) -> float:
    value = number(value, where)
    if not math.isfinite(value) or value <= 0:
        raise NnbpError(f"{where}: {value} is not a positive finite learning rate")
    return value


def lmbda(value: Any, where: str) -> float:
    value = number(value, where)
    if not math.isfinite(value) or value < 0:
        raise NnbpError(f"{where}: {value} is not a finite regularisation λ ≥ 0")
    return value


def momentum(value: Any, where: str) -> float:
    value = number(value, where)
    if not 0 <= value < 1:
        raise NnbpError(f"{where}: {value} is not a momentum μ with 0 ≤ μ < 1")
    return value


def fraction(value: Any, where: str) -> float:
    value = number(value, where)
    if not 0 < value < 1:
        raise NnbpError(f"{where}: {value} is not a number between 0 and 1")
    return value


def sizes(value: Any, where: str) -> tuple[int, ...]:
    """2 to MAX_LAYERS layer sizes, input first, whose weights and gradient fit the memory limit."""
    if not isinstance(value, (list, tuple)) or not 2 <= len(value) <= MAX_LAYERS:
        raise NnbpError(f"{where}: {shown(value)} is not a list of 2 to {MAX_LAYERS} layer sizes, input first")
    checked = tuple(positive_int(n, f"{where}[{i}]") for i, n in enumerate(value))
    needed = 2 * parameter_bytes(checked, 4)  # weights and gradient, in float32 at the least
    if needed > memory_limit():
        raise NnbpError(
            f"{where}: {shown(list(checked))} would need at least {describe(needed, memory_limit())} for its "
            f"weights and gradient; the limit is {describe(memory_limit(), needed)} (set NNBP_MAX_MEMORY to raise it)"
        )
    return checked


def choice(options: tuple[str, ...]) -> Parser:
    """One of `options`, exactly as written."""

    def parse(value: Any, where: str) -> str:
        if not isinstance(value, str) or value not in options:
            raise NnbpError(f"{where}: {shown(value)} is not one of {', '.join(options)}{close_match(value, options)}")
        return value

    return parse


def activation(value: Any, where: str) -> str | tuple[str, ...]:
    """One activation's name, or a list of them (one per non-input layer)."""
    names = choice(tuple(ACTIVATIONS))
    if isinstance(value, (list, tuple)):
        if not value:
            raise NnbpError(f"{where}: an empty list; give one activation, or one per non-input layer")
        return tuple(names(v, f"{where}[{i}]") for i, v in enumerate(value))
    return names(value, where)


SCHEDULE_FIELDS = ("patience", "factor", "stop_fraction")


def mapping_of(value: Any, where: str, fields: tuple[str, ...], example: str) -> dict:
    """`value` if it is a mapping whose keys are among `fields`; else a one-line error naming the first
    unknown field (and a close match) or saying a mapping such as `example` was expected."""
    if not isinstance(value, dict):
        raise NnbpError(f"{where}: {shown(value)} is not a mapping such as {example}, each field given once")
    unknown = [str(k)[:40] for k in value if k not in fields]
    if unknown:
        raise NnbpError(
            f"{where}: {unknown[0]}: unknown field{close_match(unknown[0], fields)}; the fields are {', '.join(fields)}"
        )
    return value


def eta_schedule(value: Any, where: str) -> EtaSchedule | None:
    """None (η constant), or {patience: N, factor: F, stop_fraction: S} (patience required)."""
    if value is None or isinstance(value, EtaSchedule):
        return value
    value = mapping_of(value, where, SCHEDULE_FIELDS, "{patience: 10, factor: 0.5}")
    if "patience" not in value:
        raise NnbpError(f"{where}: needs patience, the epochs without improvement before η is lowered")
    return EtaSchedule(
        patience=positive_int(value["patience"], f"{where}: patience"),
        factor=fraction(value.get("factor", 0.5), f"{where}: factor"),
        stop_fraction=fraction(value.get("stop_fraction", 1 / 128), f"{where}: stop_fraction"),
    )


def probability(value: Any, where: str) -> float:
    value = number(value, where)
    if not 0 <= value < 1:
        raise NnbpError(f"{where}: {value} is not a probability p with 0 ≤ p < 1")
    return value


def dropout(value: Any, where: str) -> float | tuple[float, ...]:
    """One probability for every hidden layer, or a list of them, one per hidden layer."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise NnbpError(f"{where}: an empty list; give one probability, or one per hidden layer")
        return tuple(probability(v, f"{where}[{i}]") for i, v in enumerate(value))
    return probability(value, where)


EXPAND_FIELDS = ("shift", "rotate", "elastic")


def expand(value: Any, where: str) -> Expansion | None:
    """None (off), or {shift: pixels, rotate: degrees, elastic: α}, each field optional."""
    if value is None or isinstance(value, Expansion):
        return value
    value = mapping_of(value, where, EXPAND_FIELDS, "{shift: 2, rotate: 10}")
    shift = whole(value.get("shift", 0), f"{where}: shift", 0)
    rotate, elastic = (number(value.get(k, 0), f"{where}: {k}") for k in ("rotate", "elastic"))
    if shift > MAX_SHIFT:
        raise NnbpError(f"{where}: shift: {shift} pixels is more than {MAX_SHIFT}")
    if not 0 <= rotate <= MAX_ROTATE:
        raise NnbpError(f"{where}: rotate: {rotate} is not an angle from 0 to {MAX_ROTATE} degrees")
    if not 0 <= elastic <= MAX_ELASTIC:
        raise NnbpError(f"{where}: elastic: {elastic} is not a strength α from 0 to {MAX_ELASTIC}")
    if not (shift or rotate or elastic):
        return None
    return Expansion(shift, rotate, elastic)


def pair_of_probabilities(value: Any, where: str) -> tuple[float, float]:
    """Two numbers in [0, 1): Adam's β₁ and β₂."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise NnbpError(f"{where}: {shown(value)} is not two numbers [β₁, β₂] such as [0.9, 0.999]")
    return probability(value[0], f"{where}[0]"), probability(value[1], f"{where}[1]")


def positive_number(value: Any, where: str) -> float:
    value = number(value, where)
    if not math.isfinite(value) or value <= 0:
        raise NnbpError(f"{where}: {value} is not a positive finite number")
    return value


def threads(value: Any, where: str) -> str | int:
    """`auto`, `all`, or a whole number of BLAS threads from 1 to MAX_THREADS."""
    if isinstance(value, str) and value.strip().lower() in SETTINGS:
        return value.strip().lower()
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THREADS:
        raise NnbpError(f"{where}: {shown(value, 40)} is not auto, all, or a number of threads from 1 to {MAX_THREADS}")
    return value


def flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise NnbpError(f"{where}: {shown(value)} is not true or false")
    return value


def text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise NnbpError(f"{where}: {shown(value)} is not a non-empty string")
    return value


def column_list(value: Any, where: str) -> tuple[str, ...] | None:
    """None, or a list of distinct column names."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise NnbpError(f"{where}: {shown(value)} is not a list of column names")
    names = tuple(text(v, f"{where}[{i}]") for i, v in enumerate(value))
    if len(set(names)) != len(names):
        raise NnbpError(f"{where}: a column is named twice")
    return names


def column_names(value: Any, where: str) -> str | tuple[str, ...] | None:
    """None, one column's name, or a list of them."""
    if value is None or isinstance(value, str):
        return None if value is None else text(value, where)
    return column_list(value, where)


def optional_fraction(value: Any, where: str) -> float | None:
    return None if value is None else fraction(value, where)


def optional_text(value: Any, where: str) -> str | None:
    return None if value is None else text(value, where)


# How an option's text becomes the value YAML would have given; a parser then checks it.
def int_text(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value  # the parser says what is wrong with it


def optional_int_text(value: str) -> int | str | None:
    return None if value.strip().lower() in ("none", "off", "null", "all") else int_text(value)


def list_text(item: Callable[[str], Any]) -> Callable[[str], Any]:
    """'784,30,10', '784 30 10' or '[784, 30, 10]' as a list; a single item as itself."""

    def convert(value: str) -> Any:
        parts = [p for p in re.split(r"[\s,]+", value.strip().strip("[]")) if p]
        return item(parts[0]) if len(parts) == 1 and not value.strip().startswith("[") else [item(p) for p in parts]

    return convert


def fields_text(numbers: tuple[str, ...]) -> Callable[[str], Any]:
    """'shift=2,rotate=10' (or 'none') as the mapping YAML would give; a field given twice is left as
    text, which the parser refuses."""

    def convert(value: str) -> Any:
        value = value.strip().removeprefix("[").removesuffix("]")  # a --grid value comes in brackets
        if value.strip().lower() in ("none", "off", "null"):
            return None
        fields: dict[str, Any] = {}
        for part in value.split(","):
            name, _, given = part.partition("=")
            if name.strip() in fields:
                return value
            fields[name.strip()] = int_text(given.strip()) if name.strip() in numbers else given.strip()
        return fields

    return convert


def schedule_text(value: str) -> Any:
    """'patience=10,factor=0.5', '10' (the patience alone) or 'none' as the value YAML would give."""
    if value.strip().lower() in ("none", "off", "null"):
        return None
    if value.strip().isdigit():
        return {"patience": int(value)}
    fields: dict[str, Any] = {}
    for part in value.split(","):
        name, _, given = part.partition("=")
        if name.strip() in fields:
            return value  # a field given twice: the parser refuses text that is not a mapping, naming it
        fields[name.strip()] = int_text(given.strip()) if name.strip() == "patience" else given.strip()
    return fields


def flag_text(value: str) -> bool | str:
    """A flag's value typed as text (in a sweep's --grid): true/false, yes/no, on/off."""
    return {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}.get(value.lower(), value)


def identity(value: str) -> str:
    return value


@dataclass(frozen=True)
class Key:
    """What one config key means to a user, and how its values are read."""

    help: str  # one line for `--help` and README's table
    parse: Parser
    metavar: str  # how the option's value is shown in --help
    from_text: Callable[[str], Any] = identity  # an option's text → the value YAML would give
    default_text: str | None = None  # the default as shown, when its repr would not do
    short: str | None = None  # a one-letter option, e.g. -o


def key(
    default: Any,
    help: str,
    parse: Parser,
    metavar: str,
    from_text: Callable[[str], Any] = identity,
    default_text: str | None = None,
    short: str | None = None,
) -> Any:
    """A dataclass field carrying its `Key` in its metadata."""
    return field(default=default, metadata={"key": Key(help, parse, metavar, from_text, default_text, short)})
