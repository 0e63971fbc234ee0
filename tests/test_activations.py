import warnings

import numpy as np
import pytest

from nnbp.activations import ACTIVATIONS, SIGMOID, sigmoid, sigmoid_prime


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
