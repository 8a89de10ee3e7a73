"""HTTP helpers shared by the model server and the gateway (same error shape, same admin auth)."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse

from stack.validation import RequestRejected


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def check_admin_token(request: Request, expected: str | None) -> JSONResponse | None:
    """401 without a token, 403 with a wrong one (or when the admin API was not enabled)."""
    supplied = request.headers.get("x-admin-token")
    if supplied is None:
        return error_response(401, "missing X-Admin-Token header")
    if expected is None or not hmac.compare_digest(supplied.encode(), expected.encode()):
        return error_response(403, "invalid admin token")
    return None


async def read_limited_body(request: Request, max_bytes: int) -> bytes:
    """Read the body but stop at `max_bytes`, so an oversized upload costs neither memory nor a 500."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise RequestRejected(413, f"body of {declared} bytes exceeds the limit of {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise RequestRejected(413, f"body exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
