"""The exit codes of `syncscope` (documented in the README, relied on by schedulers).

0 all configured vendors loaded and the models built; 2 a setting is wrong, bad usage, or no
vendor is configured at all; 3 every vendor tried failed (unreachable or refused credentials);
4 some vendors loaded, some failed; 5 another run holds the warehouse; 6 loads went fine but the
models failed to build; 7 loads and models went fine but publishing the marts for BI tools
failed; 8 the models built but a data test failed or could not run, so nothing was published;
9 the run's deadline (`--timeout`) passed; 10 another process (a reader, a BI tool) kept the
warehouse file open longer than `warehouse.busy_timeout_seconds`; 11 (`--alert`) everything else
went fine but an alert destination failed (2 when the alert settings are wrong); 12 (`--deliver`)
delivering the marts to the team's warehouse failed (pipelines/deliver/), everything local went
fine.
"""

from __future__ import annotations

EXIT_OK, EXIT_CONFIG, EXIT_VENDORS_FAILED, EXIT_PARTIAL, EXIT_LOCKED, EXIT_MODELS = 0, 2, 3, 4, 5, 6
EXIT_PUBLISH, EXIT_DATA_TESTS, EXIT_DEADLINE, EXIT_HELD, EXIT_ALERTS, EXIT_DELIVER = 7, 8, 9, 10, 11, 12
