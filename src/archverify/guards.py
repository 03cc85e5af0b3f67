"""Runtime guards: restrict which packages may call a provider function.

This module is imported by users' applications at runtime, so it stands outside archverify's
four layers and imports nothing from them (only the standard library).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, TypeVar, cast

__all__ = ["ProviderAccessError", "provider"]

F = TypeVar("F", bound=Callable[..., Any])

UNKNOWN_CALLER = "<unknown>"


class ProviderAccessError(RuntimeError):
    """A guarded provider was called from a module outside its allowed packages."""

    def __init__(self, function: str, caller: str, allowed: tuple[str, ...]) -> None:
        self.function = function
        self.caller = caller
        self.allowed = allowed
        super().__init__(
            f"{function}() may only be called from {', '.join(allowed)}; "
            f"it was called from {caller}"
        )


def _in_package(module: str, package: str) -> bool:
    # Same rule as archverify.core.project.in_package; repeated here because this module must
    # not import from the layers it is used alongside.
    return module == package or module.startswith(package + ".")


def _module_of(frame: FrameType) -> str:
    # ``__name__`` is what the import system set; ``__package__`` is a plain assignable global,
    # so a module could claim any package through it.
    name = frame.f_globals.get("__name__")
    return name if isinstance(name, str) and name else UNKNOWN_CALLER


def _calling_module(own_module: str) -> str:
    """Name of the first module on this thread's stack that is not ``own_module``."""
    # Depth 2 skips this function and the guard's wrapper.
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        module = _module_of(frame)
        if module != own_module:
            return module
        frame = frame.f_back
    return UNKNOWN_CALLER


def _validated(allowed: Sequence[str]) -> tuple[str, ...]:
    if isinstance(allowed, str):
        # A bare string is a sequence of characters: almost certainly a missing list.
        raise TypeError(f"provider() takes a list of package names, not the string {allowed!r}")
    packages = tuple(allowed)
    if not packages:
        raise ValueError("provider() needs at least one allowed package")
    for package in packages:
        if not isinstance(package, str) or not package or package.strip(".") != package:
            raise ValueError(f"provider(): {package!r} is not a dotted package name")
    return packages


def provider(allowed: Sequence[str]) -> Callable[[F], F]:
    """Allow calls to the decorated function only from modules inside ``allowed`` packages.

    The caller is the first frame, on the calling thread, whose module is not the decorated
    function's own module (so the provider's module may call it internally). Only that
    immediate caller is checked: code in an allowed package may call it on anyone's behalf.
    Meant for plain functions and methods; for an ``async def`` the check runs when the
    coroutine is created, but the wrapper is not marked as a coroutine function.
    """
    packages = _validated(allowed)

    def decorate(function: F) -> F:
        own_module = getattr(function, "__module__", None) or UNKNOWN_CALLER
        qualname = getattr(function, "__qualname__", repr(function))

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            caller = _calling_module(own_module)
            if not any(_in_package(caller, package) for package in packages):
                raise ProviderAccessError(f"{own_module}.{qualname}", caller, packages)
            return function(*args, **kwargs)

        return cast(F, guarded)

    return decorate
