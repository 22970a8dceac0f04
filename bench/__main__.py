"""`python -m bench`: every benchmark, see bench/run.py."""

from bench.run import main

main()
