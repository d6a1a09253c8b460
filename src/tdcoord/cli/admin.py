"""``tdcoord admin``: parties and users of a platform store (the first admin is made here)."""

from __future__ import annotations

from pathlib import Path

import typer

from tdcoord.cli.common import console

app = typer.Typer(help="Administer a platform store (parties, users).", no_args_is_help=True)


@app.command("create-user")
def create_user_cmd(
    db: str = typer.Option(..., "--db", help="sqlite:///FILE or postgresql+psycopg://…"),
    party: str = typer.Option(..., "--party", help="Party name (created if new)"),
    role: str = typer.Option(..., "--role", help="admin, market_operator, tso, dso, fsp, "
                             "der_owner"),
    username: str = typer.Option(..., "--username", help="Login name"),
    password_file: str = typer.Option(..., "--password-file", help="File holding the password"),
) -> None:
    """Create a user (and its party) in the store at ``--db`` (migrated first)."""
    from tdcoord.cli.common import run_guarded

    def _run() -> None:
        from tdcoord.errors import TdcoordError
        from tdcoord.service.db import Store
        from tdcoord.service.migrate import upgrade
        from tdcoord.service.problems import Problem
        from tdcoord.service.users import create_user

        pw_path = Path(password_file)
        if not pw_path.is_file():
            raise TdcoordError(f"no password file {password_file}", where="--password-file",
                               fix="write the password to a file (one line)")
        password = pw_path.read_text().strip()
        upgrade(db)
        store = Store(db)
        try:
            with store.tx() as s:
                u = create_user(s, party=party, role=role, username=username,
                                password=password)
        except Problem as exc:
            raise TdcoordError(exc.detail, where="admin create-user", fix="see --help") from exc
        finally:
            store.dispose()
        console.print(f"created user {u.username!r} (id {u.id}) of party {party!r} as {role}")

    run_guarded(_run)
