"""``tdcoord admin create-user`` and ``tdcoord serve`` (loopback rule, demo store)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tdcoord.cli import app
from tdcoord.cli.serve import is_loopback
from tdcoord.service.db import Store
from tdcoord.service.models import Party, User
from tests.service.live import serving

runner = CliRunner()


def test_admin_create_user_makes_party_and_user(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    pw = tmp_path / "pw.txt"
    pw.write_text("correct horse\n")
    args = ["admin", "create-user", "--db", db, "--party", "Operator", "--role", "admin",
            "--username", "alice", "--password-file", str(pw)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    store = Store(db)
    with store.read() as s:
        user = s.query(User).filter_by(username="alice").one()
        party = s.get(Party, user.party_id)
        assert party is not None and party.role == "admin"
        assert user.password_hash.startswith("$argon2") and not user.demo
    store.dispose()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "exists" in again.output


@pytest.mark.parametrize(("role", "file_ok", "needle"), [
    ("wizard", True, "unknown role"),
    ("admin", False, "no password file"),
])
def test_admin_create_user_bad_input(tmp_path: Path, role: str, file_ok: bool,
                                     needle: str) -> None:
    pw = tmp_path / "pw.txt"
    if file_ok:
        pw.write_text("pw12345")
    r = runner.invoke(app, ["admin", "create-user", "--db", f"sqlite:///{tmp_path / 'a.db'}",
                            "--party", "P", "--role", role, "--username", "u",
                            "--password-file", str(pw)])
    assert r.exit_code == 2 and needle in r.output


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_bad_db_url_is_a_clear_error(tmp_path: Path) -> None:
    r = runner.invoke(app, ["serve", "--db", "mysql://x/y", "--port", "1"])
    assert r.exit_code == 2 and "unsupported database URL" in r.output


@pytest.mark.slow
def test_serve_demo_has_an_open_session_and_demo_users(tmp_path: Path) -> None:
    with serving(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path / "log.txt", demo=True) as srv:
        tok = httpx.post(f"{srv.url}/api/v1/auth/token",
                         data={"username": "fsp1", "password": "demo"}).json()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        markets = httpx.get(f"{srv.url}/api/v1/markets", headers=h).json()
        sessions = httpx.get(f"{srv.url}/api/v1/markets/{markets[0]['id']}/sessions",
                             headers=h).json()
        assert sessions[0]["state"] == "open" and sessions[0]["stage"] == "day_ahead"
        assert len(httpx.get(f"{srv.url}/api/v1/portfolios", headers=h).json()) >= 1
        for user in ("admin", "mo", "tso", "dso", "fsp2"):
            r = httpx.post(f"{srv.url}/api/v1/auth/token",
                           data={"username": user, "password": "demo"})
            assert r.status_code == 200
    assert "loopback" in (tmp_path / "log.txt").read_text()
