"""Time nnbp's training epoch beside other trainers doing the same work, and print the table with ratios.

The work: a [784, H, 10] sigmoid network with the quadratic cost, learning rate η, trained by
mini-batch SGD on Fashion-MNIST's 50,000 training images (the 10,000 after them held out, as
`nnbp train` does), at each mini-batch size and dtype. An epoch's time is its steps: shuffling,
gathering each mini-batch, the forward and backward passes and the update; evaluation is left out.

The trainers (each optional: one whose package is missing is skipped with a line saying so):

    nnbp            nnbp.train, the matrix engine, `threads: auto`, as `nnbp train` runs it
    nnbp-loop       the same with `engine: loop`: the chapter's per-example algorithm
    torch-manual    PyTorch, the same algorithm written out with tensors (BP1-BP4 by hand, no autograd),
                    the data shuffled once an epoch so each mini-batch is a view, updates in place
    torch-autograd  PyTorch, nn.Sequential of Linear and Sigmoid, MSE loss, autograd, optim.SGD
    sklearn         scikit-learn's MLPClassifier (solver sgd, no momentum), one partial_fit per epoch

PyTorch and scikit-learn keep their own thread defaults; scikit-learn's MLP trains with its own
cost (log-loss) and η = 0.1, as η = 3 diverges with it. Each (trainer, dtype, mini-batch) trains
--epochs epochs in a process of its own and reports the median of its epochs after the first (which
pays for setup); --rounds rounds interleave the trainers, rotating their order, and a cell is the
best round (a shared machine's slow spells only ever add time). Install the peers with

    pip install torch scikit-learn        # benchmark-only: nnbp's tests never need them

and run, with any OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE the machine sets unset:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/benchmarks/peers.py --sizes 784,30,10
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python scripts/benchmarks/peers.py --sizes 784,100,10

Asserts nothing; the figures are for a person to read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time

TRAINERS = ("nnbp", "nnbp-loop", "torch-manual", "torch-autograd", "sklearn")
NEEDS = {"torch-manual": "torch", "torch-autograd": "torch", "sklearn": "sklearn"}


def training_data(dtype: str):
    """Fashion-MNIST's training images as nnbp holds them (uint8, (N, 784)) and their labels."""
    from nnbp.data import load_dataset

    dataset = load_dataset("fashion-mnist")
    return dataset.train.images, dataset.train.labels


def time_nnbp(sizes: list[int], m: int, dtype: str, epochs: int, eta: float, engine: str) -> list[float]:
    import nnbp

    with tempfile.TemporaryDirectory() as folder:
        config = nnbp.TrainConfig(
            sizes=sizes,
            eta=eta,
            epochs=epochs,
            mini_batch_size=m,
            dtype=dtype,
            engine=engine,
            dataset="fashion-mnist",
            output=folder,
        )
        return [e.seconds for e in nnbp.train(config, force=True, download=False).epochs]


