"""Typer options that commands of several groups share."""

from __future__ import annotations

from typing import Annotated

import typer

MaxLevelOpt = Annotated[
    str | None,
    typer.Option(
        "--max-level",
        help="Leave out records above this level: public|internal|restricted.",
    ),
]
