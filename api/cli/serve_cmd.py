"""``fonet serve`` and ``fonet tokens``."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import engine, err_console, handle_errors, print_json, tr

tokens_app = typer.Typer(help="API tokens of the HTTP service.", no_args_is_help=True)


@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.", min=1, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the REST API, the web map and live events, polling devices in the same process.

    OpenAPI at /docs, health at /healthz, the map at /map/. Requests carry 'Authorization:
    Bearer TOKEN' (see `fonet tokens create`). Settings: FONET_DB_URL, FONET_BASEMAP_URL,
    FONET_POLL_INTERVAL_S.
    """
    import logging

    import uvicorn

    from api.app import ServiceSettings, create_app
    from fonet.store import require_current

    settings = ServiceSettings()
    eng = engine()
    require_current(eng)
    eng.dispose()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    err_console.print(tr("cli.serve.serving", url=f"http://{host}:{port}/"), highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level,
                proxy_headers=False)


@tokens_app.command("create")
@handle_errors
def tokens_create(
    role: Annotated[str, typer.Option(help="viewer, engineer or admin.")],
    name: Annotated[str | None, typer.Option(help="What the token is for [default: "
                                                  "ROLE-ID].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an API token and print it: it is shown this once, only its hash is stored."""
    from api.auth import create_token, token_info
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        row, token = create_token(s, role, name)
        info = token_info(row)
    if as_json:
        print_json({**info, "token": token})
        return
    err_console.print(tr("cli.token.created", id=info["id"], name=info["name"],
                         role=info["role"]), highlight=False)
    typer.echo(token)


@tokens_app.command("list")
@handle_errors
def tokens_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
                ) -> None:
    """List tokens: id, name, role, created, last used, revoked (never the tokens)."""
    from api.auth import list_tokens, token_info
    from fonet.store import reader, require_current

    eng = engine()
    require_current(eng)
    with reader(eng) as s:
        rows = [token_info(t) for t in list_tokens(s)]
    if as_json:
        print_json(rows)
        return
    for t in rows:
        state = (tr("cli.token.revoked_at", at=t["revoked_at"]) if t["revoked_at"] else
                 tr("cli.token.active"))
        typer.echo(tr("cli.token.row", id=t["id"], name=t["name"], role=t["role"],
                      created=t["created_at"], used=t["last_used_at"] or tr("cli.token.never"),
                      state=state))


@tokens_app.command("revoke")
@handle_errors
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="Token id (see `fonet tokens "
                                                                "list`).")]) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    from api.auth import revoke_token
    from fonet.store import require_current, transaction

    eng = engine()
    require_current(eng)
    with transaction(eng) as s:
        row = revoke_token(s, token_id)
        name = row.name
    err_console.print(tr("cli.token.revoked", id=token_id, name=name), highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``fonet serve`` and ``fonet tokens`` to ``app``."""
    app.command()(serve)
    app.add_typer(tokens_app, name="tokens")
