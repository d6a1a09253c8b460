"""The FastAPI application of the platform (``create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from tdcoord import __version__
from tdcoord.service.idempotency import IdempotencyMiddleware
from tdcoord.service.platform import Platform
from tdcoord.service.problems import install_handlers
from tdcoord.service.routers import (
    auth,
    ders,
    events,
    figures,
    markets,
    orders,
    portfolios,
    prequal,
    results,
    settlement,
)

WEB = Path(__file__).with_name("web")


def create_app(plat: Platform, *, worker: bool = True) -> FastAPI:
    """The app serving ``plat``; with ``worker`` a background thread runs the clearing jobs
    (started with the app, after recovering jobs a crash left running)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if worker:
            from tdcoord.service.worker import Worker

            plat.worker = Worker(plat)
            plat.worker.start()
        try:
            yield
        finally:
            if plat.worker is not None:
                plat.worker.stop()
                plat.worker = None

    app = FastAPI(
        title="tdcoord platform", version=__version__, lifespan=lifespan,
        description="TSO–DSO flexibility platform: registry, markets, orders, clearing, "
        "settlement. See docs/platform.md.",
    )
    app.state.platform = plat
    install_handlers(app)
    app.add_middleware(IdempotencyMiddleware, store=plat.store)
    for r in (auth, ders, portfolios, prequal, markets, orders, results, settlement, events,
              figures):
        app.include_router(r.router)
    from tdcoord.service.umei.router import router as umei_router

    app.include_router(umei_router)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        import plotly

        return FileResponse(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                            media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app
