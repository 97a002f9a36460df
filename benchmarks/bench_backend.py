"""How fast the numpy backend runs a real network, against PyTorch CPU and against numpy's own matmul.

Runs ResNet-50 (the bundled spec) at 224x224, batch 1, in the numpy backend and, when PyTorch is
installed, in PyTorch (torch.nn.functional with the same weights), in the same process with the same
thread count, alternating the two; prints the best and median times and their ratio. Then the
achieved GFLOP/s of the backend's convolution layers (2 x MACs / time, best run per layer) against
numpy's own float32 matmul GFLOP/s measured here. On a machine shared with other work, compare
best times and use --threads 1 for stable figures. Targets: within 2x of PyTorch; convolutions above
half the matmul rate.
Run: python benchmarks/bench_backend.py [--runs N] [--threads N] [--spec resnet50] [--size 224]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each engine (after one warm-up)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for BLAS and PyTorch")
    parser.add_argument("--spec", default="resnet50", help="bundled spec name or path")
    parser.add_argument("--size", type=int, default=224, help="input size")
    return parser.parse_args()


def main() -> None:
    args = parse()
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)  # before numpy loads its BLAS
    import numpy as np

    from rfcalc.backend.engine import Network
    from rfcalc.layers import Family
    from rfcalc.sources import load_spec_source

    spec = load_spec_source(args.spec).with_input([args.size])
    network = Network(spec)
    weights = network.instantiate(0)
    x = network.random_input(0)
    try:
        import torch

        from rfcalc.backend.torch_reference import TorchModel, to_torch
        torch.set_num_threads(args.threads)
        model, xt = TorchModel(network, weights).eval(), to_torch(x)
    except ImportError:
        torch = model = None
    print(f"{spec.name} {args.size}x{args.size}, batch {spec.input.batch}, {args.threads} thread(s); "
          f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", PyTorch not installed"))

    numpy_times, torch_times, best_run = [], [], None
    network.forward(weights, x)
    if model is not None:
        with torch.inference_mode():
            model(xt)
    for _ in range(args.runs):
        start = time.perf_counter()
        run = network.forward(weights, x)
        numpy_times.append(time.perf_counter() - start)
        if numpy_times[-1] == min(numpy_times):
            best_run = run
        if model is not None:
            with torch.inference_mode():
                start = time.perf_counter()
                model(xt)
                torch_times.append(time.perf_counter() - start)

    def show(label: str, times: list[float]) -> None:
        print(f"{label:22s} best {min(times) * 1000:8.1f} ms   median {statistics.median(times) * 1000:8.1f} ms")

    show("numpy backend", numpy_times)
    if torch_times:
        show("PyTorch CPU", torch_times)
        print(f"{'ratio numpy/PyTorch':22s} best {min(numpy_times) / min(torch_times):8.2f}      "
              f"median {statistics.median(numpy_times) / statistics.median(torch_times):8.2f}   (target: <= 2)")

    convolutions = (Family.CONV, Family.TRANSPOSED, Family.UNSHARED)
    conv = [m for m in best_run.measures if spec.nodes[m.index].layer.family in convolutions]
    flops = sum(2 * m.macs for m in conv)
    seconds = sum(m.seconds for m in conv)
    rates = []
    for n in (1024, 2048):
        a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
        a @ a
        best = min(_timed(lambda: a @ a) for _ in range(5))
        rates.append(2 * n ** 3 / best / 1e9)
    matmul = max(rates)
    print(f"\nconvolution layers: {len(conv)}, {flops / 1e9:.2f} GFLOP in {seconds * 1000:.1f} ms (best run) = "
          f"{flops / seconds / 1e9:.1f} GFLOP/s")
    print(f"numpy float32 matmul: {rates[0]:.1f} GFLOP/s (1024^2), {rates[1]:.1f} GFLOP/s (2048^2)")
    print(f"convolutions at {flops / seconds / 1e9 / matmul:.0%} of the matmul rate (target: >= 50%)")
    share = seconds / min(numpy_times)
    print(f"convolutions take {share:.0%} of the best forward time")
    sys.stdout.flush()


def _timed(thunk) -> float:
    start = time.perf_counter()
    thunk()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
