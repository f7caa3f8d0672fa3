"""Deliberate type errors: `mypy --strict` and `pyright` must report each
line marked ``# error`` (test_typing.py checks every one), so that the type
check of example_typed.py can fail."""

import asyncio

import etna_auth


async def main() -> None:
    with etna_auth.Session("http://127.0.0.1:1/api", "k") as s:
        s.no_such_method()  # error: the context manager gives a Session, not Any
        token: int = s.login("u", "p")  # error: login returns str
        s.login("u", "p", pin=1234)  # error: a factor is a str or a callable
        s.login_async("u", "p").upper()  # error: login_async is a coroutine
        s.begin_auth("u")  # error: the password is missing
        at: int = s.expires_at  # error: an Optional[datetime]
        s.acquire_token("u", store=1)  # error: a store is a path, "keyring" or None
        got: bytes = s.acquire_token("u", "p")  # error: acquire_token returns str
        s.acquire_token("u", password=b"p")  # error: a password is a str or a callable
    async with etna_auth.Sandbox() as sb:
        sb.login("u", "p")  # error: a Sandbox has no login
    status: str = etna_auth.Status.OK  # error: a Status, not a str
    retry: str = etna_auth.NetworkError("x").retry_can_help  # error: a bool
    code: str = etna_auth.NetworkError("x").status  # error: a Status, never a str
    url: int = etna_auth.Session("http://127.0.0.1:1/api", "k").base_url  # error: a str
    print(token, at, got, status, retry, code, url)


asyncio.run(main())
