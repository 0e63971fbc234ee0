import numpy as np

from nnbp.activations import SIGMOID, sigmoid
from nnbp.costs import COSTS, QUADRATIC


def test_quadratic_cost_sums_half_squared_error_over_columns():
    A = np.array([[0.5, 1.0], [0.25, 0.0]])
    Y = np.array([[1.0, 1.0], [0.0, 1.0]])
    # column 0: ½(0.25 + 0.0625) = 0.15625; column 1: ½(0 + 1) = 0.5
    assert QUADRATIC.fn(A, Y) == 0.65625


def test_quadratic_delta_is_bp1():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(3, 4))
    A = sigmoid(Z)
    Y = np.eye(3)[:, [0, 1, 2, 0]]
    expected = (A - Y) * A * (1 - A)
    np.testing.assert_allclose(QUADRATIC.delta(Z, A, Y, SIGMOID), expected, rtol=1e-15)


def test_delta_is_the_gradient_of_the_cost_with_respect_to_z():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(4, 3))
    Y = np.eye(4)[:, [3, 0, 1]]
    delta = QUADRATIC.delta(Z, sigmoid(Z), Y, SIGMOID)
    h = 1e-6
    for j in range(4):
        for k in range(3):
            Zp, Zm = Z.copy(), Z.copy()
            Zp[j, k] += h
            Zm[j, k] -= h
            numeric = (QUADRATIC.fn(sigmoid(Zp), Y) - QUADRATIC.fn(sigmoid(Zm), Y)) / (2 * h)
            assert abs(numeric - delta[j, k]) < 1e-8


def test_table_is_keyed_by_config_name():
    assert COSTS["quadratic"] is QUADRATIC
