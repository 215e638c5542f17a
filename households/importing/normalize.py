"""The roster's own cell normaliser: the 患病情况 cell against the disease catalogue.

The shared normalisers (text, dates, years, yes/no, phone, choices) are in
:mod:`healthaid.importing.normalize`.
"""

from __future__ import annotations

from typing import Any

from healthaid.importing.normalize import to_text
from households.catalogue import NO_DISEASE_WORDS, DiseaseSpec, match_disease, split_diseases

__all__ = ["to_diseases"]


def to_diseases(value: Any) -> tuple[list[DiseaseSpec], list[str]]:
    """Split a 患病情况 cell into (recognised catalogue entries, unrecognised texts).

    健康/无/blank mean no disease.  Duplicates ("高血压、高血压病") are dropped, first spelling
    wins, order is kept, so the importer can report unknown texts without failing the row.
    """
    text = to_text(value)
    if text in NO_DISEASE_WORDS:
        return [], []
    matched: list[DiseaseSpec] = []
    unknown: list[str] = []
    seen_codes: set[str] = set()
    for part in split_diseases(text):
        if part in NO_DISEASE_WORDS:
            continue
        spec = match_disease(part)
        if spec is None:
            if part not in unknown:
                unknown.append(part)
        elif spec.code not in seen_codes:
            seen_codes.add(spec.code)
            matched.append(spec)
    return matched, unknown
