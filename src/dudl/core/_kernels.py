"""The engine's inner loop: forward, hand-written backward and the update for G stacked models, in place.

Layout: activations are [G, units, R] (model, unit, row), so that the first layer is one batched product
``W1 [G, h, F+1] @ X^T [G, F+1, R]`` (its bias folded in as a column, the inputs get a row of ones; a shared
input is expanded, not copied), per-row reductions run over the contiguous last axis, and a layer with one
input unit is an elementwise product. Weights are [G, out, in], biases [G, out, 1].

Every buffer is allocated once per row count and reused; every big operation writes in place or into a
buffer (``out=``). Activations and losses come from the tables of :mod:`dudl.core.functions`.

Plain SGD is fused into the backward pass (:meth:`StackedNet.backward_update`): the big weight gradients
are never materialised, the update is fused into the matrix product (``W.baddbmm_(dZ, A^T, alpha=-1)``),
with the learning rate and the 1/n of the mean folded into the output gradient (row weights
``lr * mask / n_train``). When all rows train, that factor is one number per model and is applied to the
last layer's small gradients instead (one pass less). The meta-experiment's F-1-1 net has its own
three-pass backward (:meth:`StackedNet._scalar_hidden_backward_update`). Any other optimizer
(:mod:`dudl.core.optimizers`) gets every gradient from :meth:`StackedNet.gradients` (row weights
``mask / n_train``, no learning rate) and applies its own ``update``. No operation reduces over the model
axis, so a diverging model cannot touch the others.

A model's numbers do not depend on how many models share the stack, or where it sits in it: every product
that sums over rows (a weight update) is one matrix product per model (``bmm``/``baddbmm``; a shared input
is expanded, not copied), because one big product over the G*h stacked rows, e.g. ``mm`` of [F+1, N] and
[N, G*h], is computed by different kernels (and rounded differently) for different G; a product of width 1
(one hidden unit) is a sum over rows instead, since a batch of one such product is rounded apart from a
batch of several. Products that sum over units (the forward, the backward's ``W^T dZ``) may stack the
models' rows: each row's sum is the same whatever the number of rows (docs/engine.md#tuning-notes).

Padded units (a narrow model inside a wider group) have zero incoming weights and bias, hence a zero
pre-activation: where f(0) = 0 (``at_zero``) they output 0 and receive a zero gradient (their outgoing
weights are 0), so they stay exactly 0 with no masking. Only a hidden layer with f(0) != 0 (sigmoid(0) =
.5) needs the next layer's padded weights re-zeroed after each update (``weight_masks``).
"""

from __future__ import annotations

import math

import torch

from dudl.core.functions import ACTIVATIONS, LOSSES
from dudl.core.optimizers import PLAIN_SGD, Optimizer, State


