"""User strategies as plug-ins: Python files in a folder, imported and registered by name.

Each ``*.py`` file of the folder (names starting with ``_`` are left alone) is imported
as a private module, and every concrete :class:`~quantdesk.strategies.base.Strategy`
subclass it defines is registered under its ``name``, whether or not it is decorated
with ``@register``. A file that fails to import, or defines a name already taken, is
reported and skipped; the other files still load. Code is read from this folder only:
it is never accepted over the API.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from quantdesk.errors import ConfigurationError, ConflictError
from quantdesk.strategies.base import Strategy
from quantdesk.strategies.registry import register

logger = logging.getLogger(__name__)
NAMESPACE = "_quantdesk_plugin"
# The composition root exports the user's folder here, for processes it starts.
STRATEGIES_DIR_VARIABLE = "QUANTDESK_STRATEGIES_DIR"


class PluginError(ConfigurationError):
    """A strategy file that could not be loaded; its author must fix the file."""

    code = "plugin_error"

    def __init__(self, file: Path, line: int | None, problem: str) -> None:
        where = f"{file} line {line}" if line is not None else str(file)
        super().__init__(f"{where}: {problem}", details={"file": str(file), "line": line})
        self.file = file
        self.line = line


def discover(folder: Path, *, on_error: Callable[[PluginError], None] | None = None) -> list[str]:
    """Import every strategy file in ``folder`` and return the names registered from it.

    Failures never propagate: each one is passed to ``on_error`` (default: logged as a
    warning) and the file is skipped. Files already imported from the same folder are
    not imported again, so calling this twice registers nothing twice.

    Example::

        names = discover(Path("var/strategies"))  # ["my_breakout"], say
    """
    if not folder.is_dir():
        raise ConfigurationError(
            f"strategies folder {folder} does not exist or is not a folder; create it or "
            "point the setting at the folder that holds your strategy files"
        )
    report = on_error or _log
    names: list[str] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            names.extend(_load(path))
        except PluginError as error:
            report(error)
    return names


def _load(path: Path) -> list[str]:
    module = _import(path)
    names = []
    for cls in _strategies(module):
        try:
            register(cls)
        except ConflictError as error:
            raise PluginError(path, _line_of(cls), error.message) from None
        names.append(cls.name)
    return names


def _import(path: Path) -> ModuleType:
    digest = hashlib.sha256(str(path.resolve().parent).encode()).hexdigest()[:12]
    module_name = f"{NAMESPACE}_{digest}_{path.stem}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(path, None, "cannot be read as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        del sys.modules[module_name]
        raise PluginError(path, _failed_line(error, path), _describe(error)) from None
    return module


def _strategies(module: ModuleType) -> list[type[Strategy[Any]]]:
    found = []
    for value in vars(module).values():
        if not (inspect.isclass(value) and issubclass(value, Strategy)):
            continue
        if value.__module__ != module.__name__ or inspect.isabstract(value):
            continue
        if not isinstance(getattr(value, "name", None), str):
            raise PluginError(
                Path(str(module.__file__)),
                _line_of(value),
                f'strategy class {value.__name__} has no name; add name = "..." to the class',
            )
        found.append(value)
    return found


def _failed_line(error: BaseException, path: Path) -> int | None:
    if isinstance(error, SyntaxError) and error.filename == str(path):
        return error.lineno
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == str(path)
    ]
    return frames[-1].lineno if frames else None


def _describe(error: BaseException) -> str:
    text = error.msg if isinstance(error, SyntaxError) else str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _line_of(cls: type) -> int | None:
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None


def _log(error: PluginError) -> None:
    logger.warning(
        "strategy_plugin_failed: %s",
        error.message,
        extra={"file": str(error.file), "line": error.line},
    )


def discover_from_environment() -> list[str]:
    """Register the strategies of the folder named by ``QUANTDESK_STRATEGIES_DIR``, if any.

    Job worker processes call this at start-up so that they know the same user strategies
    as the server that queued the job.
    """
    folder = os.environ.get(STRATEGIES_DIR_VARIABLE)
    return discover(Path(folder)) if folder and Path(folder).is_dir() else []
