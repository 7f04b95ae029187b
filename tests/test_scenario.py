"""A valid scenario loads as the spec says (SPEC §2, §6): defaults, variants, extends, overrides,
the `new` and `validate` commands, and every scenario in the gallery."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import channelsim
from channelsim import Scenario, ScenarioError, UsageError
from conftest import GALLERY, STARTER, problem_lines, run_cli

SMALL = """\
name: Small
horizon_weeks: 8
regions: [north, south, east, west]
segments:
  - id: big
    population: 300
  - id: small
    population: 100
sources:
  - id: ads
    spend_per_week: 100
    response: {curve: linear, leads_per_unit_spend: 0.1}
channels:
  - id: shop
  - id: distributors
    type: indirect
    price_index: 0.95
    partner_margin: 0.2
  - id: cheap_dealers
    type: indirect
    price_index: 0.7
    partner_margin: 0.2
partners:
  - id: dist_north
    channel: distributors
    region: north
  - id: dist_south
    channel: distributors
    region: south
    price_index: 1.1
    price_floor: 0.9
  - id: dealer
    channel: cheap_dealers
    region: east
"""


def with_variants(text: str, variants: str) -> str:
    """The starter with its `variants:` section replaced."""
    return (
        text[: text.index("\nvariants:")] + "\nvariants:\n" + textwrap.indent(textwrap.dedent(variants), "  ")
    )


# -- loading and defaults -------------------------------------------------------------


def test_the_starter_loads():
    scenario = channelsim.load(STARTER)
    assert isinstance(scenario, Scenario)
    assert scenario.name == "My first channel scenario"
    assert scenario.file == str(STARTER)
    assert scenario.variant_name is None
    assert [c.id for c in scenario.channels] == ["webshop", "marketplace", "distributors"]
    assert scenario.regions == ["north", "south"]


def test_spec_defaults_are_filled(write):
    scenario = channelsim.load(write(SMALL))
    assert scenario.seed == 0 and scenario.replications == 1
    # a segment without regions is spread uniformly
    assert scenario.segment("big").regions == pytest.approx(
        {r: 0.25 for r in ("north", "south", "east", "west")}
    )
    assert scenario.segment("big").conversion == 1.0
    assert scenario.segment("big").churn_per_week == 0.0
    # a source without segment_mix reaches segments by population
    assert scenario.sources[0].segment_mix == pytest.approx({"big": 0.75, "small": 0.25})
    shop = scenario.channel("shop")
    assert (shop.type, shop.mode, shop.price_index, shop.regions) == ("direct", "online", 1.0, None)
    assert scenario.channel_regions(shop) == ["north", "south", "east", "west"]
    partners = {p.id: p for p in scenario.partners}
    # a partner without price_index sells at its channel's price index ...
    assert partners["dist_north"].price_index == pytest.approx(0.95)
    # ... and never below its own wholesale cost, 1 - partner_margin
    assert partners["dist_north"].price_floor == pytest.approx(0.8)
    assert partners["dist_north"].effort == 1.0
    # what is written wins over a default
    assert (partners["dist_south"].price_index, partners["dist_south"].price_floor) == (1.1, 0.9)
    # a channel priced below the wholesale cost: the floor is the partner's own price
    assert partners["dealer"].price_floor == pytest.approx(0.7)


def test_regions_default_to_all(write):
    no_partners = SMALL[: SMALL.index("partners:")]
    scenario = channelsim.load(write(no_partners.replace("regions: [north, south, east, west]\n", "")))
    assert scenario.regions == ["all"]
    assert scenario.segment("small").regions == {"all": 1.0}


def test_a_scenario_is_immutable():
    scenario = channelsim.load(STARTER)
    with pytest.raises(ValueError, match="frozen"):
        scenario.horizon_weeks = 3  # type: ignore[misc]


# -- variants -------------------------------------------------------------------------


def test_variant_sets_list_items_by_id_and_leaves_the_base_alone():
    scenario = channelsim.load(STARTER)
    cheaper = scenario.variant("marketplace_discount")
    assert cheaper.channel("marketplace").price_index == 0.9
    assert cheaper.channel("webshop").price_index == 1.0
    assert cheaper.variant_name == "marketplace_discount"
    assert scenario.channel("marketplace").price_index == 0.97
    assert channelsim.load(STARTER, variant="marketplace_discount") == cheaper


def test_variant_set_creates_sections_and_sets_nested_values(write, starter_text):
    text = with_variants(
        starter_text,
        """\
        strict:
          set:
            conflict.price_war.undercut_step: 0.05
            segments.consumers.regions: {north: 0.5, south: 0.5}
            horizon_weeks: 52
        """,
    )
    strict = channelsim.load(write(text)).variant("strict")
    assert strict.conflict.price_war is not None and strict.conflict.price_war.undercut_step == 0.05
    assert strict.segment("consumers").regions == {"north": 0.5, "south": 0.5}
    assert strict.horizon_weeks == 52


def test_removing_a_partner_drops_it_from_incentive_assignments(write, starter_text):
    text = with_variants(starter_text, "north_leaves: {remove: [partners.dist_north]}\n")
    scenario = channelsim.load(write(text))
    assert scenario.incentives[0].current == {"dist_north": "gold"}
    after = scenario.variant("north_leaves")
    assert [p.id for p in after.partners] == ["dist_south"]
    assert after.incentives[0].current == {}


def test_removing_a_channel_removes_its_partners_and_what_pointed_at_it(write, starter_text):
    text = with_variants(starter_text, "no_distributors: {remove: [channels.distributors]}\n")
    after = channelsim.load(write(text)).variant("no_distributors")
    assert [c.id for c in after.channels] == ["webshop", "marketplace"]
    assert after.partners == [] and after.incentives == []
    assert "distributors" not in after.segment("consumers").channel_affinity


def test_variants_chain_and_name_themselves():
    scenario = channelsim.load(STARTER)
    both = scenario.variant("marketplace_discount").variant("lose_south")
    assert both.variant_name == "marketplace_discount+lose_south"
    assert both.channel("marketplace").price_index == 0.9
    assert [p.id for p in both.partners] == ["dist_north"]


def test_an_unknown_variant_is_a_usage_error_naming_the_known_ones():
    scenario = channelsim.load(STARTER)
    with pytest.raises(UsageError, match=r"no variant 'nope' \(variants: marketplace_discount, lose_south\)"):
        scenario.variant("nope")
    with pytest.raises(UsageError):
        channelsim.load(STARTER, variant="nope")


def test_an_invalid_variant_fails_loading_with_its_name(write, starter_text):
    text = with_variants(starter_text, "broken: {set: {channels.webshop.price_index: -1}}\n")
    scenario = channelsim.load(write(text))  # the base is fine; the variant is checked when applied
    with pytest.raises(ScenarioError) as caught:
        scenario.variant("broken")
    (problem,) = caught.value.problems
    assert problem.path == ("channels", 0, "price_index")
    assert problem.message == "must be > 0 [variant broken]"
    assert problem.line == text.splitlines().index("  broken: {set: {channels.webshop.price_index: -1}}") + 1


# -- extends --------------------------------------------------------------------------

BASE = """\
name: Base
horizon_weeks: 8
regions: [north, south]
segments:
  - id: young
    population: 100
    order_value: 50
    churn_per_week: 0.01
  - id: old
    population: 200
