"""The purity rules: no I/O calls and no ``__main__`` block inside a pure package."""

from __future__ import annotations

from archverify.core.config import BUILTIN_IO_NAMES, PurityConfig
from archverify.core.facts import CallFact, FileFacts
from archverify.core.findings import Finding, Severity
from archverify.core.patterns import CallPatterns
from archverify.core.project import in_any_package

STEP = "purity"
RULE_IO_CALL = "purity/io-call"
RULE_MAIN_BLOCK = "purity/main-block"

MAIN_BLOCK = '`if __name__ == "__main__":`'
IO_CALL_HINT = "move the I/O to an executor or the orchestrator and pass data in"
MAIN_BLOCK_HINT = (
    "move the entry point to the orchestrator (a CLI module or a __main__.py outside the pure "
    "package); set allow_main_block = true only if the block is a deliberate demo"
)


def describe_call(call: CallFact) -> str:
    """The call as written and, when it differs, as resolved: ``load()`` -> ``json.load``."""
    if not call.qualname:
        return f"`{call.name}()`"
    if call.qualname.rsplit(".", 1)[-1] == call.name:
        return f"`{call.qualname}()`"
    return f"`{call.name}()` (resolves to `{call.qualname}`)"


class PurityChecker:
    """The purity rules of one configuration, with its patterns compiled once.

    Raises ``ValueError`` naming the pattern when a ``forbid_calls`` entry is malformed.
    """

    def __init__(self, config: PurityConfig) -> None:
        self.config = config
        try:
            self.forbidden = CallPatterns(config.forbid_calls, builtin_names=BUILTIN_IO_NAMES)
        except ValueError as exc:
            raise ValueError(f"[tool.archverify.purity] forbid_calls: {exc}") from exc

    def applies_to(self, module: str) -> bool:
        return in_any_package(module, self.config.packages)

    def check(self, facts: FileFacts) -> list[Finding]:
        """Findings for one file; none outside the pure packages or when it did not compile."""
        if facts.compile_error is not None or not self.applies_to(facts.module):
            return []
        found: list[Finding] = []
        for call, pattern in self.forbidden.forbidden_calls(facts.calls):
            found.append(
                Finding(
                    step=STEP,
                    rule=RULE_IO_CALL,
                    severity=Severity.ERROR,
                    path=facts.path,
                    line=call.line,
                    column=call.column,
                    message=(
                        f"I/O call {describe_call(call)} in pure module {facts.module} "
                        f"(forbidden by `{pattern}`)"
                    ),
                    hint=IO_CALL_HINT,
                    extra={"call": call.qualname or call.name, "pattern": pattern},
                )
            )
        if not self.config.allow_main_block:
            for block in facts.main_blocks:
                found.append(
                    Finding(
                        step=STEP,
                        rule=RULE_MAIN_BLOCK,
                        severity=Severity.ERROR,
                        path=facts.path,
                        line=block.line,
                        column=block.column,
                        message=f"{MAIN_BLOCK} block in pure module {facts.module}",
                        hint=MAIN_BLOCK_HINT,
                    )
                )
        return found
