"""Tests of archverify.guards: who may call a guarded provider, on which thread."""

from __future__ import annotations

import asyncio
import importlib
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from archverify.guards import ProviderAccessError, provider

PACKAGE = "guardapp"

# A small application on disk, so that every caller is a real imported module.
MODULES: dict[str, str] = {
    "__init__.py": "",
    "orchestrator/__init__.py": "",
    "orchestrator/provider.py": """
        from archverify.guards import provider

        @provider(["guardapp.orchestrator"])
        def get_provider(value: int = 1) -> int:
            '''Return the configured value.'''
            return value

        def internal_call() -> int:
            return get_provider(7)

        class Registry:
            @provider(["guardapp.orchestrator"])
            def lookup(self, key: str) -> str:
                return key.upper()

        @provider(["guardapp.orchestrator"])
        async def fetch() -> str:
            return "fetched"
    """,
    "orchestrator/cli.py": """
        import threading
        from guardapp.orchestrator.provider import Registry, fetch, get_provider

        def run() -> int:
            return get_provider(value=3)

        def run_method() -> str:
            return Registry().lookup("k")

        async def run_async() -> str:
            return await fetch()

        def call_for(callback):
            return callback()

        def run_in_thread(results: list) -> None:
            def work() -> None:
                results.append(get_provider(5))
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
    """,
    "core/__init__.py": "",
    "core/logic.py": """
        from guardapp.orchestrator.provider import Registry, get_provider, internal_call

        def run() -> int:
            return get_provider()

        def run_method() -> str:
            return Registry().lookup("k")

        def run_via_provider_module() -> int:
            return internal_call()

        def call_for(callback):
            return callback()

        def run_in_thread(errors: list) -> None:
            import threading

            def work() -> None:
                try:
                    get_provider()
                except Exception as error:
                    errors.append(error)
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
    """,
    "core/sneaky.py": """
        __package__ = "guardapp.orchestrator"
        from guardapp.orchestrator.provider import get_provider

        def run() -> int:
            return get_provider()
    """,
    "executors/__init__.py": "",
    "executors/step.py": """
        from guardapp.orchestrator.provider import get_provider

        def run() -> int:
            return get_provider()
    """,
    "orchestrator_x.py": """
        from guardapp.orchestrator.provider import get_provider

        def run() -> int:
            return get_provider()
    """,
}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    for relative, source in MODULES.items():
        target = tmp_path / PACKAGE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    def load(name: str) -> Any:
        module: ModuleType = importlib.import_module(f"{PACKAGE}.{name}")
        return module

    yield load
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_call_from_orchestrator_module_is_allowed(app: Callable[[str], Any]) -> None:
    assert app("orchestrator.cli").run() == 3


def test_method_call_from_orchestrator_is_allowed(app: Callable[[str], Any]) -> None:
    assert app("orchestrator.cli").run_method() == "K"


def test_call_from_core_is_blocked_and_names_caller(app: Callable[[str], Any]) -> None:
    with pytest.raises(ProviderAccessError) as caught:
        app("core.logic").run()
    assert caught.value.caller == "guardapp.core.logic"
    assert caught.value.allowed == ("guardapp.orchestrator",)
    assert "guardapp.core.logic" in str(caught.value)
    assert "guardapp.orchestrator" in str(caught.value)
    assert "get_provider" in str(caught.value)


def test_method_call_from_core_is_blocked(app: Callable[[str], Any]) -> None:
    with pytest.raises(ProviderAccessError):
        app("core.logic").run_method()


@pytest.mark.parametrize(
    ("module", "function", "caller"),
    [
        pytest.param("executors.step", "run", "guardapp.executors.step", id="from executors"),
        pytest.param(
            "orchestrator_x",
            "run",
            "guardapp.orchestrator_x",
            id="a name prefix is not the package",
        ),
        # core -> provider.internal_call -> get_provider: the caller is core, not the provider.
        pytest.param(
            "core.logic",
            "run_via_provider_module",
            "guardapp.core.logic",
            id="frames of the provider module are skipped",
        ),
    ],
)
def test_a_blocked_call_names_its_caller(
    app: Callable[[str], Any], module: str, function: str, caller: str
) -> None:
    with pytest.raises(ProviderAccessError) as caught:
        getattr(app(module), function)()
    assert caught.value.caller == caller


