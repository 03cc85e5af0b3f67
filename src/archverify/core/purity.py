"""The purity rules: no I/O calls, no ``__main__`` block and no environment in a pure package."""

from __future__ import annotations

from archverify.core.config import BUILTIN_IO_NAMES, PurityConfig
from archverify.core.facts import CallFact, FileFacts
from archverify.core.findings import Finding, Rule, Severity
from archverify.core.patterns import CallPatterns
from archverify.core.project import in_any_package

STEP = "purity"

MAIN_BLOCK = '`if __name__ == "__main__":`'
IO_CALL_HINT = "move the I/O to an executor or the orchestrator and pass data in"
MAIN_BLOCK_HINT = (
    "move the entry point to the orchestrator (a CLI module or a __main__.py outside the pure "
    "package); set allow_main_block = true only if the block is a deliberate demo"
)

ENVIRONMENT_HINT = (
    "read the setting at the edge (the orchestrator or a CLI) and pass its value in; set "
    "allow_environment = true if the pure packages may read the environment"
)

IO_CALL = Rule("purity/io-call", Severity.ERROR, IO_CALL_HINT)
MAIN_BLOCK_RULE = Rule("purity/main-block", Severity.ERROR, MAIN_BLOCK_HINT)
# A warning: the environment is an input the tests can set without a file, a process or a
# mock (unlike I/O), yet it makes a result depend on more than the arguments.
ENVIRONMENT = Rule("purity/environment", Severity.WARNING, ENVIRONMENT_HINT)
# The ids by their old names, part of the public core API before the rules were values.
_ENVIRONMENT_CHANGES = frozenset({"os.putenv", "os.unsetenv"})
RULE_IO_CALL = IO_CALL.id
RULE_MAIN_BLOCK = MAIN_BLOCK_RULE.id


def describe_call(call: CallFact) -> str:
    """The call as written and, when it differs, as resolved: ``load()`` -> ``json.load``."""
    if call.partial:
        return f"`{call.qualname or call.name}` (handed to `functools.partial`, which calls it)"
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
            if call.writes_nothing:
                continue  # ``df.to_csv()`` without a destination returns the text
            message = (
                f"I/O call {describe_call(call)} in pure module {facts.module} "
                f"(forbidden by `{pattern}`)"
            )
            extra = {"call": call.qualname or call.name, "pattern": pattern}
            found.append(IO_CALL.at(facts.path, call.line, call.column, message, extra=extra))
        if not self.config.allow_main_block:
            for block in facts.main_blocks:
                message = f"{MAIN_BLOCK} block in pure module {facts.module}"
                found.append(MAIN_BLOCK_RULE.at(facts.path, block.line, block.column, message))
        if not self.config.allow_environment:
            for access in facts.environment:
                verb = "changes" if access.name in _ENVIRONMENT_CHANGES else "reads"
                message = f"`{access.name}` {verb} the environment in pure module {facts.module}"
                extra = {"access": access.name}
                found.append(
                    ENVIRONMENT.at(facts.path, access.line, access.column, message, extra=extra)
                )
        return found
