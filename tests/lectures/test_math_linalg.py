"""math.transpose, math.dot-product and math.matrix-multiplication: the course's printed lines exactly, numpy and
PyTorch side by side (docs/spec/math-section.md), the double-bracket quirk both ways, the products' shapes, dtypes and
errors, the random matrices over many seeds, bad input through the CLI (through the API: test_every_experiment.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import dudl
from dudl.lectures.math import dot_product, transpose

TYPES = ["<class 'numpy.ndarray'>"] * 2 + ["<class 'torch.Tensor'>"] * 2


def quiet_run(experiment_id: str, **overrides: object) -> dudl.Result:
    """``dudl.run`` with every warning an error: no warning may reach stderr in a normal run."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return dudl.run(experiment_id, **overrides)


# -- math.transpose ---------------------------------------------------------------------------------------


def test_transpose_prints_the_course_output_and_its_metrics(draw, spec_output) -> None:
    result = quiet_run("math.transpose")
    assert result.printed() == spec_output("math.transpose")[0] == transpose.COURSE_OUTPUT.splitlines()
    m = result.metrics
    assert m["vector_shape"].tolist() == [1, 4] and m["vector_transpose_shape"].tolist() == [4, 1]
    assert m["matrix_shape"].tolist() == [2, 4] and m["matrix_transpose_shape"].tolist() == [4, 2]
    assert m["vector_transpose"].dtype == np.int64 and m["vector_transpose"].tolist() == [[1], [2], [3], [4]]
    assert m["matrix_transpose"].tolist() == [[1, 5], [2, 6], [3, 7], [4, 8]]
    assert m["double_transpose_equal"] is True and m["torch_matches_numpy"] is True
    assert m["types"] == TYPES
    assert "seed" not in result.params and "reps" not in result.params
    loaded = draw(result, set())  # no figures; the printed lines come from the JSON round trip alone
    assert loaded.printed() == result.printed() and loaded.metrics["vector_transpose"].dtype.kind == "i"


def test_transpose_of_a_1d_vector_changes_nothing_and_never_warns() -> None:
    result = quiet_run("math.transpose", vector=[1, 2, 3, 4])  # the quirk's other side: no double brackets
    m = result.metrics
    assert m["vector_shape"].tolist() == m["vector_transpose_shape"].tolist() == [4]
    assert m["vector_transpose"].tolist() == [1, 2, 3, 4]
    assert m["double_transpose_equal"] and m["torch_matches_numpy"]
    lines = result.printed()
    assert lines[:5] == ["[1 2 3 4]", " ", "[1 2 3 4]", " ", "[1 2 3 4]"]
    assert lines[15:20] == ["tensor([1, 2, 3, 4])", " ", "tensor([1, 2, 3, 4])", " ", "tensor([1, 2, 3, 4])"]


def test_transpose_keeps_numpy_and_torch_dtypes_m2() -> None:
    result = quiet_run("math.transpose", vector=[[1.0, 2.0]], matrix=[[0.1, 2], [3, 4]])
    m = result.metrics
    assert m["vector_transpose"].dtype == np.float64 and m["vector_transpose"].tolist() == [[1.0], [2.0]]
    assert m["matrix_transpose"].tolist() == [[0.1, 3.0], [2.0, 4.0]]
    assert m["torch_matches_numpy"]  # float32 against float64: within numpy.allclose
    lines = result.printed()
    assert lines[:6] == ["[[1. 2.]]", " ", "[[1.]", " [2.]]", " ", "[[1. 2.]]"]  # 2.0 stays a float
    assert "tensor([[1., 2.]])" in lines and "tensor([[0.1000, 3.0000]," in lines


# -- math.dot-product -------------------------------------------------------------------------------------


def test_dot_product_prints_the_course_output_with_int_results(reloaded, spec_output) -> None:
    result = quiet_run("math.dot-product")
    assert result.printed() == spec_output("math.dot-product")[0] == dot_product.COURSE_OUTPUT.splitlines()
    assert result.printed() == ["-2", "-2", "tensor(-2)", "tensor(-2)"]
    m = result.metrics
    assert [m[name] for name in dot_product.RESULTS] == [-2, -2, -2, -2]
    assert all(type(m[name]) is int for name in dot_product.RESULTS) and m["all_equal"] is True
    assert reloaded(result).printed() == result.printed()