def test_spoofed_package_is_ignored(app: Callable[[str], Any]) -> None:
    sneaky = app("core.sneaky")
    assert sneaky.__package__ == "guardapp.orchestrator"
    with pytest.raises(ProviderAccessError) as caught:
        sneaky.run()
    assert caught.value.caller == "guardapp.core.sneaky"


def test_test_module_itself_is_blocked(app: Callable[[str], Any]) -> None:
    get_provider = app("orchestrator.provider").get_provider
    with pytest.raises(ProviderAccessError) as caught:
        get_provider()
    assert caught.value.caller == __name__


def test_only_the_immediate_caller_is_checked(app: Callable[[str], Any]) -> None:
    # An orchestrator helper calling on behalf of a test (or core) is allowed: documented.
    cli = app("orchestrator.cli")
    get_provider = app("orchestrator.provider").get_provider
    assert cli.call_for(get_provider) == 1


def test_callback_handed_to_core_is_judged_by_who_calls_it(app: Callable[[str], Any]) -> None:
    # The orchestrator hands the provider to core; core calling it is still blocked.
    get_provider = app("orchestrator.provider").get_provider
    with pytest.raises(ProviderAccessError) as caught:
        app("core.logic").call_for(get_provider)
    assert caught.value.caller == "guardapp.core.logic"


def test_allowed_from_orchestrator_code_in_a_thread(app: Callable[[str], Any]) -> None:
    results: list[int] = []
    app("orchestrator.cli").run_in_thread(results)
    assert results == [5]


def test_blocked_from_core_code_in_a_thread(app: Callable[[str], Any]) -> None:
    errors: list[BaseException] = []
    app("core.logic").run_in_thread(errors)
    assert len(errors) == 1
    assert isinstance(errors[0], ProviderAccessError)
    assert errors[0].caller == "guardapp.core.logic"


def test_threads_do_not_see_each_others_stacks(app: Callable[[str], Any]) -> None:
    # The orchestrator thread's permission must not leak into a core thread running meanwhile.
    cli, logic = app("orchestrator.cli"), app("core.logic")
    results: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=cli.run_in_thread, args=(results,)),
        threading.Thread(target=logic.run_in_thread, args=(errors,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [5]
    assert [type(e) for e in errors] == [ProviderAccessError]


def test_async_function_checked_when_called(app: Callable[[str], Any]) -> None:
    assert asyncio.run(app("orchestrator.cli").run_async()) == "fetched"
    fetch = app("orchestrator.provider").fetch
    with pytest.raises(ProviderAccessError):
        fetch()


def test_wraps_keeps_metadata(app: Callable[[str], Any]) -> None:
    get_provider = app("orchestrator.provider").get_provider
    assert get_provider.__name__ == "get_provider"
    assert get_provider.__doc__ == "Return the configured value."
    assert get_provider.__module__ == "guardapp.orchestrator.provider"
    assert get_provider.__wrapped__(9) == 9


@pytest.mark.parametrize(
    ("allowed", "error"),
    [
        ("pkg.orchestrator", TypeError),
        ([], ValueError),
        ([""], ValueError),
        (["pkg."], ValueError),
        ([".pkg"], ValueError),
    ],
)
def test_bad_allowed_lists_are_rejected(allowed: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        provider(allowed)


def test_call_from_forged_globals_without_name_is_blocked() -> None:
    @provider(["pkg.orchestrator"])
    def get() -> int:
        return 1

    namespace: dict[str, Any] = {"get": get}
    # No __name__ in the globals: the caller is unknown, which no package allows.
    with pytest.raises(ProviderAccessError) as caught:
        exec("get()", namespace)  # noqa: S102 - the test needs a frame without a module name
    assert caught.value.caller == "<unknown>"
