"""README.md's experiment table against the catalog: the same ids in the same order, each with the catalog's
course lecture and purpose and its lecture's file, so that a purpose is written once (in src/dudl/catalog.py)
and the README cannot drift from it."""

from __future__ import annotations

from pathlib import Path

from dudl.catalog import CATALOG, Entry

ROOT = Path(__file__).resolve().parents[1]
LECTURES = ROOT / "src" / "dudl" / "lectures"
HEADER = "| id | file in `src/dudl/lectures/` | course notebook / lecture | what it shows |"


def table_rows() -> list[list[str]]:
    """The cells of every row of README.md's experiment table (the rows after HEADER and its rule)."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert HEADER in lines, f"README.md has no experiment table: add one under '## Experiments' headed {HEADER!r}"
    rows = []
    for line in lines[lines.index(HEADER) + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def expected_row(entry: Entry) -> list[str]:
    """The table row the catalog entry calls for."""
    return [f"`{entry.id}`", f"`{entry.module.replace('.', '/')}.py`", entry.lecture, entry.purpose]


def test_the_table_lists_the_catalog_ids_in_order() -> None:
    ids = [row[0].strip("`") for row in table_rows()]
    expected = [entry.id for entry in CATALOG]
    assert ids == expected, (
        "README.md's experiment table must list exactly the ids of src/dudl/catalog.py's CATALOG, in its order; "
        f"missing: {sorted(set(expected) - set(ids))}, not in the catalog: {sorted(set(ids) - set(expected))}, "
        f"README order: {ids}")


def test_each_row_has_the_catalog_lecture_purpose_and_file() -> None:
    rows = {row[0].strip("`"): row for row in table_rows()}
    for entry in CATALOG:
        expected = expected_row(entry)
        assert rows.get(entry.id) == expected, (
            f"README.md's row for {entry.id} must be `| {' | '.join(expected)} |` (the lecture and purpose as in "
            f"src/dudl/catalog.py, the file of its module {entry.module!r}); it is {rows.get(entry.id)}")


def test_each_file_exists() -> None:
    for row in table_rows():
        path = LECTURES / row[1].strip("`")
        assert path.is_file(), f"README.md's experiment table names {row[1]} for {row[0]}, but {path} does not exist"
