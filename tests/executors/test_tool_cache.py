"""Cache keys and the shared pieces of the tool steps' caches."""

from __future__ import annotations

from pathlib import Path

from archverify.executors.runtime.environment import environment_variables
from archverify.executors.tools.cache import (
    MYPY_CONFIGS,
    RUFF_CONFIGS,
    config_digest,
    exclusive_lock,
    folder_digest,
    named_files_digest,
    user_config_files,
)


def test_the_lock_is_held_by_one_holder_at_a_time(tmp_path: Path) -> None:
    lock = tmp_path / "mypy.lock"
    with exclusive_lock(lock) as first:
        with exclusive_lock(lock) as second:
            assert (first, second) == (True, False)
    with exclusive_lock(lock) as again:
        assert again


def test_a_symlinked_lock_is_never_held(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / "mypy.lock").symlink_to(tmp_path / "elsewhere")
    with exclusive_lock(tmp_path / "mypy.lock") as held:
        assert not held


def test_the_folder_digest_follows_content_and_never_matches_with_a_symlink(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cache"
    (folder / "3.11").mkdir(parents=True)
    (folder / "3.11" / "a.db").write_bytes(b"one")
    before = folder_digest(folder)
    assert folder_digest(folder) == before
    (folder / "3.11" / "a.db").write_bytes(b"two")
    assert folder_digest(folder) != before
    (folder / "link").symlink_to(tmp_path)
    assert folder_digest(folder) != folder_digest(folder)
    assert folder_digest(tmp_path / "absent") == ""


def test_config_files_above_below_and_in_the_home_are_inputs(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    files = ["src/pkg/a.py"]
    user = user_config_files("ruff", {"HOME": str(tmp_path / "home")})
    digest = config_digest(root, RUFF_CONFIGS, below=files, user=user)
    (tmp_path / "ruff.toml").write_text("line-length = 10\n")  # above the root
    above = config_digest(root, RUFF_CONFIGS, below=files, user=user)
    (root / "src" / "pkg" / ".ruff.toml").write_text("line-length = 20\n")  # below it
    nested = config_digest(root, RUFF_CONFIGS, below=files, user=user)
    (tmp_path / "home" / ".config" / "ruff").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "ruff" / "ruff.toml").write_text("x = 1\n")
    home = config_digest(root, RUFF_CONFIGS, below=files, user=user)
    assert len({digest, above, nested, home}) == 4
    mypy_user = user_config_files("mypy", {"HOME": "/h", "XDG_CONFIG_HOME": "/x"})
    assert [str(p) for p in mypy_user] == [
        "/x/mypy/config",
        "/h/.config/mypy/config",
        "/h/.mypy.ini",
    ]
    assert "setup.cfg" in MYPY_CONFIGS


def test_files_named_by_arguments_are_inputs(tmp_path: Path) -> None:
    (tmp_path / "other.ini").write_text("[mypy]\n")
    args = ["--config-file", "other.ini", "--strict"]
    before = named_files_digest(tmp_path, args)
    assert named_files_digest(tmp_path, ["--config-file=other.ini"]) != named_files_digest(
        tmp_path, []
    )
    (tmp_path / "other.ini").write_text("[mypy]\nstrict = True\n")
    assert named_files_digest(tmp_path, args) != before


def test_the_variables_a_tool_reads_and_not_those_it_sets() -> None:
    environ = {
        "PYTHONPATH": "/p",
        "PYTEST_ADDOPTS": "-x",
        "PYTEST_CURRENT_TEST": "t (call)",
        "MYPYPATH": "/stubs",
        "HOME": "/h",
    }
    assert environment_variables(("PYTEST_",), environ) == [
        ("PYTEST_ADDOPTS", "-x"),
        ("PYTHONPATH", "/p"),
    ]
    assert environment_variables(("MYPY",), environ) == [
        ("MYPYPATH", "/stubs"),
        ("PYTHONPATH", "/p"),
    ]