@pytest.mark.parametrize(
    ("v1", "v2", "numpy_value", "torch_value", "lines"),
    [
        ([1.0, 2.0, 3.0, 4.0], [0, 1, 0, -1], -2.0, -2.0, ["-2.0", "-2.0", "tensor(-2.)", "tensor(-2.)"]),
        ([0.1, 0.2, 0.3], [1, 1, 1], 0.1 + 0.2 + 0.3, float(np.float32(0.6)),
         ["0.6000000000000001", "0.6000000000000001", "tensor(0.6000)", "tensor(0.6000)"]),
    ],
)
def test_dot_product_of_floats_is_float64_in_numpy_and_float32_in_torch(
        v1: list, v2: list, numpy_value: float, torch_value: float, lines: list[str], reloaded) -> None:
    result = quiet_run("math.dot-product", v1=v1, v2=v2)
    m = result.metrics
    assert m["numpy_dot"] == m["numpy_sum_of_products"] == numpy_value and type(m["numpy_dot"]) is float
    assert m["torch_dot"] == m["torch_sum_of_products"] == torch_value and m["all_equal"] is True
    assert result.printed() == reloaded(result).printed() == lines


def test_dot_products_that_disagree_beyond_float32_rounding_are_not_all_equal() -> None:
    m = quiet_run("math.dot-product", v1=[1e8, 1, -1e8], v2=[1, 1, 1]).metrics
    assert m["numpy_dot"] == m["numpy_sum_of_products"] == 1.0
    assert m["torch_dot"] == m["torch_sum_of_products"] == 0.0  # 1e8 + 1 is 1e8 in float32
    assert m["all_equal"] is False


# -- math.matrix-multiplication ---------------------------------------------------------------------------


def test_matrix_products_at_the_course_sizes(reloaded) -> None:
    result = quiet_run("math.matrix-multiplication")
    m = result.metrics
    a, b, c, c1 = m["a"][0], m["b"][0], m["c"][0], m["c1"][0]
    assert (a.shape, b.shape, c.shape, c1.shape) == ((3, 4), (4, 5), (3, 7), (4, 7))
    assert m["numpy_products"] == ["A@B", "A@C", "B@C", "C.T@A"]
    assert m["numpy_product_shapes"] == [[3, 5], None, None, [7, 4]]
    assert m["torch_products"] == ["A@B", "A@B.T", "A@C1", "A@C2"]
    assert m["torch_product_shapes"] == [[3, 5], None, [3, 7], [3, 7]]
    assert m["torch_product_dtypes"] == ["torch.float32", None, "torch.float64", "torch.float32"]
    np.testing.assert_array_equal(m["ab"][0], a @ b)
    np.testing.assert_array_equal(m["ct_a"][0], c.T @ a)
    torch_a = torch.tensor(m["torch_a"][0], dtype=torch.float32)  # exact: float32 values widened
    np.testing.assert_allclose(m["a_c1"][0], m["torch_a"][0] @ c1, rtol=1e-12)
    np.testing.assert_array_equal(m["a_c2"][0], (torch_a @ torch.tensor(c1, dtype=torch.float32)).double().numpy())
    assert 0 < m["mixed_max_abs_diff"][0] < 1e-5
    errors = m["product_errors"]
    assert [e is None for e in errors] == [True, False, False, True, True, False, True, True]
    assert "mismatch in its core dimension" in errors[1] and "cannot be multiplied (3x4 and 5x4)" in errors[5]

    lines = result.printed()
    assert lines == reloaded(result).printed()
    assert lines[:3] == str(np.round(a @ b, 2)).splitlines() and lines[3] == " "
    assert lines[4:11] == str(np.round(c.T @ a, 2)).splitlines()
    a_c1, a_c2 = m["a_c1"][0], m["a_c2"][0].astype(np.float32)  # float32 values, exactly
    assert lines[11:15] == str(torch.tensor(np.round(a_c1, 2))).splitlines()
    assert lines[14] == "       dtype=torch.float64)" and lines[15] == " "
    assert lines[16:] == str(torch.tensor(np.round(a_c2, 2))).splitlines() and len(lines) == 19


