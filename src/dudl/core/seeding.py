"""The seeding scheme (docs/spec/experiments.md#randomness), in one place.

Every random draw of every experiment comes from a generator keyed by
``numpy.random.SeedSequence([seed, stream, *index])``:

* stream 0 (``DATA``), index ``(rep,)``: the data of repetition ``rep``;
* stream 1 (``MODEL``), index ``(rep, *cell)``: everything that belongs to one trained model;
* stream 2 (``DEMO``): the ``demo_`` runs (index ``(0,)``) and other non-repeated runs.

Torch draws use a ``torch.Generator`` seeded from the key, numpy uses ``default_rng(key)`` and
scikit-learn gets ``random_state`` = an int drawn from the key. torch is imported lazily so that
the numpy-only experiments and the CLI start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

DATA = 0
MODEL = 1
DEMO = 2


def key(seed: int, stream: int, *index: int) -> np.random.SeedSequence:
    """The key of one draw: ``SeedSequence([seed, stream, *index])``."""
    return np.random.SeedSequence([int(seed), int(stream), *(int(i) for i in index)])


def numpy_rng(seq: np.random.SeedSequence) -> np.random.Generator:
    """A numpy generator for ``seq`` (``numpy.random.default_rng(seq)``)."""
    return np.random.default_rng(seq)


def torch_seed(seq: np.random.SeedSequence) -> int:
    """The 64-bit integer that seeds torch's generator for ``seq``."""
    return int(seq.generate_state(1, np.uint64)[0])


def torch_generator(seq: np.random.SeedSequence) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from ``seq`` (weights are drawn on the CPU, then moved)."""
    import torch

    generator = torch.Generator()
    generator.manual_seed(torch_seed(seq))
    return generator


def sklearn_state(seq: np.random.SeedSequence) -> int:
    """The ``random_state`` int that scikit-learn gets for ``seq`` (in [0, 2**32)).

    It is the key's second 32-bit word, not its first: torch seeds its MT19937 with the low 32 bits of
    :func:`torch_seed` (= the first word), and ``RandomState(int)`` seeds the same MT19937 the same way, so
    the first word would make a model's split and its initial weights one random stream.
    """
    return int(seq.generate_state(2, np.uint32)[1])
