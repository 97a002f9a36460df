"""Running a whole spec: bind a kernel to every node, refuse runs that would not fit in memory,
instantiate seeded weights, run forward (and backward), measuring every layer."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from math import prod
from typing import Callable, Optional

import numpy as np

from ..errors import RfcalcError, SpecError
from ..report import flops_by_kind
from ..spec import INPUT, Spec, layer_label
from .counting import Count, OpCounter, exact, per_sample
from .geometry import KernelError
from .registry import Kernel, Params, bind
from .window import CHUNK_BYTES


class MemoryLimitError(RfcalcError):
    """A run whose arrays would not fit in --max-memory, refused before anything is allocated."""


def element_bytes(dtype: str) -> int:
    """Bytes per element of a spec dtype (bfloat16 has no numpy type: 2 bytes)."""
    return 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize


def compute_dtype(dtype: str) -> np.dtype:
    """The numpy type the backend computes in: float64 for float64 specs, else float32."""
    return np.dtype(np.float64 if dtype == "float64" else np.float32)


@dataclass
class Weights:
    """The arrays of one instantiated network: per node, what it allocated and what forward uses."""

    params: dict[str, Params]  # learnable arrays each node allocated (empty when shared)
    buffers: dict[str, Params]
    prepared: dict[str, Params]  # arrays forward reads (shared nodes point at their owner's)


@dataclass
class MeasuredLayer:
    """What running one layer measured, under the field names of the analyzer's LayerResult (counts
    per sample, as the analyzer's; `overhead` and `ops` keep the whole batch's raw counts)."""

    index: int
    name: str
    type: str
    output_shape: tuple[int, ...]  # channels first, batch excluded, from the array itself
    params: int
    trainable_params: int
    buffers: int
    ops: Counter  # core operations of the whole batch by kind ('mac': multiply-accumulates)
    overhead: dict[str, Counter]
    activation_bytes: int
    seconds: float
    batch: int

    @property
    def macs(self) -> Count:
        """Multiply-accumulates per sample."""
        return per_sample(self.ops.get("mac", 0), self.batch)

    @property
    def flops_by_kind(self) -> dict[str, Count]:
        """FLOPs per sample by kind, by the report's rule (2 per multiply-accumulate)."""
        return flops_by_kind(self.macs, {kind: per_sample(n, self.batch) for kind, n in self.ops.items()
                                         if kind != "mac" and n})

    @property
    def flops(self) -> Count:
        """All FLOPs per sample."""
        return exact(sum(self.flops_by_kind.values()))


@dataclass
class Run:
    """A forward pass: per-layer measures, and the tensors kept (when asked)."""

    measures: list[MeasuredLayer]
    batch: int
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    peak_bytes: int = 0  # largest total of live tensors (spec dtype), each freed after its last consumer
    input_bytes: int = 0  # the input (spec dtype): counted in the total as in the peak

    @property
    def totals(self) -> "MeasuredTotals":
        """Network sums of what was measured."""
        return MeasuredTotals(
            params=sum(m.params for m in self.measures),
            trainable_params=sum(m.trainable_params for m in self.measures),
            buffers=sum(m.buffers for m in self.measures), macs=exact(sum(m.macs for m in self.measures)),
            flops=exact(sum(m.flops for m in self.measures)),
            activation_bytes=self.input_bytes + sum(m.activation_bytes for m in self.measures),
            peak_activation_bytes=self.peak_bytes)


@dataclass(frozen=True)
class MeasuredTotals:
    """Network sums measured, under the field names of the analyzer's Totals."""

    params: int
    trainable_params: int
    buffers: int
    macs: Count
    flops: Count
    activation_bytes: int
    peak_activation_bytes: int


