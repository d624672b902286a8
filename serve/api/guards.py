"""What stands between the internet and the model: body size limit, API key, error answers.

Every error the API gives is JSON ``{"detail": "<readable message>"}`` (validation errors add
``errors``, one entry per field), and no error ever carries a traceback or the input back.
"""

from __future__ import annotations

import logging
import secrets

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class BodyTooLarge(HTTPException):
    """Raised while the body streams in, once it passes the limit (FastAPI re-raises HTTPException)."""

    def __init__(self, limit: int):
        super().__init__(413, detail=body_limit_message(limit))


def body_limit_message(limit: int) -> str:
    return (f"request body too large: the limit is {limit} bytes (RASD_MAX_BODY_BYTES); "
            "split the texts over several requests")


class BodySizeLimitMiddleware:
    """Pure ASGI middleware: refuse bodies over ``limit`` bytes with 413, before any parsing.

    A declared ``Content-Length`` over the limit is refused without reading a byte; a body sent
    without one (chunked) is counted as it streams and refused as soon as it passes the limit,
    so the server never buffers more than ``limit`` bytes of it.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.limit
            except ValueError:
                await self._refuse(send, 400, "invalid Content-Length header")
                return
            if too_large:
                await self._refuse(send, 413, body_limit_message(self.limit))
                return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as error:
            # Raised outside FastAPI's body parsing (e.g. a route that streams); answer it here.
            if response_started:
                raise
            await self._refuse(send, 413, error.detail)

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        response = JSONResponse({"detail": detail}, status_code=status, headers={"connection": "close"})
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


# -- API key -------------------------------------------------------------------------------------

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="required on /predict and /reload when RASD_API_KEY is set")


def check_api_key(expected: str | None, given: str | None) -> None:
    """Raise 401 unless no key is configured or ``given`` equals it (constant-time compare)."""
    if expected is None:
        return
    if given is None or not secrets.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode()):
        raise HTTPException(401, detail="missing or wrong API key: send it in the X-API-Key header",
                            headers={"WWW-Authenticate": "X-API-Key"})


# -- error handlers -----------------------------------------------------------------------------

def _field(location: tuple) -> str:
    """('body', 'texts', 3) -> 'texts[3]'; the 'body' prefix says nothing to the caller."""
    parts = [part for part in location if part != "body"] if len(location) > 1 else list(location)
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def _describe(error: dict) -> dict:
    field = _field(tuple(error.get("loc", ())))
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "json_invalid":
        field, message = "body", f"invalid JSON ({(error.get('ctx') or {}).get('error', 'cannot be parsed')})"
    elif error.get("type") == "extra_forbidden":
        message = 'unknown field; send "text" (and "date") or "texts" (and "dates")'
    elif field == "body" and error.get("type") in ("missing", "model_attributes_type", "dict_type"):
        message = 'a JSON object with "text" or "texts" is required'
    return {"field": field, "message": message.removeprefix("Value error, "), "type": error.get("type")}


async def validation_error_handler(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 naming each bad field, e.g. ``texts[2]: Input should be a valid string``; never echoes input."""
    errors = [_describe(item) for item in error.errors()]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors) or "invalid request"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


async def http_error_handler(request: Request, error: StarletteHTTPException):
    """FastAPI's own handling, except a body that is not UTF-8: that is invalid JSON (RFC 8259), 422."""
    cause = error.__cause__
    if error.status_code == 400 and isinstance(cause, UnicodeDecodeError):
        detail = f"body: invalid JSON (not UTF-8: byte 0x{cause.object[cause.start]:02x} at position {cause.start})"
        return JSONResponse({"detail": detail, "errors": [{"field": "body", "message": detail[6:],
                                                           "type": "json_invalid"}]}, status_code=422)
    return await http_exception_handler(request, error)


async def unexpected_error_handler(request: Request, error: Exception) -> JSONResponse:
    """500 with a bland message; the traceback goes to the server log only."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error; it has been logged on the server"}, status_code=500)