channels:
  - id: shop
    variable_cost: 0.1
budget:
  marketing_per_week: 1000
  incentives_per_week: 10
"""


def test_extends_merges_mappings_by_key_and_id_lists_by_id(write):
    write(BASE, "base.yaml")
    child = write(
        """\
extends: base.yaml
name: Child
segments:
  - id: young
    population: 150
  - id: new
    population: 10
budget:
  marketing_per_week: 2000
""",
        "child.yaml",
    )
    scenario = channelsim.load(child)
    assert scenario.name == "Child"
    assert scenario.horizon_weeks == 8  # kept from the base
    assert [s.id for s in scenario.segments] == ["young", "old", "new"]
    young = scenario.segment("young")
    assert (young.population, young.order_value, young.churn_per_week) == (150, 50, 0.01)
    assert scenario.channel("shop").variable_cost == 0.1
    assert (scenario.budget.marketing_per_week, scenario.budget.incentives_per_week) == (2000, 10)
    assert scenario.file == str(child)


def test_extends_replaces_plain_lists(write):
    write(BASE, "base.yaml")
    child = write("extends: base.yaml\nregions: [north, south, east]\n", "child.yaml")
    assert channelsim.load(child).regions == ["north", "south", "east"]


def test_extends_works_from_a_subfolder_and_chains(write):
    write(BASE, "bases/base.yaml")
    write("extends: base.yaml\nhorizon_weeks: 10\n", "bases/middle.yaml")
    top = write("extends: bases/middle.yaml\nseed: 3\n", "top.yaml")
    scenario = channelsim.load(top)
    assert (scenario.name, scenario.horizon_weeks, scenario.seed) == ("Base", 10, 3)


def test_an_error_in_the_base_is_reported_at_the_base_file_and_line(write):
    base = write(BASE.replace("population: 200", "population: -200"), "base.yaml")
    child = write("extends: base.yaml\nname: Child\nhorizon_weeks: 0\n", "child.yaml")
    with pytest.raises(ScenarioError) as caught:
        channelsim.load(child)
    problems = {(Path(p.file).name, p.line, p.col, p.message) for p in caught.value.problems}
    assert problems == {
        ("base.yaml", 10, 17, "must be >= 1"),  # the base's own line
        ("child.yaml", 3, 16, "must be >= 1"),  # overridden here: this file's line
    }
    assert {Path(p.file) for p in caught.value.problems} == {base, child}
    for line in str(caught.value).splitlines():
        assert problem_lines(line)


def test_a_value_overridden_in_the_child_is_reported_at_the_child(write):
    write(BASE.replace("population: 200", "population: -200"), "base.yaml")
    child = write("extends: base.yaml\nsegments:\n  - id: old\n    population: 5\n", "child.yaml")
    assert channelsim.load(child).segment("old").population == 5


# -- overrides ------------------------------------------------------------------------


def test_with_overrides_sets_dotted_paths_and_keeps_the_variant():
    scenario = channelsim.load(STARTER).variant("marketplace_discount")
    changed = scenario.with_overrides({"horizon_weeks": 10, "sources.social.spend_per_week": 1500})
    assert changed.horizon_weeks == 10
    assert next(s for s in changed.sources if s.id == "social").spend_per_week == 1500
    assert changed.channel("marketplace").price_index == 0.9
    assert changed.variant_name == "marketplace_discount"
    assert scenario.horizon_weeks == 26


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"horizon_weeks": 0}, "horizon_weeks: must be >= 1 (got 0)"),
        ({"channels.webshopp.price_index": 1.0}, "no id 'webshopp' — did you mean 'webshop'?"),
        ({"channels.webshop.pricee_index": 1.0}, "did you mean 'price_index'?"),
    ],
)
def test_bad_overrides_are_usage_errors(overrides, message):
    with pytest.raises(UsageError) as caught:
        channelsim.load(STARTER).with_overrides(overrides)
    assert message in str(caught.value)


# -- the command line -----------------------------------------------------------------


def test_new_writes_a_scenario_that_validates(tmp_path: Path):
    made = run_cli("new", "x.yaml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "x.yaml").read_text("utf-8") == STARTER.read_text("utf-8")
    checked = run_cli("validate", "x.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("x.yaml: OK — My first channel scenario")
    assert checked.stderr == ""


def test_new_refuses_to_overwrite_without_force(tmp_path: Path):
    target = tmp_path / "mine.yaml"
    target.write_text("name: precious\n", encoding="utf-8")
    refused = run_cli("new", "mine.yaml", cwd=tmp_path)
    assert refused.returncode == 2
    assert "already exists (use --force to overwrite)" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert target.read_text("utf-8") == "name: precious\n"
    forced = run_cli("new", "mine.yaml", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert target.read_text("utf-8") == STARTER.read_text("utf-8")


def test_validate_checks_every_variant(tmp_path: Path, starter_text: str):
    text = with_variants(starter_text, "broken: {set: {horizon_weeks: 0}}\n")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = run_cli("validate", "s.yaml", cwd=tmp_path)
    assert result.returncode == 2
    (problem,) = problem_lines(result.stderr)
    assert problem["path"] == "horizon_weeks"
    assert problem["message"] == "must be >= 1 [variant broken] (got 0)"


# -- the gallery ----------------------------------------------------------------------


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_every_gallery_scenario_loads_with_all_its_variants(path: Path):
    scenario = channelsim.load(path)
    for name in scenario.variants:
        assert scenario.variant(name).variant_name == name


def test_incentive_tiers_are_addressed_by_level() -> None:
    sc = channelsim.load(next(p for p in GALLERY if p.name == "industrial_distributors.yaml"))
    richer = sc.with_overrides({"incentives.volume_rebate.tiers.gold.rebate": 0.08})
    gold = {tier.level: tier for tier in richer.incentives[0].tiers}["gold"]
    assert gold.rebate == 0.08
    with pytest.raises(UsageError, match=r"no level 'platinum' \(there: none, silver, gold\)"):
        sc.with_overrides({"incentives.volume_rebate.tiers.platinum.rebate": 0.08})
