"""``python -m consular_dialogue``: the same app as ``cdt``."""

from .cli import main

main()