def time_torch(sizes: list[int], m: int, dtype: str, epochs: int, eta: float, autograd: bool) -> list[float]:
    import torch

    images, labels = training_data(dtype)
    torch_dtype = getattr(torch, dtype)
    X = torch.from_numpy(images).to(torch_dtype) / 255  # (N, 784): PyTorch's layout, examples as rows
    Y = torch.nn.functional.one_hot(torch.from_numpy(labels), sizes[-1]).to(torch_dtype)
    torch.manual_seed(0)
    layers = [torch.nn.Linear(n_in, n_out, dtype=torch_dtype) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    for layer in layers:  # the book's N(0, 1) initialisation
        torch.nn.init.normal_(layer.weight)
        torch.nn.init.normal_(layer.bias)
    n = len(X)
    seconds = []
    if autograd:
        model = torch.nn.Sequential(*[part for layer in layers for part in (layer, torch.nn.Sigmoid())])
        optimizer = torch.optim.SGD(model.parameters(), lr=eta)
        for _ in range(epochs):
            start = time.perf_counter()
            order = torch.randperm(n)
            X_epoch, Y_epoch = X[order], Y[order]
            for i in range(0, n, m):
                optimizer.zero_grad()
                loss = 0.5 * ((model(X_epoch[i : i + m]) - Y_epoch[i : i + m]) ** 2).sum(dim=1).mean()  # quadratic
                loss.backward()
                optimizer.step()
            seconds.append(time.perf_counter() - start)
        return seconds
    weights = [layer.weight.detach() for layer in layers]
    biases = [layer.bias.detach() for layer in layers]
    with torch.no_grad():
        for _ in range(epochs):
            start = time.perf_counter()
            order = torch.randperm(n)
            X_epoch, Y_epoch = X[order], Y[order]  # one gather an epoch: each mini-batch is then a view
            for i in range(0, n, m):
                x, y = X_epoch[i : i + m], Y_epoch[i : i + m]
                step = eta / len(x)
                activations = [x]
                for w, b in zip(weights, biases):
                    activations.append(torch.addmm(b, activations[-1], w.T).sigmoid_())
                a = activations[-1]
                delta = (a - y).mul_(a).mul_(1 - a)  # BP1
                for j in reversed(range(len(weights))):
                    biases[j].sub_(delta.sum(dim=0), alpha=step)  # BP3, and the step
                    nabla_w = delta.T @ activations[j]  # BP4
                    if j > 0:
                        a = activations[j]
                        delta = (delta @ weights[j]).mul_(a).mul_(1 - a)  # BP2, before w^l changes
                    weights[j].sub_(nabla_w, alpha=step)
            seconds.append(time.perf_counter() - start)
    return seconds


def time_sklearn(sizes: list[int], m: int, dtype: str, epochs: int) -> list[float]:
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    images, labels = training_data(dtype)
    X = images.astype(dtype) / np.array(255, dtype)
    mlp = MLPClassifier(
        hidden_layer_sizes=tuple(sizes[1:-1]),
        activation="logistic",
        solver="sgd",
        learning_rate_init=0.1,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=m,
        shuffle=True,
        random_state=0,
    )
    seconds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(epochs):
            start = time.perf_counter()
            mlp.partial_fit(X, labels, classes=np.arange(sizes[-1]))
            seconds.append(time.perf_counter() - start)
    return seconds


def child(trainer: str, sizes: list[int], m: int, dtype: str, epochs: int, eta: float) -> None:
    """Train in this process and print the epochs' seconds as JSON."""
    if trainer.startswith("nnbp"):
        seconds = time_nnbp(sizes, m, dtype, epochs, eta, engine="loop" if trainer == "nnbp-loop" else "matrix")
    elif trainer.startswith("torch"):
        seconds = time_torch(sizes, m, dtype, epochs, eta, autograd=trainer == "torch-autograd")
    else:
        seconds = time_sklearn(sizes, m, dtype, epochs)
    print(json.dumps(seconds))


def environment() -> list[str]:
    import numpy as np
    from threadpoolctl import threadpool_info

    blas = "; ".join(
        f"{i['internal_api']} {i['version']} ({i.get('architecture')}, {i['num_threads']} threads)"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    )
    lines = [f"Python {platform.python_version()}, numpy {np.__version__}, BLAS {blas}"]
    for name in ("torch", "sklearn"):
        if importlib.util.find_spec(name):
            module = __import__(name)
            extra = f", {module.get_num_threads()} threads" if name == "torch" else ""
            lines.append(f"{name} {module.__version__}{extra}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="784,30,10")
    parser.add_argument("--mini-batch-sizes", default="10,100,1000")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--trainers", default=",".join(TRAINERS))
    parser.add_argument("--epochs", type=int, default=3, help="epochs a process trains (the first is left out)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--eta", type=float, default=3.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--m", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dtype", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    if args.child:
        child(args.child, sizes, args.m, args.dtype, args.epochs, args.eta)
        return
    if args.epochs < 2 or args.rounds < 1:
        sys.exit("--epochs must be at least 2 and --rounds at least 1")
    trainers = []
    for trainer in args.trainers.split(","):
        if trainer not in TRAINERS:
            sys.exit(f"--trainers: {trainer!r} is not one of {', '.join(TRAINERS)}")
        if trainer in NEEDS and importlib.util.find_spec(NEEDS[trainer]) is None:
            print(f"skipping {trainer}: {NEEDS[trainer]} is not installed")
        else:
            trainers.append(trainer)
    cells = [(dtype, int(m)) for dtype in args.dtypes.split(",") for m in args.mini_batch_sizes.split(",")]
    print(
        f"[{args.sizes}] sigmoid, quadratic cost, Fashion-MNIST's 50,000 training images; seconds per epoch, "
        f"best of {args.rounds} rounds of one process each training {args.epochs} epochs (median of epochs 2+)"
    )
    print("\n".join(environment()), flush=True)
    best: dict[tuple[str, str, int], float] = {}
    for r in range(args.rounds):
        for dtype, m in cells:
            order = trainers[r % len(trainers) :] + trainers[: r % len(trainers)]
            for trainer in order:
                command = [
                    sys.executable,
                    __file__,
                    "--child",
                    trainer,
                    "--sizes",
                    args.sizes,
                    "--m",
                    str(m),
                    "--dtype",
                    dtype,
                    "--epochs",
                    str(args.epochs),
                    "--eta",
                    str(args.eta),
                ]
                out = subprocess.run(command, capture_output=True, text=True)
                if out.returncode != 0:
                    print(f"{trainer} {dtype} mb{m} failed: {out.stderr.strip().splitlines()[-1:]}")
                    continue
                seconds = statistics.median(json.loads(out.stdout.strip().splitlines()[-1])[1:])
                key = (trainer, dtype, m)
                best[key] = min(best.get(key, float("inf")), seconds)
    header = " | ".join(f"{dtype[5:]} mb{m}" for dtype, m in cells)
    print(f"\n| trainer | {header} |\n|---|" + "---|" * len(cells))
    for trainer in trainers:
        row = []
        for dtype, m in cells:
            t, base = best.get((trainer, dtype, m)), best.get(("nnbp", dtype, m))
            ratio = f" ({t / base:.2f}×)" if t is not None and base and trainer != "nnbp" else ""
            row.append("-" if t is None else f"{t:.3f}{ratio}")
        print(f"| {trainer} | " + " | ".join(row) + " |")
    print("(×: the trainer's time over nnbp's; above 1 nnbp is faster)")


if __name__ == "__main__":
    main()
