"""The web server behind `certprep serve`: textual-serve with an Origin check, TLS, and an
optional sign-in (serve_login) that gives each browser session its own learner."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from certprep.cli.serve_login import COOKIE, Accounts, Sessions, Throttle, login_page

log = logging.getLogger("textual-serve")


class CertprepServer(Server):
    """textual-serve's Server, with walls."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        public_url: str,
        origins: set[str],
        origin_of: Callable[[str], str],
        ssl_context: Any = None,
        accounts: Accounts | None = None,
        sessions: Sessions | None = None,
        command_for: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(command, host=host, port=port, title="certprep", public_url=public_url)
        self.origins = origins
        self.origin_of = origin_of
        self.ssl_context = ssl_context
        self.accounts = accounts
        self.sessions = sessions
        self.command_for = command_for
        self.secure_cookie = public_url.startswith("https://")
        self.throttle = Throttle()

    # -- logging: no tracebacks with local variables (they would show the environment) ------
    def initialize_logging(self) -> None:
        logging.basicConfig(
            level="DEBUG" if self.debug else "INFO",
            format="%(levelname)s %(name)s: %(message)s",
        )

    def _foreign(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        # a browser always sends Origin on a WebSocket and a form POST; others are refused
        if origin is not None and self.origin_of(origin) not in self.origins:
            log.warning("refused a request from origin %r (not this server's)", origin)
            return True
        return False

    def _session(self, request: web.Request) -> Any:
        if self.sessions is None:
            return None
        return self.sessions.get(request.cookies.get(COOKIE))

    # -- routes ------------------------------------------------------------------------------
    async def _make_app(self) -> web.Application:
        app: web.Application = await super()._make_app()
        if self.sessions is not None:
            app.router.add_get("/login", self.handle_login_form)
            app.router.add_post("/login", self.handle_login)
            app.router.add_get("/logout", self.handle_logout)
            app.router.add_post("/logout", self.handle_logout)
        return app

    async def handle_index(self, request: web.Request) -> Any:
        if self.sessions is not None and self._session(request) is None:
            raise web.HTTPFound("/login")
        return await super().handle_index(request)

    async def handle_login_form(self, request: web.Request) -> web.Response:
        return web.Response(text=login_page(), content_type="text/html")

    async def handle_login(self, request: web.Request) -> web.StreamResponse:
        assert self.accounts is not None and self.sessions is not None
        if self._foreign(request):
            raise web.HTTPForbidden(text="certprep: this page is not from this server\n")
        form = await request.post()
        name = str(form.get("name", "")).strip()
        password = str(form.get("password", ""))
        if self.throttle.blocked(name):
            log.warning("a sign-in refused: too many wrong passwords for one name")
            return web.Response(
                text=login_page("Too many wrong passwords: try again in a few minutes."),
                content_type="text/html",
                status=429,
            )
        loop = asyncio.get_running_loop()
        account = await loop.run_in_executor(None, self.accounts.check, name, password)
        if account is None:
            self.throttle.failed(name)
            log.warning("a failed sign-in")
            await asyncio.sleep(1)  # slows guessing on top of scrypt's own cost
            return web.Response(
                text=login_page("Wrong name or password."), content_type="text/html", status=401
            )
        self.throttle.succeeded(name)
        token = self.sessions.start(name, account.db)
        response = web.HTTPSeeOther("/")
        response.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
            max_age=int(self.sessions.lifetime),
            path="/",
        )
        return response

    async def handle_logout(self, request: web.Request) -> web.StreamResponse:
        assert self.sessions is not None
        session = self.sessions.end(request.cookies.get(COOKIE))
        if session is not None:
            for ws in list(session.sockets):  # the signed-out learner's apps stop too
                await ws.close()
        response = web.HTTPSeeOther("/login")
        response.del_cookie(COOKIE, path="/")
        return response

    async def handle_websocket(self, request: web.Request) -> Any:
        if self._foreign(request):
            raise web.HTTPForbidden(text="certprep: this page is not from this server\n")
        command = self.command
        session = None
        if self.sessions is not None:
            session = self._session(request)
            if session is None:
                raise web.HTTPForbidden(text="certprep: sign in first\n")
            assert self.command_for is not None
            command = self.command_for(session.name)  # this learner, whatever the tab says
        # textual-serve's handler, with the command of this session
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            if session is not None:
                session.sockets.append(websocket)
            service_class = AppService
            if session is not None and session.db:
                service_class = _with_database(session.db)
            app_service = service_class(
                command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,  # type: ignore[arg-type]
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(width, height)
            try:
                await self._process_messages(websocket, app_service)
            finally:
                await app_service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.error("the app ended with an error: %s", type(error).__name__)
        finally:
            if app_service is not None:
                await app_service.stop()
            if session is not None and websocket in session.sockets:
                session.sockets.remove(websocket)
        return websocket

    def serve(self, debug: bool = False) -> None:
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        except NotImplementedError:
            pass
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            ssl_context=self.ssl_context,
            print=lambda *args: None,
        )


def _with_database(db: str) -> type[AppService]:
    """An AppService whose app process connects with this learner's own database URL (their
    PostgreSQL role), passed in its environment like every database URL, never its arguments."""

    class LearnerAppService(AppService):
        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            env: dict[str, str] = super()._build_environment(width=width, height=height)
            env["CERTPREP_DB"] = db
            return env

    return LearnerAppService
