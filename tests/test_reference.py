"""The scenario reference (docs/scenario-reference.md) is generated from the schema and kept current."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from channelsim import curves
from channelsim._types import Count, Id, Model, NonNeg, Positive, Share
from channelsim.scenario import channels, crm, demand, planning, reference_doc, schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario-reference.md"
SCHEMA_MODULES = (schema, demand, channels, crm, planning, curves)


def _section_texts(text: str) -> dict[str, str]:
    """Each `## heading` of the document with the text under it."""
    parts = text.split("\n## ")[1:]
    return {part.partition("\n")[0]: part for part in parts}


def test_committed_reference_matches_the_schema() -> None:
    assert DOC.is_file(), "run: python -m channelsim.scenario.reference_doc"
    assert DOC.read_text("utf-8") == reference_doc.render(), (
        "run: python -m channelsim.scenario.reference_doc"
    )


def test_every_schema_model_has_a_section() -> None:
    defined = {
        cls
        for module in SCHEMA_MODULES
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Model) and cls is not Model and cls.__module__ == module.__name__
    }
    assert defined <= {section.model for section in reference_doc.sections()}


def test_every_field_of_every_model_has_a_row_with_a_meaning() -> None:
    texts = _section_texts(reference_doc.render())
    for section in reference_doc.sections():
        text = texts[reference_doc.section_title(section)]
        for name, info in section.model.model_fields.items():
            rows = [row for row in text.splitlines() if row.startswith(f"| `{info.alias or name}` |")]
            assert len(rows) == 1, f"{section.model.__name__}.{name} has no row"
            cells = [cell.strip() for cell in rows[0].strip("|").split(" | ")]
            assert len(cells) == 4 and all(cells), f"{section.model.__name__}.{name}: {rows[0]}"


def test_sections_follow_the_file_and_list_every_place_a_model_is_used() -> None:
    paths = {section.model.__name__: section.paths for section in reference_doc.sections()}
    assert paths["Scenario"] == [""]
    assert paths["Segment"] == ["segments[]"]
    assert paths["Fulfilment"] == ["channels[].fulfilment", "partners[].fulfilment"]
    assert paths["HillCurve"] == ["sources[].response", "winback.response"]
    assert paths["Tier"] == ["incentives[].tiers[]"]
    assert paths["Variant"] == ["variants.<id>"]


class _Sample(Model):
    """A model with one field of each kind the schema uses."""

    share: Share = 0.0  # a share
    rate: NonNeg = 0.0
    size: Positive | None = None  # a size; default: from elsewhere
    count: Count = 0
    weeks: Annotated[int, Field(ge=1, le=520)] = 1
    name: Id
    ids: Annotated[list[Id], Field(min_length=1)] = ["all"]
    mix: dict[Id, Share] = {}
    carry: Annotated[float, Field(ge=0, lt=1)] = 0.5


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("share", "share 0..1"),
        ("rate", "number 0..10⁹"),
        ("size", "number > 0 and ≤ 10⁹"),
        ("count", "whole number 0..10⁹"),
        ("weeks", "whole number 1..520"),
        ("name", "id"),
        ("ids", "non-empty list of ids"),
        ("mix", "mapping id → share 0..1"),
        ("carry", "number ≥ 0 and < 1"),
    ],
)
def test_types_read_as_words(name: str, words: str) -> None:
    assert reference_doc.field_type_words(_Sample, name, {}) == words


def test_defaults_and_meanings_come_from_the_field_and_its_comment() -> None:
    comments = reference_doc.field_comments(_Sample)
    assert reference_doc.meaning_and_note(comments["share"]) == ("a share", "")
    assert reference_doc.meaning_and_note(comments["size"]) == ("a size", "from elsewhere")
    assert reference_doc.meaning_and_note(comments["rate"]) == ("", "")
    fields = _Sample.model_fields
    assert reference_doc.default_words(fields["name"]) == "required"
    assert reference_doc.default_words(fields["ids"]) == "`[all]`"
    assert reference_doc.default_words(fields["carry"]) == "`0.5`"
    assert reference_doc.default_words(fields["size"], "from elsewhere") == "from elsewhere"


def test_check_fails_on_a_stale_file_and_passes_once_written(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "reference.md"
    assert reference_doc.main(["--check", "--output", str(target)]) == 1
    assert reference_doc.main(["--output", str(target)]) == 0
    assert reference_doc.main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text("utf-8") + "edited\n", "utf-8")
    assert reference_doc.main(["--check", "--output", str(target)]) == 1
