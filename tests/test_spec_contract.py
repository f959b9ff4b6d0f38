"""The specification is the contract: every experiment has exactly the spec's parameters (with the spec's
defaults where they are plain values) and returns every metric the spec names, with a reps axis where the
spec's shape starts with ``reps``. Parsed from the specification in the repository: docs/spec/experiments.md
and docs/spec/math-section.md (the remaining math lectures, same table format); a missing file fails, it does not
skip. Every reference to docs/ in the code, the tests and the docs names a file and a section that exist."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import dudl
from dudl import registry
from dudl.params import is_shorthand, parse_shorthand

SPEC_DIR = Path(__file__).resolve().parents[1] / "docs" / "spec"
SPECS = (SPEC_DIR / "experiments.md", SPEC_DIR / "math-section.md")


def spec_tables() -> dict[str, dict[str, list[tuple[list[str], str]]]]:
    """id -> {"parameter": [(names, default/shape cell)], "metric": [...]} from the spec's tables."""
    tables: dict[str, dict[str, list[tuple[list[str], str]]]] = {}
    current, kind = None, None
    lines = [line for spec in SPECS for line in spec.read_text().splitlines()]  # a missing file fails here
    for line in lines:
        heading = re.match(r"^### ([a-z]+\.[a-z0-9-]+)$", line)
        if heading:
            current, kind = heading.group(1), None
            tables[current] = {"parameter": [], "metric": []}
            continue
        header = re.match(r"^\| (parameter|metric) \|", line)
        if current and header:
            kind = header.group(1)
            titles = [cell.strip() for cell in line.strip("|").split("|")]
            column = titles.index("default" if kind == "parameter" else "shape")  # math-section adds a type column
            continue
        if current and kind and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if set(cells[0]) <= {"-"}:
                continue
            tables[current][kind].append((re.findall(r"`([a-z_0-9]+)`", cells[0]), cells[column]))
        elif not line.startswith("|"):
            kind = None
    return tables


TABLES = spec_tables()


def test_every_spec_experiment_is_registered() -> None:
    assert sorted(TABLES) == sorted(dudl.experiments())


@pytest.mark.parametrize("experiment_id", dudl.experiments())
def test_parameters_and_plain_defaults_match_the_spec(experiment_id: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(registry.entry(experiment_id).load().Params)}
    spec_names = [name for names, _ in TABLES[experiment_id]["parameter"] for name in names]
    assert list(fields) == spec_names
    skipped = set()
    for names, default in TABLES[experiment_id]["parameter"]:
        values = [v.strip().strip("`") for v in re.findall(r"`[^`]*`|[^,]+", default)] if len(names) > 1 \
            else [default.strip("`")]
        if len(values) != len(names):
            skipped.update(names)  # e.g. a list default written with commas for one name
            continue
        for name, text in zip(names, values, strict=True):
            expected = parse_spec_default(text)
            if expected is PROSE:
                skipped.add(name)
            else:
                assert same(fields[name].default, expected), (name, fields[name].default, expected)
    # every default the parser cannot read is known, and checked here by hand against the spec's prose
    known = {name: value for (eid, name), value in UNPARSED_DEFAULTS.items() if eid == experiment_id}
    assert skipped == set(known)
    for name, value in known.items():
        assert type(fields[name].default) is type(value) and fields[name].default == value, (name, value)


# The spec defaults written as prose, not as a value: (experiment, parameter) -> the value the prose means.
UNPARSED_DEFAULTS: dict[tuple[str, str], object] = {
    ("gd.parametric", "x_min"): -2 * math.pi,  # "−2π, 2π (floats, `np.pi`), 401"
    ("gd.parametric", "x_max"): 2 * math.pi,
    ("gd.parametric", "n_grid"): 401,
}


def same(actual: object, expected: object) -> bool:
    """Equal, with numbers compared to float rounding and tuples against lists."""
    if isinstance(expected, list | tuple):
        return isinstance(actual, list | tuple) and len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return isinstance(actual, int | float) and not isinstance(actual, bool) and np.isclose(actual, expected)
    return actual == expected


PROSE = object()


