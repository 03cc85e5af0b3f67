"""Run by path with the dev venv's Python in a project: every chain import-linter reports, as JSON.

Prints ``{contract name: [chain, ...]}`` where a chain is a list of hops
``[importer, imported, [line, ...]]``. A route that import-linter shows with other heads
(``& x``) or tails gives one chain per head and per tail, as printed; ``acyclic_siblings``
reports no chains. Reads the project's own import-linter configuration, with no cache.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from importlinter.application import use_cases
from importlinter.configuration import configure

Hop = list[Any]


def _hop(link: dict[str, Any]) -> Hop:
    return [link["importer"], link["imported"], sorted({n for n in link["line_numbers"] if n})]


def _detailed(detailed: dict[str, Any]) -> list[list[Hop]]:
    """A route as import-linter prints it: its chain, then one per other head and tail."""
    chain = [_hop(link) for link in detailed["chain"]]
    found = [chain]
    found += [[_hop(link), *chain[1:]] for link in detailed["extra_firsts"]]
    found += [[*chain[:-1], _hop(link)] for link in detailed["extra_lasts"]]
    return found


def _chains(metadata: dict[str, Any]) -> list[list[Hop]]:
    found: list[list[Hop]] = []
    for dependency in metadata.get("invalid_dependencies", ()):  # layers
        for route in dependency["routes"]:
            found += _detailed(route)
    for dependency in metadata.get("invalid_chains", ()):  # independence, forbidden
        for chain in dependency["chains"]:
            if isinstance(chain, dict):
                found += _detailed(chain)
            else:
                found.append([_hop(link) for link in chain])
    for protected in metadata.get("illegal_imports", ()):  # protected
        found += [[_hop(link)] for link in protected.illegal_links]
    return found


def main() -> int:
    configure()
    # What lint-imports' own entry point does first (a private function of import-linter's).
    use_cases._register_built_in_contract_types()
    options = use_cases.read_user_options(sys.argv[1] if len(sys.argv) > 1 else None)
    report = use_cases.create_report(options, cache_dir=None)
    chains = {
        contract.name: _chains(check.metadata or {})
        for contract, check in report.get_contracts_and_checks()
    }
    json.dump(chains, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
