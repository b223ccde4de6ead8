"""`codegen plan`: which measured builds fit every budget (codegen/plan/cli.py).

collect.py finds (and builds what is missing of) the builds of every bundled model, mode and
frame length; evaluate.py re-prices each build's measurements with the plan's profiles and
gives the verdicts, the best build that fits and, when none does, how far the closest
misses; render.py writes plan.md, plan.json and plan.png.
"""
