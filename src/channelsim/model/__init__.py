"""The model's equations, each written once (docs/model.md), for the simulation and the valuation.

One module per concept, plain functions of numbers (or of the scenario's own types), no
state and no randomness: the simulation (`channelsim.sim`) applies them to one customer or
outlet at a time, the analytic valuation (`channelsim.valuation`) to expectations, and each
is tested once against a hand computation (tests/test_model.py).

- `money`: what one order moves (customer payment, brand receipts, contribution);
- `logit`: the logit utility of an outlet and the logit weights;
- `adstock`: the carry-over of spend, week by week and averaged over a period;
- `diversion`: a partner's cost, the price gap it sees, its weight in a foreign region,
  and the share of weeks it is free to divert under enforcement;
- `media`: what a source's spend costs (rate card and setup cost);
- `clv`: customer lifetime value (orders over a customer's life, with programmes).
"""
