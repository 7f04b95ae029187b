"""Satisfaction (docs/model.md "Satisfaction and NPS"): moods and what they do to a customer's rates.

A customer's mood counts good minus bad experiences, within ±`MOOD_LIMIT`; at −1 or below they
are a detractor (lapse `DETRACTOR_CHURN_MULTIPLIER` times faster, refer nobody), at +1 or above
a promoter (refer `PROMOTER_REFERRAL_WEIGHT` times as much as a passive customer). Joining a
loyalty programme is a good experience, so a member is a promoter unless something went wrong.
"""

from __future__ import annotations

#: A dissatisfied customer (a detractor) lapses this many times faster and stops referring.
DETRACTOR_CHURN_MULTIPLIER = 2.0
#: Word of mouth per customer by satisfaction: detractors 0, passives 1 (Bass's q), promoters 2.
PROMOTER_REFERRAL_WEIGHT = 2
#: Satisfaction is a count of good minus bad experiences, kept within ±this.
MOOD_LIMIT = 2


def referral_weight(mood: int) -> int:
    """How much a customer of this satisfaction feeds word of mouth."""
    return 0 if mood <= -1 else (PROMOTER_REFERRAL_WEIGHT if mood >= 1 else 1)
