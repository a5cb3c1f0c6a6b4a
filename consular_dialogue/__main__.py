"""``python -m consular_dialogue``: the same app as ``cdt``."""

from .cli import entry

entry()
