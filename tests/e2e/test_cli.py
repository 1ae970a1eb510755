"""The command line as an operator uses it: init, spaces, posts, status, retry, config errors."""

from __future__ import annotations

import json
import os
import subprocess

from tests.support.hubserver import HUBMAIL


def hubmail(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HUBMAIL, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_init_writes_a_working_demo_and_keeps_it(tmp_path):
    first = hubmail("init", str(tmp_path / "demo"))
    assert first.returncode == 0 and "hubmail serve" in first.stdout
    config = tmp_path / "demo" / "hubmail.toml"
    before = config.read_text()
    again = hubmail("init", str(tmp_path / "demo"))
    assert again.returncode == 0 and "keeping it" in again.stdout and config.read_text() == before
    [space] = json.loads(hubmail("spaces", "--json", "--config", str(config)).stdout)
    assert space["slug"] == "unece-review" and space["state"] == "open" and space["questions"] == 5
    assert set(space["question_texts"]["3"]) == {"en", "fr", "ru", "es"}
    assert space["languages"] == ["en", "fr", "ru", "es"]


def test_config_is_found_through_the_environment_and_the_working_folder(tmp_path):
    hubmail("init", str(tmp_path))
    here = hubmail("spaces", "--json", cwd=tmp_path)
    assert here.returncode == 0 and json.loads(here.stdout)[0]["slug"] == "unece-review"
    elsewhere = subprocess.run(
        [HUBMAIL, "spaces", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "HUBMAIL_CONFIG": str(tmp_path / "hubmail.toml")},
    )
    assert json.loads(elsewhere.stdout)[0]["slug"] == "unece-review"


def test_configuration_errors_name_file_key_and_problem(tmp_path):
    hubmail("init", str(tmp_path))
    config = tmp_path / "hubmail.toml"
    config.write_text(config.read_text().replace('protocol = "smtp"', 'protocol = "smtp"\nspeed = 3'))
    result = hubmail("status", "--config", str(config))
    assert result.returncode == 78
    assert f"{config}: smtp.speed: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_and_posts_on_an_empty_hub(tmp_path):
    hubmail("init", str(tmp_path))
    config = str(tmp_path / "hubmail.toml")
    status = json.loads(hubmail("status", "--json", "--config", config).stdout)
    assert status == {
        "worker": {"state": "running"},
        "spool_pending": 0,
        "failed": [],
        "posts": {},
        "outbox": {},
        "imap": [],
    }
    assert json.loads(hubmail("posts", "--json", "--config", config).stdout) == []
    table = hubmail("posts", "--config", config)
    assert table.returncode == 0 and "subject" in table.stdout


def test_members_summary_and_report_from_the_command_line(tmp_path):
    hubmail("init", str(tmp_path))
    config = str(tmp_path / "hubmail.toml")
    csv_file = tmp_path / "stakeholders.csv"
    csv_file.write_text(
        "address,name,organisation,role\nana@ngo.example,Ana,Red Cross,\nbad,,,\nmo@gov.example,,,reader\n"
    )
    imported = hubmail("members", "import", "--space", "unece-review", str(csv_file), "--config", config)
    assert imported.returncode == 1 and "added 2" in imported.stdout and "line 3: 'bad'" in imported.stderr
    listed = json.loads(
        hubmail("members", "list", "--space", "unece-review", "--json", "--config", config).stdout
    )
    assert {(m["address"], m["role"]) for m in listed} >= {
        ("ana@ngo.example", "member"),
        ("mo@gov.example", "reader"),
    }
    empty = hubmail("report", "unece-review", "--config", config)
    assert empty.returncode == 1 and "no published contributions" in empty.stderr
    text = tmp_path / "summary.txt"
    text.write_text("Forty organisations wrote.\n")
    refused = hubmail(
        "summary", "publish", "unece-review", str(text), "--from", "ana@ngo.example", "--config", config
    )
    assert refused.returncode == 1 and "not a moderator" in refused.stderr
    published = hubmail("summary", "publish", "unece-review", str(text), "--approve", "--config", config)
    assert published.returncode == 0 and "held" in published.stdout and "approved" in published.stdout
    wrong = hubmail("report", "unece-review", "--format", "pdf", "--config", config)
    assert wrong.returncode == 2 and "'pdf' is not a report format" in wrong.stderr
    missing = hubmail("summary", "publish", "unece-review", str(tmp_path / "nowhere.txt"), "--config", config)
    assert (
        missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    )
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("ana@ngo.example,Ana Peña\n".encode("latin-1"))
    refused = hubmail("members", "import", "--space", "unece-review", str(latin), "--config", config)
    assert refused.returncode == 1 and "is not UTF-8" in refused.stderr
    nowhere = hubmail("report", "unece-review", "--out", str(tmp_path / "no" / "r.md"), "--config", config)
    assert nowhere.returncode == 1 and "cannot write" in nowhere.stderr and "Traceback" not in nowhere.stderr


def test_the_command_line_says_what_people_expect(tmp_path):
    hubmail("init", str(tmp_path))
    config = str(tmp_path / "hubmail.toml")
    helped = hubmail("posts", "--help").stdout
    assert "--json " in helped and "<bool>" not in helped  # a flag is shown as a flag
    assert "[[imap]]" in hubmail("imap", "--help").stdout  # written as in the configuration
    wrong = hubmail("posts", "--status", "approved", "--config", config)
    assert wrong.returncode == 2 and "held, published, rejected, discarded" in wrong.stderr
    nowhere = hubmail("holds", "--space", "nowhere", "--config", config)
    assert nowhere.returncode == 2 and "unece-review" in nowhere.stderr
    piped = hubmail("spaces", "--config", config).stdout.splitlines()  # captured: not a terminal
    assert piped[0].split("\t")[:2] == ["slug", "title"] and "Stakeholder Discussion" in piped[1]
    sent = hubmail("digest", "send", "--config", config).stdout
    assert "queued 0 daily digest(s)" in sent and "queued 0 weekly digest(s)" in sent  # every mode