class Network:
    """A spec with a kernel bound to every node and every tensor's shape worked out by the kernels."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.shapes: dict[str, tuple[int, ...]] = {INPUT: tuple(spec.input.shape)}
        self.kernels: list[Kernel] = []
        for node in spec.nodes:
            try:
                kernel = bind(node.layer, [self.shapes[name] for name in node.inputs])
            except KernelError as exc:
                raise SpecError(f"numpy backend: {exc}", node.location,
                                layer_label(node.index, node.name, node.layer.type)) from None
            self.kernels.append(kernel)
            self.shapes[node.name] = tuple(kernel.out_shape)
        self.last_use = spec.graph.last_use
        self.dtype = compute_dtype(spec.input.dtype)

    @property
    def batch(self) -> int:
        """Batch size of the spec's input."""
        return self.spec.input.batch

    # -- memory --------------------------------------------------------------------------------
    def parameter_bytes(self) -> int:
        """Bytes of every parameter and buffer (each counted twice: stored and prepared)."""
        total = 0
        for node, kernel in zip(self.spec.nodes, self.kernels):
            if node.share_params_with:
                continue
            total += sum(prod(s) for s in kernel.param_shapes().values())
            total += sum(prod(s) for s in kernel.buffer_shapes().values())
        return 2 * total * self.dtype.itemsize

    def estimate_bytes(self, keep_all: bool = False) -> tuple[int, str]:
        """Upper estimate of the peak bytes a forward pass allocates, and the layer where it peaks."""
        item = self.dtype.itemsize * self.batch
        size = {name: prod(shape) * item for name, shape in self.shapes.items()}
        live = size[INPUT]
        peak, where = 0, INPUT
        outputs = set(self.spec.output_names)
        for node in self.spec.nodes:
            inputs = sum(size[name] for name in node.inputs)
            workspace = inputs + 2 * size[node.name] + 2 * CHUNK_BYTES  # padded copy, temporaries, im2col
            if live + size[node.name] + workspace > peak:
                peak, where = live + size[node.name] + workspace, node.name
            live += size[node.name]
            if not keep_all:
                live -= sum(size[name] for name in set(node.inputs)
                            if self.last_use.get(name) == node.index and name not in outputs)
        return peak + self.parameter_bytes(), where

    def check_memory(self, max_memory: int, keep_all: bool = False, what: str = "this run") -> None:
        """Refuse, before allocating anything, a run whose estimate exceeds max_memory."""
        needed, where = self.estimate_bytes(keep_all)
        if needed > max_memory:
            from ..units import format_bytes

            raise MemoryLimitError(
                f"{self.spec.name}: {what} needs about {format_bytes(needed)} (peaking at layer '{where}', input "
                f"{list(self.spec.input.shape)} x batch {self.batch}), over --max-memory {format_bytes(max_memory)}; "
                f"raise --max-memory or use a smaller --input-size or --batch")

    # -- weights ---------------------------------------------------------------------------------
    def instantiate(self, seed: int) -> Weights:
        """Seeded random parameters and buffers; nodes with share_params_with reuse their owner's."""
        rng = np.random.default_rng(seed)
        params: dict[str, Params] = {}
        buffers: dict[str, Params] = {}
        prepared: dict[str, Params] = {}
        for node, kernel in zip(self.spec.nodes, self.kernels):
            owner = node.share_params_with
            if owner is not None:
                own_kernel = self.kernels[self._index(owner)]
                if own_kernel.param_shapes() != kernel.param_shapes():
                    raise SpecError(f"numpy backend: share_params_with '{owner}': parameter shapes "
                                    f"{own_kernel.param_shapes()} and {kernel.param_shapes()} differ",
                                    node.location, layer_label(node.index, node.name, node.layer.type))
                params[node.name], buffers[node.name] = {}, {}
                prepared[node.name] = kernel.prepare(params[owner], buffers[owner])
                continue
            params[node.name], buffers[node.name] = kernel.init_params(rng, self.dtype)
            prepared[node.name] = kernel.prepare(params[node.name], buffers[node.name])
        return Weights(params, buffers, prepared)

    def _index(self, name: str) -> int:
        for node in self.spec.nodes:
            if node.name == name:
                return node.index
        raise KeyError(name)

    def random_input(self, seed: int) -> np.ndarray:
        """A seeded standard-normal input, channels last: (batch, *spatial, channels)."""
        shape = self.spec.input.shape
        rng = np.random.default_rng(seed + 1)
        x = rng.standard_normal((self.batch, *shape[1:], shape[0]))
        return x.astype(self.dtype)

    # -- running ---------------------------------------------------------------------------------
    def forward(self, weights: Weights, x: np.ndarray, keep: bool = False, max_memory: Optional[int] = None,
                on_layer: Optional[Callable[[int], None]] = None, until: Optional[int] = None) -> Run:
        """Run the nodes in order (up to node index `until`), measuring each; keep all tensors when
        `keep` (for backward)."""
        tensors = {INPUT: x}
        measures = []
        item = element_bytes(self.spec.input.dtype)
        started = time.perf_counter()
        stop = len(self.kernels) if until is None else until + 1
        live = peak = x.size * item
        outputs = set(self.spec.output_names)
        for node, kernel in zip(self.spec.nodes[:stop], self.kernels[:stop]):
            ops = OpCounter()
            begin = time.perf_counter()
            y = kernel.forward([tensors[name] for name in node.inputs], weights.prepared[node.name], ops)
            seconds = time.perf_counter() - begin
            shape = _channels_first(y.shape)
            if shape != kernel.out_shape:
                raise RfcalcError(f"internal error: layer '{node.name}' produced shape {list(shape)}, its kernel "
                                  f"planned {list(kernel.out_shape)}")
            own = sum(a.size for a in weights.params[node.name].values())
            measures.append(MeasuredLayer(
                index=node.index, name=node.name, type=node.layer.type, output_shape=shape, params=own,
                trainable_params=own if node.trainable else 0,
                buffers=sum(a.size for a in weights.buffers[node.name].values()), ops=ops.core,
                overhead=ops.overhead, activation_bytes=y.size * item, seconds=seconds, batch=self.batch))
            tensors[node.name] = y
            # An in-place activation (inplace: true) whose input no other layer reads overwrites that input:
            # no new buffer, and the input's is not freed (the output holds it). A copy of the analyzer's rule.
            source = node.inputs[0]
            in_place = (getattr(node.layer, "inplace", False) and self.spec.graph.readers.get(source) == (node.name,)
                        and source not in self.spec.output_names)
            live += 0 if in_place else y.size * item
            peak = max(peak, live)
            for name in set(node.inputs):
                if self.last_use.get(name) == node.index and name not in outputs:  # outputs are returned: kept
                    live -= 0 if in_place else tensors[name].size * item
                    if not keep:
                        del tensors[name]
            if max_memory is not None:
                held = sum(t.nbytes for t in tensors.values())
                if held > max_memory:
                    from ..units import format_bytes

                    raise MemoryLimitError(f"{self.spec.name}: live tensors reached {format_bytes(held)} at layer "
                                           f"'{node.name}', over --max-memory {format_bytes(max_memory)}")
            if on_layer is not None:
                on_layer(node.index)
        return Run(measures, self.batch, tensors if keep else {}, time.perf_counter() - started, peak, x.size * item)

    def backward(self, weights: Weights, run: Run, seeds: dict[str, np.ndarray]) -> np.ndarray:
        """Gradient with respect to the network input, given gradients at some nodes' outputs."""
        grads: dict[str, np.ndarray] = dict(seeds)
        last = max(self._index(name) for name in seeds)
        for node, kernel in zip(reversed(self.spec.nodes[:last + 1]), reversed(self.kernels[:last + 1])):
            grad = grads.pop(node.name, None)
            if grad is None:
                continue
            xs = [run.outputs[name] for name in node.inputs]
            for name, g in zip(node.inputs, kernel.backward(grad, xs, run.outputs[node.name],
                                                            weights.prepared[node.name])):
                grads[name] = g if name not in grads else grads[name] + g
        return grads.get(INPUT, np.zeros_like(run.outputs[INPUT]))


def _channels_first(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Channels-first shape without batch from a channels-last array shape."""
    if len(shape) == 2:
        return (shape[1],)
    return (shape[-1], *shape[1:-1])
