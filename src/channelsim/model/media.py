"""What a source's spend costs a week (SPEC §2 `rate_card`, `setup_cost_per_week`).

Without a rate card, media costs what is spent. With one, spend up to each tier's `up_to`
is charged at that tier's `price` per unit, and spend past the last tier at the last price.
A source used at all in a week (spend > 0) also costs its `setup_cost_per_week`.
"""

from __future__ import annotations

from collections.abc import Sequence

from channelsim.scenario.demand import RateTier, Source


def media_cost(rate_card: Sequence[RateTier] | None, spend: float) -> float:
    """What `spend` of media costs under the rate card (1:1 without one)."""
    if not rate_card:
        return spend
    cost, lower = 0.0, 0.0
    for tier in rate_card:
        if spend <= lower:
            break
        cost += (min(spend, tier.up_to) - lower) * tier.price
        lower = tier.up_to
    if spend > lower:
        cost += (spend - lower) * rate_card[-1].price
    return cost


def source_cost(source: Source, spend: float) -> float:
    """A week's marketing cost of a source: media under its rate card, plus setup when used."""
    return media_cost(source.rate_card, spend) + (source.setup_cost_per_week if spend > 0 else 0.0)
