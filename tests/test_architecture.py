"""The house rules that keep the core plain: who may import what, and help as documentation."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import typer

from consular_dialogue.cli import app

PACKAGE = Path(__file__).resolve().parents[1] / "consular_dialogue"
README = PACKAGE.parent / "README.md"

# Modules of the plain core; a name ending in ".*" covers a whole subpackage.
CORE = [
    "consular_dialogue.models",
    "consular_dialogue.services.*",
    "consular_dialogue.reports",
    "consular_dialogue.exporters.*",
    "consular_dialogue.dates",
    "consular_dialogue.errors",
    "consular_dialogue.settings",
    "consular_dialogue.communique",
    "consular_dialogue.i18n",
    "consular_dialogue.text",
    "consular_dialogue.jsonout",
    "consular_dialogue.forked",
]
UI_AND_STORAGE_LIBRARIES = {"typer", "rich", "tinydb", "click"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (function bodies too), made absolute."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            found.add(stem)
            # ``from . import cli`` imports a module named by the alias.
            found.update(f"{stem}.{alias.name}" for alias in node.names)
    return found


IMPORTS: dict[str, set[str]] = {
    module_name(path): imported_names(path) for path in sorted(PACKAGE.rglob("*.py"))
}


def top_level(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def matches(module: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return module == pattern[:-2] or module.startswith(pattern[:-1])
    return module == pattern


def importers_of(library: str) -> set[str]:
    return {
        module
        for module, names in IMPORTS.items()
        if any(n == library or n.startswith(library + ".") for n in names)
    }


def test_the_import_walk_sees_the_imports_it_checks() -> None:
    # Without this, an empty or broken walk would make every rule below pass.
    assert "tinydb" in top_level(IMPORTS["consular_dialogue.storage"])
    assert "dateutil" in top_level(IMPORTS["consular_dialogue.dates"])
    assert "typer" in top_level(IMPORTS["consular_dialogue.cli.tree"])
    assert "consular_dialogue.cli" in IMPORTS["consular_dialogue.__main__"]
    assert "consular_dialogue.models" in IMPORTS["consular_dialogue.services.meetings"]


@pytest.mark.parametrize(
    "module",
    [m for m in IMPORTS if any(matches(m, pattern) for pattern in CORE)],
)
def test_core_module_never_imports_typer_rich_or_tinydb(module: str) -> None:
    assert top_level(IMPORTS[module]) & UI_AND_STORAGE_LIBRARIES == set()


def test_only_storage_imports_tinydb() -> None:
    assert importers_of("tinydb") == {"consular_dialogue.storage"}


def test_only_dates_imports_dateutil() -> None:
    assert importers_of("dateutil") == {"consular_dialogue.dates"}


def test_nothing_outside_the_cli_imports_the_cli_except_main() -> None:
    outside = {
        m
        for m in importers_of("consular_dialogue.cli")
        if not matches(m, "consular_dialogue.cli.*")
    }
    assert outside == {"consular_dialogue.__main__"}


# ---------------------------------------------------------------- help is documentation


def walk_commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    """Every runnable command of the app as ("group command", click command)."""
    found: list[tuple[str, Any]] = []
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if getattr(sub, "commands", None):
            found.extend(walk_commands(sub, (*path, name)))
        else:
            found.append((" ".join((*path, name)), sub))
    return found


ROOT = typer.main.get_command(app)
COMMANDS = dict(walk_commands(ROOT))


def test_the_app_has_the_commands_of_every_noun() -> None:
    for expected in ("meeting add", "agenda carry", "action done", "topic list", "search"):
        assert expected in COMMANDS


@pytest.mark.parametrize("path", list(COMMANDS))
def test_every_command_has_help_with_an_example_of_itself(path: str) -> None:
    text = COMMANDS[path].help or ""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    assert first_line, f"cdt {path} has no help"
    assert "Example:" in text
    example = text.split("Example:", 1)[1]
    assert f"cdt {path}" in " ".join(example.split())


@pytest.mark.parametrize(
    "group", sorted(n for n, c in ROOT.commands.items() if hasattr(c, "commands"))
)
def test_every_command_group_has_help(group: str) -> None:
    assert (ROOT.commands[group].help or "").strip()


@pytest.mark.xfail(
    not README.exists(), reason="README.md is being written by the lead", strict=False
)
@pytest.mark.parametrize("path", list(COMMANDS))
def test_every_command_appears_in_the_readme(path: str) -> None:
    assert f"cdt {path}" in README.read_text(encoding="utf-8")


def test_every_public_name_of_the_package_loads_on_first_use() -> None:
    import consular_dialogue

    for name in consular_dialogue.__all__:
        assert getattr(consular_dialogue, name) is not None, name
    with pytest.raises(AttributeError):
        _ = consular_dialogue.nonexistent_name  # type: ignore[attr-defined]
