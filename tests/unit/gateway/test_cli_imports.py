"""What `hubmail` loads to start (issue 12): help without the database, a current schema without Alembic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from config.database import head_revision, make_engine, migrate, schema_revisions
from tests.configs import write_config

# Top-level packages a command's help never needs (pydantic: see gateway.cli_options.Group).
HEAVY = {"sqlalchemy", "sqlmodel", "pydantic", "alembic", "httpx2", "starlette", "uvicorn", "babel", "rich"}
HEAVY |= {"archive", "moderation", "digest", "templates", "config"}
DATABASE = {"sqlalchemy", "sqlmodel", "pydantic", "archive", "moderation", "config"}  # what listings need
GROUPS = ["", "moderate", "archive", "subscribers", "digest", "imap", "members", "summary", "trusted"]

# Runs `hubmail ARGS` as the console script does, then prints its exit code and what it imported.
LOADED = """
import json, sys
from gateway.entry import main
sys.argv = ["hubmail", *sys.argv[1:]]
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps([code, sorted({name.partition(".")[0] for name in sys.modules})]))
"""


def loaded(*args: str, stdin: str = "") -> tuple[int, set[str]]:
    """`hubmail ARGS` in a fresh interpreter: its exit code and the top-level packages it imported."""
    result = subprocess.run(
        [sys.executable, "-c", LOADED, *args], input=stdin, capture_output=True, text=True, timeout=120
    )
    assert result.stdout, result.stderr
    code, modules = json.loads(result.stdout.splitlines()[-1])
    return code, set(modules)


@pytest.mark.parametrize("group", GROUPS)
def test_help_loads_neither_the_database_layer_nor_the_servers(group):
    code, modules = loaded(*filter(None, [group, "--help"]))
    assert code == 0 and modules & HEAVY == set()


def test_a_command_s_help_does_not_load_what_the_command_runs():
    code, modules = loaded("moderate", "approve", "--help")
    assert code == 0 and modules & HEAVY == set()


def test_a_current_database_is_opened_without_alembic(tmp_path):
    config = str(write_config(tmp_path))
    first_code, first = loaded("spaces", "--config", config)  # a new database: migrated
    code, modules = loaded("spaces", "--config", config, "--json")
    assert first_code == code == 0 and "alembic" in first
    assert "alembic" not in modules and modules & HEAVY <= DATABASE


def test_the_mta_s_deliver_is_read_without_pydantic(tmp_path):
    # Postfix starts one per message; typer would load pydantic to check --to (see gateway.deliver_cli).
    to, config = "unece-review@hub.example.org", str(write_config(tmp_path))
    code, modules = loaded("deliver", "--to", to, "--config", config, stdin="Subject: x\n\nhi\n")
    assert code == 0 and modules & {"pydantic", "sqlalchemy", "rich"} == set()
    assert len(list((tmp_path / "data" / "spool").rglob("*.msg"))) == 1


def test_deliver_s_help_and_mistakes_are_typer_s():
    assert loaded("deliver", "--help")[0] == 0
    assert loaded("deliver", "--to", "a@b.example", "--bogus")[0] == 2


def test_the_head_read_from_the_files_is_alembic_s():
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(resources.files("config") / "migrations"))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head() is not None


def test_a_database_behind_the_code_is_migrated(hub, monkeypatch):
    import config.database

    assert schema_revisions(hub.engine) == {head_revision()}
    with hub.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    upgraded = []
    monkeypatch.setattr(config.database, "_upgrade", upgraded.append)
    migrate(hub.engine)
    assert upgraded == [hub.engine]


def test_a_new_database_has_no_revision_and_stays_usable(tmp_path, database):
    engine = make_engine(database or f"sqlite:///{tmp_path / 'new.sqlite'}")
    try:
        assert schema_revisions(engine) == set()
        migrate(engine)  # a failed read left no broken transaction behind (PostgreSQL)
        assert schema_revisions(engine) == {head_revision()}
    finally:
        engine.dispose()


def test_the_role_help_names_every_role():
    from archive.record.members import ROLES
    from gateway.members_cli import ROLES_HELP

    assert f"One of {', '.join(ROLES)}." == ROLES_HELP
