"""`python -m ottoq`: the same as the `ottoq` command."""

from ottoq.cli import main

main()
