"""The engine's inner loop: forward, hand-written backward and the update for G stacked models, in place.

Layout (G models, R rows; docs/engine.md#tuning-notes has the measurements):

- Hidden layers are row-major: activations [G, R, units], weights stored [G, in, out], biases [G, 1, out].
  Their products then run along the units, which the padding makes multiples of 16 (MKL's vector width):
  the forward ``A @ W``, the backward ``dZ @ W^T`` and the update ``W -= A^T @ dZ``.
- The output layer is column-major: outputs [G, out, R], weight [G, out, in] (nn.Linear's), bias [G, out, 1],
  so that the losses, softmax and per-row reductions over a few output units run along the rows.
- The inputs are X^T [F+1, R] (shared, expanded to the models, not copied) or [G, F+1, R], with a row of ones:
  the first layer's bias is folded into its weight (the last input row of a hidden first layer, the last
  input column of a first output layer), so its forward is one product and its bias gradient comes free.
- A hidden layer of one unit ([G, R, 1] is [G, 1, R] in memory) is computed as a row vector times a matrix,
  its weight viewed as [G, 1, in]; a layer with one input unit is an elementwise product.

Every buffer is allocated once per row count and reused; every operation writes in place or into a buffer
(``out=``), so a step is planned once: a list of bound operations (:meth:`StackedNet._plan`) for its row count
and its tensors, run step after step with no Python logic in between. Activations and losses come from the
tables of :mod:`dudl.core.functions`.

Plain SGD is fused into the backward pass (:meth:`StackedNet._backward_ops`): the big weight gradients
are never materialised, the update is fused into the matrix product (``W.baddbmm_(A^T, dZ, alpha=-1)``),
with the learning rate and the 1/n of the mean folded into the output gradient (row weights
``lr * mask / n_train``). When all rows train, that factor is one number per model and is applied to the
last layer's small gradients instead (one pass less). The meta-experiment's F-1-1 net has its own
three-pass backward (:meth:`StackedNet._scalar_hidden_ops`). Any other optimizer
(:mod:`dudl.core.optimizers`) gets every gradient from :meth:`StackedNet.gradients` (row weights
``mask / n_train``, no learning rate) and applies its own ``update``. No operation reduces over the model
axis, so a diverging model cannot touch the others.

A model's numbers do not depend on how many models share the stack, or where it sits in it: every product
that sums over rows (a weight update) is one matrix product per model (``bmm``/``baddbmm``; a shared input
is expanded, not copied), because one big product over the G*h stacked rows, e.g. ``mm`` of [F+1, N] and
[N, G*h], is computed by different kernels (and rounded differently) for different G; a first layer's
product of width 1 (one unit) and a layer with one input unit are sums over rows instead, since a batch of one
such product is rounded apart from a batch of several. Products that sum over units (the forward, the
backward's ``dZ W^T``) may stack the models' rows: each row's sum is the same whatever the number of rows
(docs/engine.md#tuning-notes).

Padded units (a narrow model inside a wider group) have zero incoming weights and bias, hence a zero
pre-activation: where f(0) = 0 (``at_zero``) they output 0 and receive a zero gradient (their outgoing
weights are 0), so they stay exactly 0 with no masking. Only a hidden layer with f(0) != 0 (sigmoid(0) =
.5) needs the next layer's padded weights re-zeroed after each update (``weight_masks``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial as P
from typing import NamedTuple

import torch

from dudl.core.functions import ACTIVATIONS, LOSSES
from dudl.core.optimizers import PLAIN_SGD, Optimizer, State

Op = Callable[[], object]  # one bound tensor operation of a planned step
_MAX_PLANS = 1024  # planned steps kept per net: one per set of step tensors (the engine: one per batch, + 2)


class _Buffers(NamedTuple):
    """A StackedNet's buffers for steps on R rows: activations per layer (hidden [G, R, units], output
    [G, out, R]), gradients like them, the softmax output (or None), and both as transposed views."""

    activations: list[torch.Tensor]
    gradients: list[torch.Tensor]
    softmax: torch.Tensor | None
    activations_t: list[torch.Tensor]
    gradients_t: list[torch.Tensor]


class StackedNet:
    """G models of one (padded) architecture: weights, buffers and one training step.

    Built from nn.Linear's layout (weights [G, out, in], biases [G, out, 1]); stored as the kernels use them (see
    the module doc): a hidden layer's weight [G, in, out] and bias [G, 1, out], the output layer's weight
    [G, out, in] and bias [G, out, 1]; the first layer's bias folded into its weight (the last input row of a
    hidden first layer, the last input column of a first output layer). activations[l]: names in
    :data:`ACTIVATIONS`. weight_masks[l]: None, or 0/1 tensors (weight mask, bias mask) in nn.Linear's layout,
    for layers after a hidden layer with f(0) != 0 and padding. optimizer: plain SGD (fused into the backward
    pass) or any other, which then needs ``learning_rates`` [G, 1, 1].
    """

    def __init__(
        self,
        weights: list[torch.Tensor],
        biases: list[torch.Tensor],
        activations: tuple[str, ...],
        loss: str,
        softmax_output: bool,
        weight_masks: list[tuple[torch.Tensor, torch.Tensor] | None],
        optimizer: Optimizer = PLAIN_SGD,
        learning_rates: torch.Tensor | None = None,
    ) -> None:
        self.last = len(weights) - 1
        # the first layer's bias is folded into its weight as an extra input (inputs get a row of ones, see
        # prepare_inputs): its forward is then one product and its bias gradient comes free
        stored = [torch.cat([weights[0], biases[0]], dim=2), *weights[1:]]
        stored_biases = list(biases)
        masks = list(weight_masks)
        for layer in range(self.last):  # hidden layers: [G, in, out], [G, 1, out]
            stored[layer] = stored[layer].transpose(1, 2).contiguous()
            stored_biases[layer] = stored_biases[layer].transpose(1, 2).contiguous()
            if masks[layer] is not None:
                masks[layer] = tuple(mask.transpose(1, 2).contiguous() for mask in masks[layer])
        self.weights = stored
        first_bias = self.weights[0][:, -1:, :] if self.last > 0 else self.weights[0][:, :, -1:]
        self.biases = [first_bias, *stored_biases[1:]]
        self.activations = activations
        self.loss = loss
        self.softmax_output = softmax_output
        self.weight_masks = masks
        self.optimizer = optimizer
        self.learning_rates = learning_rates
        self._optimizer_state = State()
        self.n_models = weights[0].shape[0]
        self.sizes = [weights[0].shape[2]] + [w.shape[1] for w in weights]
        # the learning-rate meta-experiment's net: input -> 1 unit (relu/none) -> 1 output
        self._scalar_hidden = (
            len(weights) == 2
            and self.sizes[1:] == [1, 1]
            and activations[0] in ("relu", "none")
            and weight_masks[1] is None
        )
        self._buffers: dict[int, _Buffers] = {}
        self._scratch: dict[tuple[int, ...], torch.Tensor] = {}
        self._bias_grads = [torch.empty_like(b) for b in self.biases]
        # views and functions the steps use, made once (each view costs about a microsecond per step)
        self._back_weights = [w.transpose(1, 2) if layer < self.last else w for layer, w in enumerate(self.weights)]
        # a hidden layer of one unit, [G, in, 1], as [G, 1, in]: its products are then row vectors
        # times matrices (MKL is slow on a batch of matrices times one column)
        self._unit_weights = [w.view(w.shape[0], 1, w.shape[1]) if layer < self.last and w.shape[2] == 1 else None
                              for layer, w in enumerate(self.weights)]
        self._forward_functions = [ACTIVATIONS[a].forward_ for a in activations]
        self._backward_functions = [ACTIVATIONS[a].backward_ for a in activations]
        self._stacked_inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._plans: dict[tuple[object, ...], tuple[tuple[torch.Tensor, ...], list[Op]]] = {}

    def prepare_inputs(self, inputs_t: torch.Tensor) -> torch.Tensor:
        """X^T ([F, N] shared or [G, F, N] per model) with the row of ones the folded first bias needs."""
        ones = inputs_t.new_ones(*inputs_t.shape[:-2], 1, inputs_t.shape[-1])
        return torch.cat([inputs_t, ones], dim=-2)

    def linear_parameters(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The trained weights in nn.Linear's layout [G, out, in] (the first with its bias as the last input
        column) and biases [G, out], as new contiguous tensors."""
        weights = [w.transpose(1, 2).contiguous() if layer < self.last else w.clone()
                   for layer, w in enumerate(self.weights)]
        biases = [(b[:, 0, :] if layer < self.last else b[..., 0]).clone() for layer, b in enumerate(self.biases)]
        return weights, biases

    def _scratch_like(self, shape: torch.Size | tuple[int, ...]) -> torch.Tensor:
        """A reusable work buffer of ``shape`` (for products that are reduced right away)."""
        key = tuple(shape)
        if key not in self._scratch:
            self._scratch[key] = self.weights[0].new_empty(key)
        return self._scratch[key]

    def _get_buffers(self, n_rows: int) -> _Buffers:
        """The buffers of steps on ``n_rows`` rows (made on first use)."""
        if n_rows not in self._buffers:
            like = self.weights[0]
            shapes = [(self.n_models, n_rows, size) for size in self.sizes[1:-1]]
            shapes.append((self.n_models, self.sizes[-1], n_rows))
            activations = [like.new_empty(shape) for shape in shapes]
            gradients = [like.new_empty(shape) for shape in shapes]
            softmax = like.new_empty(shapes[-1]) if self.softmax_output else None
            self._buffers[n_rows] = _Buffers(activations, gradients, softmax,
                                             [a.transpose(1, 2) for a in activations],
                                             [g.transpose(1, 2) for g in gradients])
        return self._buffers[n_rows]

    def _stacked(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs from :meth:`prepare_inputs` as [G, R, F+1] (a view) and as [G, F+1, R] (a shared input
        expanded, not copied, so that a model's numbers do not depend on whether the others share it)."""
        cached = self._stacked_inputs
        if cached is None or cached[0] is not inputs:
            stacked_t = inputs.expand(self.n_models, *inputs.shape) if inputs.dim() == 2 else inputs
            cached = self._stacked_inputs = (inputs, stacked_t.transpose(1, 2), stacked_t)
        return cached[1], cached[2]

    def _plan(self, kind: object, tensors: tuple[torch.Tensor, ...], build: Callable[[], list[Op]]) -> list[Op]:
        """The operations ``build()`` makes for these ``tensors`` (the same objects as a cached plan's, or a new
        plan): a step is then a loop over bound calls, with no Python logic per operation."""
        key = (kind, *map(id, tensors))
        cached = self._plans.get(key)
        if cached is None or any(a is not b for a, b in zip(cached[0], tensors, strict=True)):
            if len(self._plans) >= _MAX_PLANS:
                self._plans.clear()
            cached = self._plans[key] = (tensors, build())
        return cached[1]

    def _outputs(self, buffers: _Buffers) -> torch.Tensor:
        return buffers.softmax if buffers.softmax is not None else buffers.activations[-1]

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Outputs [G, out, R] for inputs from :meth:`prepare_inputs`: shared [F+1, R] or per model
        [G, F+1, R] (a buffer: copy it to keep it)."""
        buffers = self._get_buffers(inputs.shape[-1])
        for op in self._plan("forward", (inputs,), lambda: self._forward_ops(inputs, buffers)):
            op()
        return self._outputs(buffers)

    def _forward_ops(self, inputs: torch.Tensor, buffers: _Buffers) -> list[Op]:
        ops: list[Op] = []
        previous, previous_t = self._stacked(inputs)
        for layer, (weight, bias, forward_) in enumerate(
            zip(self.weights, self.biases, self._forward_functions, strict=True)
        ):
            out = buffers.activations[layer]
            if layer == self.last:  # [G, out, R] = W [G, out, in] @ previous^T
                ops.append(P(torch.mul if weight.shape[2] == 1 else torch.bmm, weight, previous_t, out=out))
            elif weight.shape[1] == 1 and layer > 0:  # one input unit: an elementwise product
                ops.append(P(torch.mul, previous, weight, out=out))
            elif weight.shape[2] == 1:  # one unit: [G, 1, in] @ previous^T ([G, R, 1] is [G, 1, R] in memory)
                ops.append(P(torch.bmm, self._unit_weights[layer], previous_t, out=buffers.activations_t[layer]))
            else:  # [G, R, out] = previous [G, R, in] @ W [G, in, out]
                ops.append(P(torch.bmm, previous, weight, out=out))
            if layer > 0:  # the first layer's bias is folded into its weight
                ops.append(P(out.add_, bias))
            ops.append(P(forward_, out))
            previous, previous_t = out, buffers.activations_t[layer]
        if buffers.softmax is not None:
            ops.append(P(torch.softmax, out, dim=1, out=buffers.softmax))
        return ops

    def _output_gradient_ops(
        self, outputs: torch.Tensor, targets: torch.Tensor, row_scale: torch.Tensor | None, gradient: torch.Tensor,
        buffers: _Buffers,
    ) -> list[Op]:
        """gradient [G, out, R] = d(sum_g lr_g * loss_g) / d(last pre-activation), torch's formulas.

        targets: [1 or G, out, R] float (one-hot for cross-entropy); row_scale: lr * row weight
        [G, 1, R] (for an optimizer other than plain SGD: the row weight alone), or None to leave the
        gradient unscaled (a per-model scale comes later).
        """
        ops: list[Op] = [P(LOSSES[self.loss].output_gradient, outputs, targets, gradient)]
        if row_scale is not None:
            ops.append(P(gradient.mul_, row_scale))
        if self.softmax_output:  # Softmax(dim=1) backward: s * (g - sum(g * s))
            inner = gradient.new_empty(gradient.shape[0], 1, gradient.shape[2])
            ops += [P(torch.linalg.vecdot, gradient, outputs, dim=1, out=inner[:, 0]), P(gradient.sub_, inner),
                    P(gradient.mul_, outputs)]
        ops.append(P(self._backward_functions[self.last], gradient, buffers.activations[self.last]))
        return ops

    def _gradient_buffers(self, buffers: _Buffers, keep_outputs: bool) -> list[torch.Tensor]:
        """The gradient buffers of a step; the last is the outputs' own buffer where the output gradient may
        overwrite them (an elementwise formula of the outputs, which are not kept)."""
        in_place = (
            not keep_outputs
            and self.activations[-1] == "none"
            and not self.softmax_output
            and LOSSES[self.loss].gradient_in_place
        )
        return [*buffers.gradients[:-1], buffers.activations[-1]] if in_place else buffers.gradients

    def step(
        self, inputs: torch.Tensor, targets: torch.Tensor, row_scale: torch.Tensor, keep_outputs: bool = True
    ) -> torch.Tensor:
        """One training step on the rows of ``inputs`` (as in :meth:`forward`); returns the forward's outputs
        (a buffer, valid until the next call with the same row count).

        row_scale: row weight (mask / n_train) [G, 1, R], or [G, 1, 1] (1 / n, all rows), times the learning
        rate for plain SGD. For plain SGD a [G, 1, 1] scale is applied to the last layer's small weight
        gradient instead of the big output gradient.
        keep_outputs: False lets the output gradient overwrite the outputs (one big buffer less to
        stream through the cache); the returned tensor is then garbage.
        Pass the same tensor objects step after step (updated in place where they change): the step's
        operations are planned once for them.
        """
        n_rows = inputs.shape[-1]
        buffers = self._get_buffers(n_rows)
        gradients = self._gradient_buffers(buffers, keep_outputs)
        fused = self.optimizer.fused
        model_scale = row_scale if fused and row_scale.shape[-1] == 1 and n_rows > 1 and self.last > 0 else None

        def build() -> list[Op]:
            ops = self._forward_ops(inputs, buffers)
            ops += self._output_gradient_ops(self._outputs(buffers), targets,
                                             None if model_scale is not None else row_scale, gradients[-1], buffers)
            return ops + self._backward_ops(inputs, buffers, gradients, model_scale) if fused else ops

        for op in self._plan(("step", keep_outputs), (inputs, targets, row_scale), build):
            op()
        if not fused:
            self.optimizer.update(self._optimizer_state, self.parameters(),
                                  self.gradients(inputs, buffers, gradients), self.learning_rates)
            for layer in range(1, len(self.weights)):
                for op in self._mask_ops(layer):
                    op()
        return self._outputs(buffers)

    def parameters(self) -> list[torch.Tensor]:
        """Every trained tensor once, as stored: the first weight with its folded bias, then each later layer's
        weight and bias."""
        return [self.weights[0], *[tensor for layer in range(1, len(self.weights))
                                   for tensor in (self.weights[layer], self.biases[layer])]]

    def _previous(self, layer: int, inputs: torch.Tensor, buffers: _Buffers) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer ``layer``'s input [G, R, in] and that as [G, in, R]."""
        if layer == 0:
            return self._stacked(inputs)
        return buffers.activations[layer - 1], buffers.activations_t[layer - 1]

    def _back_ops(self, layer: int, buffers: _Buffers, gradients: list[torch.Tensor],
                  back_weight: torch.Tensor) -> list[Op]:
        """gradients[layer - 1] [G, R, in], the gradient of layer ``layer - 1``'s output, from layer ``layer``'s
        gradient and its weight as [G, out, in] (``back_weight``), then through that layer's activation."""
        out = gradients[layer - 1]
        if layer < self.last:  # [G, R, out] @ [G, out, in]
            gradient = gradients[layer]
        else:  # the output gradient [G, out, R] (its buffer, or the outputs' when computed in place) as [G, R, out]
            gradient = (buffers.gradients_t[layer] if gradients[layer] is buffers.gradients[layer]
                        else buffers.activations_t[layer])
        product = torch.mul if back_weight.shape[1] == 1 else torch.bmm  # one unit: [G, R, 1] * [G, 1, in]
        return [P(product, gradient, back_weight, out=out),
                P(self._backward_functions[layer - 1], out, buffers.activations[layer - 1])]

    def gradients(
        self, inputs: torch.Tensor, buffers: _Buffers, gradients: list[torch.Tensor]
    ) -> list[torch.Tensor]:
        """Backpropagate the (row-weighted) output gradient ``gradients[-1]``; returns the gradient of each
        tensor of :meth:`parameters`, in that order (one product per model, as in :meth:`_backward_ops`)."""
        by_layer: list[list[torch.Tensor]] = []
        for layer in range(self.last, -1, -1):
            gradient = gradients[layer]
            previous, previous_t = self._previous(layer, inputs, buffers)
            weight_gradient = (torch.bmm(gradient, previous) if layer == self.last  # [G, out, R] @ [G, R, in]
                               else torch.bmm(previous_t, gradient))  # [G, in, R] @ [G, R, out]
            if layer == 0:
                by_layer.append([weight_gradient])
                continue
            for op in self._back_ops(layer, buffers, gradients, self._back_weights[layer]):
                op()
            bias_gradient = gradient.sum(dim=-1 if layer == self.last else -2, keepdim=True)
            by_layer.append([weight_gradient, bias_gradient])
        return [tensor for layer_gradients in reversed(by_layer) for tensor in layer_gradients]

    def _mask_ops(self, layer: int) -> list[Op]:
        """Re-zero layer ``layer``'s padded weights after an update, where the layer before has f(0) != 0 (see
        the module doc)."""
        masks = self.weight_masks[layer]
        if masks is None:
            return []
        return [P(self.weights[layer].mul_, masks[0]), P(self.biases[layer].mul_, masks[1])]

    def _backward_ops(
        self,
        inputs: torch.Tensor,
        buffers: _Buffers,
        gradients: list[torch.Tensor],
        model_scale: torch.Tensor | None,
    ) -> list[Op]:
        """Backpropagate the output gradient (``gradients[-1]``) and apply the SGD update, last layer first.

        model_scale [G, 1, 1]: when given, the output gradient is unscaled and this per-model factor
        (lr / n) is applied to the last layer's weight and bias gradients and to the gradient it passes
        back (through the scaled weights), so every earlier layer receives scaled gradients.
        """
        if self._scalar_hidden:
            return self._scalar_hidden_ops(inputs, buffers, gradients, model_scale)
        ops: list[Op] = []
        last = self.last
        for layer in range(last, -1, -1):
            weight, bias = self.weights[layer], self.biases[layer]
            gradient = gradients[layer]
            scale = model_scale if layer == last else None
            previous, previous_t = self._previous(layer, inputs, buffers)
            if layer > 0:  # gradient of the previous layer's output, with the weights before the update
                back_weight = self._back_weights[layer]
                if scale is not None:
                    scaled = torch.empty_like(back_weight)
                    ops.append(P(torch.mul, back_weight, scale, out=scaled))
                    back_weight = scaled
                ops += self._back_ops(layer, buffers, gradients, back_weight)
            n_in = previous.shape[-1]
            width_one = n_in == 1 or (layer == 0 and weight.shape[-1 if layer < last else 1] == 1)
            if width_one:  # a product of width 1 is a sum over rows per model (see the module doc)
                summing, target, weight_grad = self._width_one_ops(layer, gradient, previous, previous_t)
                ops += summing
            if scale is not None:  # the output layer's small per-model gradient, scaled, then subtracted
                if not width_one:  # [G, out, R] @ [G, R, in]
                    target, weight_grad = weight, torch.empty_like(weight)
                    ops.append(P(torch.bmm, gradient, previous, out=weight_grad))
                ops += [P(weight_grad.mul_, scale), P(target.sub_, weight_grad)]
            elif width_one:
                ops.append(P(target.sub_, weight_grad))
            elif layer == last:  # W -= dZ @ A, one product per model
                ops.append(P(weight.baddbmm_, gradient, previous, alpha=-1))
            elif self._unit_weights[layer] is not None:  # one unit: W^T [G, 1, in] -= dZ^T [G, 1, R] @ A
                ops.append(P(self._unit_weights[layer].baddbmm_, buffers.gradients_t[layer], previous, alpha=-1))
            else:  # W -= A^T @ dZ
                ops.append(P(weight.baddbmm_, previous_t, gradient, alpha=-1))
            if layer == 0:  # the folded bias was updated with the weight
                continue
            bias_grad = self._bias_grads[layer]
            ops.append(P(torch.sum, gradient, dim=-1 if layer == last else -2, keepdim=True, out=bias_grad))
            if scale is not None:
                ops.append(P(bias_grad.mul_, scale))
            ops.append(P(bias.sub_, bias_grad))
            ops += self._mask_ops(layer)
        return ops

    def _width_one_ops(self, layer: int, gradient: torch.Tensor, previous: torch.Tensor,
                       previous_t: torch.Tensor) -> tuple[list[Op], torch.Tensor, torch.Tensor]:
        """The weight gradient of a layer with one input unit, or of a first layer with one output unit, as a
        sum over rows of elementwise products: (its operations, the weight or weight view it updates, the
        gradient they write)."""
        weight = self.weights[layer]
        if layer == self.last and previous.shape[-1] == 1:  # [G, out, R] * [G, 1, R]
            product, target, rows = self._scratch_like(gradient.shape), weight, -1
            multiply = P(torch.mul, gradient, previous_t, out=product)
        elif layer == self.last:  # one output unit: [G, in, R] * [G, 1, R]
            product, target, rows = self._scratch_like(previous_t.shape), weight[:, 0], -1
            multiply = P(torch.mul, previous_t, gradient, out=product)
        elif previous.shape[-1] == 1:  # hidden, one input unit: [G, R, out] * [G, R, 1]
            product, target, rows = self._scratch_like(gradient.shape), weight, -2
            multiply = P(torch.mul, gradient, previous, out=product)
        else:  # the first (hidden) layer with one unit: [G, in, R] * [G, 1, R]
            product, target, rows = self._scratch_like(previous_t.shape), weight[..., 0], -1
            multiply = P(torch.mul, previous_t, gradient.transpose(1, 2), out=product)
        summed = torch.empty_like(target)
        return [multiply, P(torch.sum, product, rows, keepdim=target.dim() == 3, out=summed)], target, summed

    def _scalar_hidden_ops(
        self,
        inputs: torch.Tensor,
        buffers: _Buffers,
        gradients: list[torch.Tensor],
        model_scale: torch.Tensor | None,
    ) -> list[Op]:
        """The backward and update for F -> 1 (relu or none) -> 1 (a shared or per-model input), in three passes.

        With one hidden unit a = act(w0 . x) (bias folded into w0) and d the output gradient, the hidden
        gradient is d * w1 masked where a > 0, so with G1 = sum_n mask_n d_n x_n (one product over the
        rows): dW0 = w1 * G1, and since a_n = mask_n (w0 . x_n), dw1 = sum_n d_n a_n = w0 . G1. The big
        tensors are read only by the mask, the bias sum and that product. (With one unit, [G, R, 1] and
        [G, 1, R] are the same memory.)
        """
        n_models, n_in = self.n_models, inputs.shape[-2]
        first_weight = self.weights[0].view(n_models, 1, n_in)  # [G, F+1, 1] as [G, 1, F+1]
        weight, bias = self.weights[1], self.biases[1]
        masked = gradients[1]  # [G, 1, R]; relu masks it in place (the unmasked gradient is not needed after)
        bias_grad = self._bias_grads[1]
        summed_by_model = self._scratch_like((n_models, 1, n_in))  # G1 [G, 1, F+1], one product per model
        weight_grad = torch.empty_like(weight)  # [G, 1, 1]
        first_grad = torch.empty_like(first_weight)
        ops: list[Op] = [
            P(torch.sum, masked, dim=-1, keepdim=True, out=bias_grad),
            P(self._backward_functions[0], masked, buffers.activations_t[0]),
            P(torch.bmm, masked, self._stacked(inputs)[0], out=summed_by_model),
            P(torch.linalg.vecdot, first_weight, summed_by_model, out=weight_grad[..., 0]),
            P(torch.mul, summed_by_model, weight, out=first_grad),
        ]
        if model_scale is not None:
            ops += [P(weight_grad.mul_, model_scale), P(bias_grad.mul_, model_scale), P(first_grad.mul_, model_scale)]
        return [*ops, P(weight.sub_, weight_grad), P(bias.sub_, bias_grad), P(first_weight.sub_, first_grad)]


def predicted(outputs: torch.Tensor, threshold: float) -> torch.Tensor:
    """[G, R] int64 predicted class (docs/spec/experiments.md#decision-rule-and-accuracy) of outputs [G, out, R]: the
    argmax over several output units,
    else 1 where the one output is above ``threshold``. (Any leading axes: units are the second last.)"""
    if outputs.shape[-2] > 1:  # the first maximum, as argmax gives it (argmax over this strided axis is ~10x slower)
        return outputs.max(-2).indices
    return (outputs[..., 0, :] > threshold).to(torch.int64)


def row_correct(outputs: torch.Tensor, labels: torch.Tensor, threshold: float) -> torch.Tensor:
    """[G, R] float 1 where the predicted class (docs/spec/experiments.md#decision-rule-and-accuracy) of outputs
    [G, out, R] equals labels [1 or G, R], else 0; NaN where an output is not finite (a diverged model predicts
    nothing, so its accuracy is NaN)."""
    correct = (predicted(outputs, threshold).to(labels.dtype) == labels).to(outputs.dtype)
    return correct.masked_fill_(~outputs.isfinite().all(-2), math.nan)


def take_rows(values: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """values [1 or G, D, N] at each model's rows [G, B] -> [G, D, B]."""
    n_models, n_batch = rows.shape
    if values.shape[0] == 1:
        taken = values[0].index_select(1, rows.reshape(-1))  # [D, G*B]
        return taken.view(-1, n_models, n_batch).transpose(0, 1)
    return torch.gather(values, 2, rows.unsqueeze(1).expand(n_models, values.shape[1], n_batch))


def take_labels(labels: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """labels [1 or G, N] at rows [G, B] -> [G, B]."""
    if labels.shape[0] == 1:
        return labels[0][rows]
    return torch.gather(labels, 1, rows)
