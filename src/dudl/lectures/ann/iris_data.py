"""The iris data as the course prints it (``print(iris.head())``), shared by ann.iris and ann.hidden-units."""

from __future__ import annotations

from dudl.core import data as datasets

IRIS_HEAD_OUTPUT = """\
   sepal_length  sepal_width  petal_length  petal_width species
0           5.1          3.5           1.4          0.2  setosa
1           4.9          3.0           1.4          0.2  setosa
2           4.7          3.2           1.3          0.2  setosa
3           4.6          3.1           1.5          0.2  setosa
4           5.0          3.6           1.4          0.2  setosa
"""  # the course's print(iris.head())


def iris_head_lines() -> list[str]:
    """The course's ``print(iris.head())`` (seaborn's column names), from scikit-learn's copy."""
    features, labels = datasets.iris()
    widths = [len(name) + 2 for name in datasets.IRIS_FEATURES]
    lines = ["   " + "  ".join(datasets.IRIS_FEATURES) + " species"]
    for row in range(5):
        values = "".join(f"{value:>{width}.1f}" for value, width in zip(features[row], widths, strict=True))
        lines.append(f"{row}{values}  {datasets.IRIS_SPECIES[labels[row]]}")
    return lines
