"""`rfcalc check`: keep architectures within budgets (params, MACs, FLOPs, memory, RF, output shape).

- budgets.py: the `Budgets` model, one field per budget with its description and rule (unit, kind of
  limit, label, how the actual value is read); limits.py: the units and kinds of limit.
- sources.py: budgets from the spec's own `budgets:` section, a budget file (`--budget FILE`: the same
  mapping, at the top level or under `budgets:`) and flags (`--max-params 5M`, generated from the model),
  merged budget by budget in that order (a later source overrides an earlier one).
- results.py: each budget checked against the analysis (findings.py: which of a report's findings it reads);
  outputs.py: table, JSON, JUnit XML, GitHub annotations.
- command.py: the command. Exit codes (ruff's convention): 0 every budget holds, 1 a budget is exceeded,
  2 an invalid spec, budget or command line; `--exit-zero` turns 1 into 0 (report-only runs).
"""
