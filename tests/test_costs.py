import numpy as np
import pytest

from nnbp.activations import ACTIVATIONS, SIGMOID, sigmoid, softmax
from nnbp.costs import COSTS, CROSS_ENTROPY, LOG_LIKELIHOOD, QUADRATIC, check_pairing


def test_quadratic_cost_sums_half_squared_error_over_columns():
    A = np.array([[0.5, 1.0], [0.25, 0.0]])
    Y = np.array([[1.0, 1.0], [0.0, 1.0]])
    # column 0: ½(0.25 + 0.0625) = 0.15625; column 1: ½(0 + 1) = 0.5
    assert QUADRATIC.fn(None, A, Y) == 0.65625


def test_quadratic_delta_is_bp1():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(3, 4))
    A = sigmoid(Z)
    Y = np.eye(3)[:, [0, 1, 2, 0]]
    expected = (A - Y) * A * (1 - A)
    np.testing.assert_allclose(QUADRATIC.delta(Z, A, Y, SIGMOID), expected, rtol=1e-15)


def test_table_is_keyed_by_config_name():
    assert COSTS["quadratic"] is QUADRATIC


PAIRS = [
    ("quadratic", "sigmoid"),
    ("quadratic", "tanh"),
    ("quadratic", "relu"),
    ("quadratic", "linear"),
    ("cross-entropy", "sigmoid"),
    ("log-likelihood", "softmax"),
]


@pytest.mark.parametrize("cost_name, output", PAIRS)
def test_every_costs_delta_is_its_gradient_in_z(cost_name, output):
    """BP1 as each cost supplies it equals ∂C/∂z^L, by central differences."""
    cost, sigma = COSTS[cost_name], ACTIVATIONS[output]
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(4, 3)) + 0.05
    Y = np.eye(4)[:, [3, 0, 1]]
    delta = cost.delta(Z, sigma.fn(Z), Y, sigma)
    h = 1e-6
    for j in range(4):
        for k in range(3):
            Zp, Zm = Z.copy(), Z.copy()
            Zp[j, k] += h
            Zm[j, k] -= h
            numeric = (cost.fn(Zp, sigma.fn(Zp), Y) - cost.fn(Zm, sigma.fn(Zm), Y)) / (2 * h)
            assert abs(numeric - delta[j, k]) < 1e-7


def test_cross_entropy_is_exact_where_the_sigmoid_rounds_to_0_or_1():
    Z = np.array([[40.0], [-40.0], [800.0]])
    A = sigmoid(Z)
    assert A[0, 0] == 1.0  # a^L has rounded: ln(1 − a) would be −inf
    Y = np.array([[0.0], [1.0], [1.0]])
    # −ln(1 − σ(40)) ≈ 40, −ln σ(−40) ≈ 40, −ln σ(800) ≈ 0
    assert CROSS_ENTROPY.fn(Z, A, Y) == pytest.approx(80.0, rel=1e-15)


def test_log_likelihood_is_exact_for_huge_z():
    Z = np.array([[1000.0, 0.0], [0.0, 0.0]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0]])
    # column 0: −ln softmax = 1000 for the true class 1; column 1: ln 2
    assert LOG_LIKELIHOOD.fn(Z, softmax(Z), Y) == pytest.approx(1000 + np.log(2), rel=1e-15)


def test_pairings_that_make_no_sense_are_named():
    assert check_pairing(COSTS["cross-entropy"], ACTIVATIONS["tanh"]) == (
        "the cross-entropy cost needs sigmoid output neurons, not tanh"
    )
    assert "needs softmax" in check_pairing(COSTS["log-likelihood"], ACTIVATIONS["sigmoid"])
    assert "softmax outputs need the log-likelihood cost" in check_pairing(COSTS["quadratic"], ACTIVATIONS["softmax"])
    for cost_name, output in PAIRS:
        assert check_pairing(COSTS[cost_name], ACTIVATIONS[output]) is None