def parse_spec_default(text: str) -> object:
    """A spec default as a value, or PROSE where it is not one (e.g. '−2π (floats, np.pi)')."""
    if is_shorthand(text):
        return parse_shorthand(text)
    try:
        return json.loads(re.sub(r"(?<![\d.])\.(\d)", r"0.\1", text))  # the spec writes 0.8 as .8
    except ValueError:
        return PROSE


def cheap_overrides(experiment_id: str) -> dict[str, object]:
    names = {f.name for f in dataclasses.fields(registry.entry(experiment_id).load().Params)}
    overrides: dict[str, object] = {name: 5 for name in ("epochs", "meta_epochs", "demo_epochs") if name in names}
    if "reps" in names:
        overrides["reps"] = 2
    if experiment_id == "ann.breadth-vs-depth":
        overrides["n_units"] = [4, 7]
    return overrides


@pytest.mark.parametrize("experiment_id", dudl.experiments())
def test_every_spec_metric_is_returned_with_its_reps_axis(experiment_id: str) -> None:
    result = dudl.run(experiment_id, **cheap_overrides(experiment_id))
    for names, shape in TABLES[experiment_id]["metric"]:
        for name in names:
            assert name in result.metrics, f"{experiment_id} lacks metric {name!r}"
            value = result.metrics[name]
            if shape.startswith("[reps") and value is not None:
                assert len(value) == 2, f"{experiment_id}.{name} has no reps axis of 2"


# ---------------------------------------------------------------------------------------------------------
# References to the docs: code, tests and docs cite sections of docs/ (e.g. docs/spec/experiments.md#qwerties)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def citing_files() -> list[Path]:
    """The files that may cite the docs: the package, the tests, the benchmarks, the notebooks' builder, the
    README, the Makefile and the docs themselves."""
    return [*sorted((ROOT / "src").rglob("*.py")), *sorted((ROOT / "tests").rglob("*.py")),
            *sorted((ROOT / "benchmarks").glob("*.py")), ROOT / "notebooks" / "build.py", ROOT / "README.md",
            ROOT / "Makefile", *sorted(DOCS.rglob("*.md"))]


def anchors(markdown: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown``: lower case, punctuation dropped, spaces as hyphens,
    a repeated one numbered (``-1``, ``-2``)."""
    seen: dict[str, int] = {}
    found = set()
    for line in markdown.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#{1,6} (.+?)\s*$", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
            seen[slug] = seen.get(slug, -1) + 1
            found.add(slug if seen[slug] == 0 else f"{slug}-{seen[slug]}")
    return found


def references() -> list[tuple[Path, Path, str]]:
    """(citing file, cited file, anchor or "") for every docs/... path in code and text, and every relative link
    of the docs' markdown."""
    found = []
    for path in citing_files():
        text = path.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\bdocs/([\w./-]+\.md)(?:#([\w-]+))?", text):
            found.append((path, DOCS / target, anchor))
        if path.suffix == ".md" and path.is_relative_to(DOCS):
            for target, anchor in re.findall(r"\]\(((?:[\w./-]+\.md)?)(?:#([\w-]+))?\)", text):
                if target or anchor:  # a link to a markdown file, a section of one, or a section of this one
                    found.append((path, (path.parent / target) if target else path, anchor))
    return found


def test_every_reference_to_the_docs_names_a_file_and_section_that_exist() -> None:
    refs = references()
    assert len(refs) > 30  # the reader finds them: code, tests and the docs' own links
    for citing, cited, anchor in refs:
        where = citing.relative_to(ROOT)
        assert cited.is_file(), f"{where} cites {cited.relative_to(ROOT)}, which does not exist"
        assert not anchor or anchor in anchors(cited), f"{where} cites #{anchor}, no section of {cited.name}"


def test_nothing_points_outside_the_repository_for_its_docs() -> None:
    outside = re.compile(r"\.\./" + "shared" + r"|/work/" + "shared" + r"|\bDESIGN\.md")
    for path in citing_files():
        assert not outside.search(path.read_text(encoding="utf-8")), f"{path.relative_to(ROOT)} cites a file " \
            "outside the repository; the docs are under docs/"
