"""The two definitions of the qwerty model compared by ann.seq-vs-class and ann.seq2class (``nn.Sequential`` and
an ``nn.Module`` class): their names, the key suffix of an unpaired definition, and the one the course shows."""

from __future__ import annotations

from typing import Any, Literal

Definition = Literal["sequential", "class"]
DEFINITIONS: tuple[Definition, ...] = ("sequential", "class")


def variant_index(paired: bool, definition: str) -> int | None:
    """None (the paired keys) unless unpaired and not the Sequential: then the definition's index in
    DEFINITIONS, appended to its keys so its initial weights are its own (the data stay the repetition's)."""
    return None if paired or definition == "sequential" else DEFINITIONS.index(definition)


def shown_definition(definitions: Any) -> int:
    """Index of the definition the course's notebook trains and prints: the class (else the first)."""
    definitions = list(definitions)
    return definitions.index("class") if "class" in definitions else 0
