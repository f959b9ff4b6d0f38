"""dudl.core.seeding: the keys are the spec's SeedSequence([seed, stream, *index]), their derived seeds are stable
(exact known values: a change here changes every experiment's numbers), and different keys give different
streams."""

from __future__ import annotations

import numpy as np
import torch

from dudl.core import seeding

# key -> (its first four 32-bit state words, torch_seed, sklearn_state, numpy's first two standard normals,
# torch's first two standard normals as float32)
KNOWN = {
    (0, seeding.DATA, 0): ([2968811710, 3677149159, 745650761, 2884920346], 15793235383387715774, 3677149159,
                           None, None),
    (0, seeding.MODEL, 0): (None, 5836529245451711556, 1358922860, [0.10296768001436127, -0.9805271710302613],
                            [0.8435521125793457, 1.344171166419983]),
    (0, seeding.MODEL, 0, 1, 2): (None, 14536903049579915653, 3384636493, [-1.8629776146739665, 0.3328093817161434],
                                  [-0.03585022687911987, -0.9399116039276123]),
    (7, seeding.DEMO, 0): (None, 18279110831140952437, 4255937140, [0.17511970440671426, -0.5107079816850526],
                           [-1.1257524490356445, -0.4656835198402405]),
}


def test_streams_and_the_key_is_the_spec_s_seed_sequence() -> None:
    assert (seeding.DATA, seeding.MODEL, seeding.DEMO) == (0, 1, 2)
    key = seeding.key(3, seeding.MODEL, 2, 5)
    assert isinstance(key, np.random.SeedSequence) and key.entropy == [3, 1, 2, 5]
    assert seeding.key(np.int64(3), np.int32(1), np.uint8(2), 5.0).entropy == [3, 1, 2, 5]  # any integer type
    assert type(seeding.key(np.int64(3), 1).entropy[0]) is int
    assert key.generate_state(4).tolist() == np.random.SeedSequence([3, 1, 2, 5]).generate_state(4).tolist()


def test_derived_seeds_and_first_draws_are_stable() -> None:
    for index, (words, torch_seed, sklearn_state, numpy_draws, torch_draws) in KNOWN.items():
        key = seeding.key(*index)
        if words is not None:
            assert key.generate_state(4, np.uint32).tolist() == words
        assert seeding.torch_seed(key) == torch_seed and seeding.sklearn_state(key) == sklearn_state, index
        if numpy_draws is not None:
            assert seeding.numpy_rng(key).standard_normal(2).tolist() == numpy_draws
            assert torch.randn(2, generator=seeding.torch_generator(key)).tolist() == torch_draws


def test_torch_seed_and_sklearn_state_ranges_and_words() -> None:
    """torch_seed is the key's first 64-bit word (all of [0, 2**64): half of them at or above 2**63);
    sklearn_state is its second 32-bit word, in [0, 2**32): not the first, which seeds torch's MT19937."""
    keys = [seeding.key(seed, stream, rep) for seed in range(50) for stream in range(3) for rep in range(10)]
    torch_seeds = np.array([seeding.torch_seed(k) for k in keys], dtype=np.uint64)
    states = np.array([seeding.sklearn_state(k) for k in keys], dtype=np.int64)
    assert all(type(seeding.torch_seed(k)) is int and type(seeding.sklearn_state(k)) is int for k in keys[:5])
    assert abs((torch_seeds >= np.uint64(2**63)).mean() - 0.5) < 4 * 0.5 / np.sqrt(len(keys))
    assert states.min() >= 0 and states.max() < 2**32
    assert abs(states.mean() / 2**32 - 0.5) < 4 * 0.29 / np.sqrt(len(keys))  # uniform: sd 1/sqrt(12)
    for k in keys[:20]:
        low, high = k.generate_state(2, np.uint32).tolist()
        assert seeding.torch_seed(k) == low + (high << 32)  # little-endian: the low half is the first word
        assert seeding.sklearn_state(k) == high and seeding.torch_seed(k) & 0xFFFFFFFF != seeding.sklearn_state(k)
    generator = seeding.torch_generator(keys[0])
    assert generator.device == torch.device("cpu") and generator.initial_seed() == seeding.torch_seed(keys[0])


def test_every_seed_stream_and_index_gives_its_own_stream() -> None:
    keys = [seeding.key(seed, stream, rep, cell) for seed in range(20) for stream in range(3) for rep in range(5)
            for cell in range(1, 4)]
    assert len({seeding.torch_seed(k) for k in keys}) == len(keys)
    assert len({seeding.sklearn_state(k) for k in keys}) == len(keys)
    first_draws = np.array([seeding.numpy_rng(k).standard_normal() for k in keys])
    assert len(np.unique(first_draws)) == len(keys)
    # the streams are independent: neighbouring keys' draws do not correlate
    draws = np.array([seeding.numpy_rng(seeding.key(0, seeding.MODEL, rep)).standard_normal(2000) for rep in range(2)])
    assert abs(np.corrcoef(draws)[0, 1]) < 4 / np.sqrt(2000)
    assert abs(draws.mean()) < 4 / np.sqrt(draws.size) and abs(draws.std() - 1) < 4 / np.sqrt(2 * draws.size)


def test_a_trailing_zero_index_within_four_words_is_the_same_key() -> None:
    """SeedSequence pads its entropy with zeros to its four-word pool: key(s, MODEL, r) is key(s, MODEL, r, 0)
    (ann.seq-vs-class's unpaired "sequential" variant 0 is the paired model because of it); a fifth word
    counts, zero or not."""
    def state(*index: int) -> list[int]:
        return seeding.key(*index).generate_state(2).tolist()

    assert state(0, seeding.MODEL) == state(0, seeding.MODEL, 0) == state(0, seeding.MODEL, 0, 0)
    assert state(4, seeding.MODEL, 2) == state(4, seeding.MODEL, 2, 0)
    assert state(4, seeding.MODEL, 2, 0) != state(4, seeding.MODEL, 2, 0, 0)
    assert state(4, seeding.MODEL, 2, 0) != state(4, seeding.MODEL, 0, 2)
