import warnings

import numpy as np
import pytest

from nnbp.activations import (
    ACTIVATIONS,
    SIGMOID,
    linear,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    tanh,
    tanh_prime,
)


def test_sigmoid_matches_the_definition_in_its_ordinary_range():
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)


def test_sigmoid_keeps_full_relative_precision_for_very_negative_z():
    """σ(z) ≈ e^z for z ≪ 0: a form like (1 + tanh(z/2)) / 2 would round these to 0 or lose digits."""
    z = np.array([-40.0, -300.0, -700.0])
    np.testing.assert_allclose(sigmoid(z), np.exp(z), rtol=1e-14)
    z32 = np.array([-20.0, -80.0], dtype=np.float32)
    np.testing.assert_allclose(sigmoid(z32), np.exp(z32.astype(np.float64)), rtol=1e-6)


def test_sigmoid_saturates_to_exact_0_and_1_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = sigmoid(np.array([-1000.0, 1000.0, -1e308, 1e308]))
    assert a.tolist() == [0.0, 1.0, 0.0, 1.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_keeps_dtype_and_writes_into_out(dtype):
    z = np.array([[-2.0, 0.0, 3.0]], dtype=dtype)
    out = np.empty_like(z)
    result = sigmoid(z, out=out)
    assert result is out and out.dtype == dtype
    assert out[0, 1] == 0.5
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-z.astype(np.float64))), rtol=1e-6)


def test_sigmoid_prime_is_the_derivative():
    z = np.linspace(-8, 8, 161)
    h = 1e-6
    numeric = (sigmoid(z + h) - sigmoid(z - h)) / (2 * h)
    np.testing.assert_allclose(sigmoid_prime(z, sigmoid(z)), numeric, rtol=1e-6, atol=1e-10)
    assert sigmoid_prime(np.zeros(1), sigmoid(np.zeros(1)))[0] == 0.25


def test_table_is_keyed_by_config_name():
    assert ACTIVATIONS["sigmoid"] is SIGMOID


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear"])
def test_each_prime_is_the_derivative_of_its_function(name):
    sigma = ACTIVATIONS[name]
    z = np.linspace(-4, 4, 81) + 0.013  # keep off relu's kink at 0
    h = 1e-6
    numeric = (sigma.fn(z + h) - sigma.fn(z - h)) / (2 * h)
    np.testing.assert_allclose(sigma.prime(z, sigma.fn(z)), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear", "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_argument_is_written_and_returned(name, dtype):
    sigma = ACTIVATIONS[name]
    z = np.array([[-2.0, 0.5], [1.0, 3.0]], dtype=dtype)
    out = np.empty_like(z)
    assert sigma.fn(z, out=out) is out and out.dtype == dtype
    np.testing.assert_allclose(out, sigma.fn(z.copy()), rtol=1e-6)
    if sigma.elementwise:
        p = np.empty_like(z)
        assert sigma.prime(z, out, out=p) is p


def test_tanh_relu_linear_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(tanh(z), np.tanh(z))
    assert relu(z).tolist() == [0.0, 0.0, 3.0]
    assert relu_prime(z, relu(z)).tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_allclose(tanh_prime(z, tanh(z)), 1 - np.tanh(z) ** 2)
    assert linear(z).tolist() == z.tolist() and linear(z) is not z


def test_softmax_columns_are_distributions_even_for_huge_z():
    z = np.array([[1000.0, -1000.0, 1.0], [999.0, -1001.0, 2.0], [0.0, -2000.0, 3.0]])  # column 1 = column 0 − 2000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = softmax(z)
    np.testing.assert_allclose(a.sum(axis=0), 1.0)
    e = np.exp(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(a[:, 2], e / e.sum(), rtol=1e-14)
    np.testing.assert_allclose(a[:, 0], a[:, 1], rtol=1e-14)  # shift invariance
    with pytest.raises(ValueError, match="output layer with log-likelihood"):
        ACTIVATIONS["softmax"].prime(z, a)
