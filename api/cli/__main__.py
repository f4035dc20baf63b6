"""``python -m api.cli``: the tdx command line (as the ``tdx`` script)."""

from api.cli.main import main

main()
