"""``python -m network.fabric build|up|down|status``."""

from network.fabric.cli import main

main()