def test_undefined_products_are_recorded_and_printed_as_undefined() -> None:
    result = quiet_run("math.matrix-multiplication", shape_a=[3, 5], reps=2)
    m = result.metrics
    assert m["numpy_product_shapes"] == [None, None, None, [7, 5]]
    assert m["torch_product_shapes"] == [None, [3, 4], None, None]
    assert m["torch_product_dtypes"] == [None, "torch.float32", None, None]
    assert m["ab"] is None and m["a_c1"] is None and m["a_c2"] is None and m["mixed_max_abs_diff"] is None
    assert m["ct_a"].shape == (2, 7, 5)
    assert [e is None for e in m["product_errors"]] == [False, False, False, True, False, True, False, False]
    lines = result.printed()
    assert lines[0] == "A@B: undefined for shapes (3, 5) and (4, 5)" and lines[1] == " "
    assert lines[-3:] == ["A@C1: undefined for shapes (3, 5) and (4, 7)", " ",
                          "A@C2: undefined for shapes (3, 5) and (4, 7)"]


def test_matrix_draws_are_seeded_and_repetition_r_does_not_depend_on_reps() -> None:
    one = quiet_run("math.matrix-multiplication", seed=4)
    three = quiet_run("math.matrix-multiplication", seed=4, reps=3)
    other = quiet_run("math.matrix-multiplication", seed=5)
    for name in ("a", "b", "c", "c1", "torch_a", "torch_b", "ab", "a_c2"):
        np.testing.assert_array_equal(three.metrics[name][:1], one.metrics[name])
        assert not np.array_equal(other.metrics[name], one.metrics[name])
        assert not np.array_equal(three.metrics[name][1], three.metrics[name][2])
    lines = three.printed()
    assert lines[:-1] == one.printed()
    assert lines[-1] == ("Largest max abs(A@C1 - A@C2) over 3 repetitions: "
                         f"{three.metrics['mixed_max_abs_diff'].max():.3g}")


@pytest.mark.slow
def test_matrix_entries_over_many_seeds() -> None:
    """A and B standard normal, independent of PyTorch's draws; each entry of A@B has sd 2 (4 products), of
    C.T@A sd √3 (3 products); the mixed products differ by float32 rounding only."""
    m = quiet_run("math.matrix-multiplication", reps=1500).metrics
    for name in ("a", "b", "c", "c1", "torch_a", "torch_b"):
        values = m[name].ravel()
        assert abs(values.mean()) < 0.03 and abs(values.std() - 1) < 0.03, name
    assert abs(np.corrcoef(m["a"].ravel(), m["torch_a"].ravel())[0, 1]) < 0.03
    assert abs(m["ab"].std() - 2) < 0.06 and abs(m["ct_a"].std() - np.sqrt(3)) < 0.05
    assert np.all(m["mixed_max_abs_diff"] > 0) and m["mixed_max_abs_diff"].max() < 1e-5


# -- bad input --------------------------------------------------------------------------------------------


def test_cli_bad_input_is_one_line_exit_2_and_no_files(cli, tmp_path: Path) -> None:
    proc = cli("run", "math.transpose", "--param", "matrix=[[1,2],[3]]")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "dudl: error: parameter 'matrix' must have rows of equal length, got row lengths [2, 1]\n"
    assert not any(tmp_path.iterdir())


def test_cli_run_prints_the_course_lines_and_saves_the_api_result(cli, tmp_path: Path) -> None:
    proc = cli("run", "math.matrix-multiplication", "--reps", "2", "--seed", "3", "--no-figures")
    assert proc.returncode == 0 and proc.stderr == ""
    result = dudl.run("math.matrix-multiplication", reps=2, seed=3)
    assert proc.stdout.startswith("\n".join(result.printed()) + "\n")
    saved = dudl.Result.load(tmp_path / "runs" / "math.matrix-multiplication")
    assert saved.params == result.params
    for name, value in result.metrics.items():
        expected = value.tolist() if isinstance(value, np.ndarray) else value
        actual = saved.metrics[name]
        assert (actual.tolist() if isinstance(actual, np.ndarray) else actual) == expected, name
