"""A network and its preprocessing as an ONNX graph (the `nnbp[onnx]` extra).

Examples are rows, as ONNX runtimes take them: input `input` (N, n_features), raw, in the network's
dtype (float32 or float64). The graph computes what `nnbp.Model` does:

    a¹ = (input − input_shift) × input_scale                   the stored scaling, when there is one
    aˡ = σ(aˡ⁻¹ (wˡ)ᵀ + bᵀ)  for each layer, as Gemm           equation (25), one row per example
    scores = aᴸ                                                 softmax or sigmoid outputs
    label = argmax(scores)                                      a classifier's class index
    values = aᴸ ÷ target_scale + target_shift                   a regression's values, in its units

Outputs: `scores` (N, classes) and `label` (N,) int64 for a classifier, `values` (N, targets) for a
regression. The metadata holds `class_names` (JSON, in output order), `task`, `feature_names` and the
nnbp version.
"""

from __future__ import annotations

import json

import numpy as np

from nnbp.errors import NnbpError
from nnbp.model import Model

OPSET = 13  # Softmax over one axis, Gemm, ArgMax: all of it in ONNX since opset 13
IR_VERSION = 7  # the IR of opset 13: runtimes of 2020 on read it
ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softmax": "Softmax", "linear": None}


def to_onnx(model: Model):
    """The ONNX ModelProto of `model`, checked by onnx's own checker."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise NnbpError("export: ONNX needs the onnx package: pip install 'nnbp[onnx]'") from None
    network = model.network
    dtype = network.dtype
    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    nodes, constants = [], []

    def constant(name: str, value: np.ndarray | float) -> str:
        constants.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    a = "input"
    if model.input_shift is not None:
        nodes.append(helper.make_node("Sub", [a, constant("input_shift", model.input_shift)], ["shifted"]))
        a = "shifted"
    nodes.append(helper.make_node("Mul", [a, constant("input_scale", np.ravel(model.input_scale))], ["a1"]))
    a = "a1"
    for layer, (w, b, sigma) in enumerate(zip(network.weights, network.biases, network.sigmas), start=2):
        z = f"z{layer}"  # rows: a (N, n_in) times wᵀ, plus b
        nodes.append(
            helper.make_node("Gemm", [a, constant(f"w{layer}", w), constant(f"b{layer}", b[:, 0])], [z], transB=1)
        )
        op = ACTIVATIONS[sigma.name]
        if op is None:
            a = z
        else:
            a = f"a{layer}"
            nodes.append(helper.make_node(op, [z], [a], **({"axis": 1} if op == "Softmax" else {})))
    n_out = network.sizes[-1]
    if model.task == "regression":
        nodes.append(helper.make_node("Div", [a, constant("target_scale", model.target_scale)], ["unscaled"]))
        nodes.append(helper.make_node("Add", ["unscaled", constant("target_shift", model.target_shift)], ["values"]))
        outputs = [helper.make_tensor_value_info("values", elem, ["N", n_out])]
    else:
        nodes.append(helper.make_node("Identity", [a], ["scores"]))
        nodes.append(helper.make_node("ArgMax", ["scores"], ["label"], axis=1, keepdims=0))
        outputs = [
            helper.make_tensor_value_info("scores", elem, ["N", n_out]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        ]
    graph = helper.make_graph(
        nodes,
        "nnbp",
        [helper.make_tensor_value_info("input", elem, ["N", network.sizes[0]])],
        outputs,
        initializer=constants,
    )
    proto = helper.make_model(
        graph,
        producer_name="nnbp",
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    from nnbp import __version__

    metadata = {"nnbp": __version__, "task": model.task}
    if model.class_names:
        metadata["class_names"] = json.dumps(list(model.class_names))
    if model.feature_names:
        metadata["feature_names"] = json.dumps(list(model.feature_names))
    if model.target_names:
        metadata["target_names"] = json.dumps(list(model.target_names))
    helper.set_model_props(proto, metadata)
    onnx.checker.check_model(proto, full_check=True)
    return proto
