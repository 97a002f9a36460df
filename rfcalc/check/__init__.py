"""`rfcalc check`: keep architectures within budgets (params, MACs, FLOPs, memory, RF, output shape).

Budgets come from three places, merged key by key (a later one overrides an earlier one):
1. the spec's own `budgets:` section;
2. a budget file (`--budget FILE`): the same mapping, at the top level or under `budgets:`, so one
   file can govern several specs;
3. command-line flags (`--max-params 5M`, ...).

The budget keys (the flags are the same names with dashes):

    max_params, max_trainable_params, max_macs, max_flops    counts: 5M, 1.2G, 25_557_032
    max_activation_memory, max_peak_memory, max_param_memory  bytes: 100MiB, 1GB, 2048
    min_rf, max_rf            receptive field of the last layer: 200 (every axis), 200x180 or [200, 180]
    output_shape              exact output shape, channels first: 1000, 2x256x256 or [2, 256, 256]
    no_warnings               true: the analysis must give no warning (dropped pixels, gridding, ...)
    profile                   counting profile for MACs/FLOPs (see rfcalc/profiles.py); not a check

Exit codes (ruff's convention): 0 every budget holds, 1 a budget is exceeded, 2 an invalid spec,
budget or command line. `--exit-zero` turns 1 into 0 (report-only runs).
"""