class StackedNet:
    """G models of one (padded) architecture: weights, buffers and one training step.

    weights[l]: [G, out_l, in_l], except weights[0]: [G, h, F+1] with the first bias folded in as its last
    column; biases[l]: [G, out_l, 1] (biases[0] a view of that column); activations[l]: names in
    :data:`ACTIVATIONS`. weight_masks[l]: None, or 0/1 tensors (weight mask, bias mask) for hidden layers with
    f(0) != 0 and padding. optimizer: plain SGD (fused into the backward pass) or any other, which then
    needs ``learning_rates`` [G, 1, 1].
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
        # the first layer's bias is folded into its weight as an extra input column (inputs get a row of
        # ones, see prepare_inputs): its forward is then one product and its bias gradient comes free
        first = torch.cat([weights[0], biases[0]], dim=2)
        # stored transposed, [G, F+1, h]: its update X dZ^T is then one batched product into contiguous memory
        # (faster than into [G, h, F+1]: docs/engine.md#tuning-notes)
        self._first_t = first.transpose(1, 2).contiguous()
        self.weights = [self._first_t.transpose(1, 2), *weights[1:]]
        self.biases = [self.weights[0][:, :, -1:], *biases[1:]]
        self.activations = activations
        self.loss = loss
        self.softmax_output = softmax_output
        self.weight_masks = weight_masks
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
        self._buffers: dict[int, tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor | None]] = {}
        self._scratch: dict[tuple[int, ...], torch.Tensor] = {}
        self._bias_grads = [torch.empty_like(b) for b in biases]

    def prepare_inputs(self, inputs_t: torch.Tensor) -> torch.Tensor:
        """X^T ([F, N] shared or [G, F, N] per model) with the row of ones the folded first bias needs."""
        ones = inputs_t.new_ones(*inputs_t.shape[:-2], 1, inputs_t.shape[-1])
        return torch.cat([inputs_t, ones], dim=-2)

    def _scratch_like(self, shape: torch.Size) -> torch.Tensor:
        """A reusable work buffer of ``shape`` (for products that are reduced right away)."""
        key = tuple(shape)
        if key not in self._scratch:
            self._scratch[key] = self.weights[0].new_empty(key)
        return self._scratch[key]

    def _get_buffers(self, n_rows: int) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor | None]:
        """(activations [G, out_l, R] per layer, gradients like them, softmax output or None)."""
        if n_rows not in self._buffers:
            like = self.weights[0]
            shapes = [(self.n_models, size, n_rows) for size in self.sizes[1:]]
            activations = [like.new_empty(shape) for shape in shapes]
            gradients = [like.new_empty(shape) for shape in shapes]
            softmax = like.new_empty(shapes[-1]) if self.softmax_output else None
            self._buffers[n_rows] = (activations, gradients, softmax)
        return self._buffers[n_rows]

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Outputs [G, out, R] for inputs from :meth:`prepare_inputs`: shared [F+1, R] or per model
        [G, F+1, R] (a buffer: copy it to keep it)."""
        n_rows = inputs.shape[-1]
        activations, _, softmax = self._get_buffers(n_rows)
        previous = inputs
        n_models = self.n_models
        for layer, (weight, bias, activation) in enumerate(
            zip(self.weights, self.biases, self.activations, strict=True)
        ):
            hidden = activations[layer]
            n_in = weight.shape[2]
            if layer == 0:  # bias folded into the weight; one product per model, a shared input expanded (so
                # that a model's numbers do not depend on whether the others share its input)
                rows = previous.expand(n_models, *previous.shape) if previous.dim() == 2 else previous
                torch.bmm(weight, rows, out=hidden)
            else:
                if n_in == 1:
                    torch.mul(previous, weight, out=hidden)
                else:
                    torch.bmm(weight, previous, out=hidden)
                hidden.add_(bias)
            ACTIVATIONS[activation].forward_(hidden)
            previous = hidden
        if softmax is not None:
            torch.softmax(previous, dim=1, out=softmax)
            return softmax
        return previous

    def output_gradient(
        self, outputs: torch.Tensor, targets: torch.Tensor, row_scale: torch.Tensor | None, gradient: torch.Tensor
    ) -> None:
        """gradient [G, out, R] = d(sum_g lr_g * loss_g) / d(last pre-activation), torch's formulas.

        targets: [1 or G, out, R] float (one-hot for cross-entropy); row_scale: lr * row weight
        [G, 1, R] (for an optimizer other than plain SGD: the row weight alone), or None to leave the
        gradient unscaled (the caller applies a per-model scale later).
        """
        LOSSES[self.loss].output_gradient(outputs, targets, gradient)
        if row_scale is not None:
            gradient.mul_(row_scale)
        if self.softmax_output:  # Softmax(dim=1) backward: s * (g - sum(g * s))
            inner = torch.linalg.vecdot(gradient, outputs, dim=1).unsqueeze(1)
            gradient.sub_(inner).mul_(outputs)
        self._activation_backward(len(self.weights) - 1, gradient)

    def _activation_backward(self, layer: int, gradient: torch.Tensor) -> None:
        activations, _, _ = self._get_buffers(gradient.shape[-1])
        ACTIVATIONS[self.activations[layer]].backward_(gradient, activations[layer])

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
        """
        outputs = self.forward(inputs)
        n_rows = inputs.shape[-1]
        activations, gradients, _ = self._get_buffers(n_rows)
        in_place = (
            not keep_outputs
            and self.activations[-1] == "none"
            and not self.softmax_output
            and LOSSES[self.loss].gradient_in_place
        )
        if in_place:
            gradients = [*gradients[:-1], outputs]
        if not self.optimizer.fused:
            self.output_gradient(outputs, targets, row_scale, gradients[-1])
            parameters = self.parameters()
            self.optimizer.update(self._optimizer_state, parameters,
                                  self.gradients(inputs, activations, gradients), self.learning_rates)
            for layer in range(1, len(self.weights)):
                self._mask_padding(layer)
            return outputs
        model_scale = row_scale if row_scale.shape[-1] == 1 and n_rows > 1 and len(self.weights) > 1 else None
        self.output_gradient(outputs, targets, None if model_scale is not None else row_scale, gradients[-1])
        self.backward_update(inputs, activations, gradients, model_scale)
        return outputs

    def parameters(self) -> list[torch.Tensor]:
        """Every trained tensor once: the first weight with its folded bias (stored [G, F+1, h]), then each
        later layer's weight [G, out, in] and bias [G, out, 1]."""
        return [self._first_t, *[tensor for layer in range(1, len(self.weights))
                                 for tensor in (self.weights[layer], self.biases[layer])]]

    def gradients(
        self, inputs: torch.Tensor, activations: list[torch.Tensor], gradients: list[torch.Tensor]
    ) -> list[torch.Tensor]:
        """Backpropagate the (row-weighted) output gradient ``gradients[-1]``; returns the gradient of each
        tensor of :meth:`parameters`, in that order (one product per model, as in :meth:`backward_update`)."""
        n_models = self.n_models
        by_layer: list[list[torch.Tensor]] = []
        for layer in range(len(self.weights) - 1, -1, -1):
            gradient = gradients[layer]
            previous = inputs if layer == 0 else activations[layer - 1]
            if layer == 0:  # [G, F+1, h], like the stored first weight
                rows = previous.expand(n_models, *previous.shape) if previous.dim() == 2 else previous
                by_layer.append([torch.bmm(rows, gradient.transpose(1, 2))])
                continue
            torch.bmm(self.weights[layer].transpose(1, 2), gradient, out=gradients[layer - 1])
            self._activation_backward(layer - 1, gradients[layer - 1])
            by_layer.append([torch.bmm(gradient, previous.transpose(1, 2)), gradient.sum(-1, keepdim=True)])
        return [tensor for layer_gradients in reversed(by_layer) for tensor in layer_gradients]

    def _mask_padding(self, layer: int) -> None:
        """Re-zero layer ``layer``'s padded weights after an update, where the layer before has f(0) != 0 (see
        the module doc)."""
        masks = self.weight_masks[layer]
        if masks is not None:
            self.weights[layer].mul_(masks[0])
            self.biases[layer].mul_(masks[1])

    def backward_update(
        self,
        inputs: torch.Tensor,
        activations: list[torch.Tensor],
        gradients: list[torch.Tensor],
        model_scale: torch.Tensor | None = None,
    ) -> None:
        """Backpropagate the output gradient and apply the SGD update, last layer first.

        model_scale [G, 1, 1]: when given, the output gradient is unscaled and this per-model factor
        (lr / n) is applied to the last layer's weight and bias gradients and to the gradient it passes
        back (through the scaled weights), so every earlier layer receives scaled gradients.
        """
        if self._scalar_hidden:
            self._scalar_hidden_backward_update(inputs, activations, gradients, model_scale)
            return
        n_models = self.n_models
        n_rows = inputs.shape[-1]
        last = len(self.weights) - 1
        for layer in range(last, -1, -1):
            weight, bias = self.weights[layer], self.biases[layer]
            gradient = gradients[layer]
            n_out, n_in = weight.shape[1], weight.shape[2]
            scale = model_scale if layer == last else None
            previous = inputs if layer == 0 else activations[layer - 1]
            if layer > 0:  # gradient of the previous layer's output, with the weights before the update
                previous_gradient = gradients[layer - 1]
                back_weight = weight.transpose(1, 2) if scale is None else weight.transpose(1, 2) * scale
                if n_out == 1:
                    torch.mul(gradient, back_weight, out=previous_gradient)
                else:
                    torch.bmm(back_weight, gradient, out=previous_gradient)
                self._activation_backward(layer - 1, previous_gradient)
            if scale is not None:  # small per-model gradient, scaled, then subtracted
                if n_in == 1:
                    product = self._scratch_like(gradient.shape)
                    torch.mul(gradient, previous, out=product)
                    weight_grad = product.sum(-1, keepdim=True)
                else:
                    weight_grad = torch.bmm(gradient, previous.transpose(1, 2))
                weight.sub_(weight_grad.mul_(scale))
            elif layer == 0 and n_out == 1:  # W^T -= X dZ^T for one unit: a sum over rows per model
                product = self._scratch_like((n_models, n_in, n_rows))
                torch.mul(previous, gradient, out=product)
                self._first_t[..., 0].sub_(product.sum(-1))
            elif layer == 0:  # W^T -= X dZ^T, one product per model (a shared input expanded, see the module doc)
                rows = previous.expand(n_models, n_in, n_rows) if previous.dim() == 2 else previous
                self._first_t.baddbmm_(rows, gradient.transpose(1, 2), alpha=-1)
            elif n_in == 1:  # layer 0 has F + 1 >= 2 inputs (its folded bias column)
                product = self._scratch_like(gradient.shape)
                torch.mul(gradient, previous, out=product)
                weight.sub_(product.sum(-1, keepdim=True))
            else:
                weight.baddbmm_(gradient, previous.transpose(1, 2), alpha=-1)
            if layer == 0:  # the folded bias was updated with the weight
                continue
            bias_grad = self._bias_grads[layer]
            torch.sum(gradient, dim=-1, keepdim=True, out=bias_grad)
            if scale is not None:
                bias_grad.mul_(scale)
            bias.sub_(bias_grad)
            self._mask_padding(layer)

    def _scalar_hidden_backward_update(
        self,
        inputs: torch.Tensor,
        activations: list[torch.Tensor],
        gradients: list[torch.Tensor],
        model_scale: torch.Tensor | None,
    ) -> None:
        """backward_update for F -> 1 (relu or none) -> 1 (a shared or per-model input), in three passes.

        With one hidden unit a = act(w0 . x) (bias folded into w0) and d the output gradient, the hidden
        gradient is d * w1 masked where a > 0, so with G1 = sum_n mask_n d_n x_n (one product over the
        rows): dW0 = w1 * G1, and since a_n = mask_n (w0 . x_n), dw1 = sum_n d_n a_n = w0 . G1. The big
        tensors are read only by the mask, the bias sum and that product.
        """
        n_models, n_rows = self.n_models, inputs.shape[-1]
        first_weight, weight = self.weights
        bias = self.biases[1]
        gradient = gradients[1]
        bias_grad = self._bias_grads[1]
        torch.sum(gradient, dim=-1, keepdim=True, out=bias_grad)
        masked = gradient  # relu: in place, the unmasked gradient is not needed any more
        ACTIVATIONS[self.activations[0]].backward_(masked, activations[0])
        n_in = inputs.shape[-2]
        rows_t = inputs.t().expand(n_models, n_rows, n_in) if inputs.dim() == 2 else inputs.transpose(1, 2)
        summed_by_model = self._scratch_like((n_models, 1, n_in))  # G1 [G, 1, F+1], one product per model
        torch.bmm(masked, rows_t, out=summed_by_model)
        weight_grad = torch.linalg.vecdot(first_weight, summed_by_model).unsqueeze(-1)  # [G, 1, 1]
        first_grad = summed_by_model * weight
        if model_scale is not None:
            weight_grad.mul_(model_scale)
            bias_grad.mul_(model_scale)
            first_grad.mul_(model_scale)
        weight.sub_(weight_grad)
        bias.sub_(bias_grad)
        first_weight.sub_(first_grad)


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
