"""A typed program that uses every public call of etna_auth.

`mypy --strict` and `pyright --strict` must accept it (test_typing.py), and
it runs against the sandbox, so every call here is a real one. The
``reveal``-style assignments with explicit types make the checkers compare
what the package declares with what a user expects.
"""

import asyncio
import logging
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Type

import etna_auth
from etna_auth import AsyncFactor, Factor, Session, Status, Step


def ask_pin(reason: str) -> Optional[str]:
    return "1234" if reason else None


async def ask_code(reason: str) -> Optional[str]:
    await asyncio.sleep(0)
    return "654321"


def step_by_step(s: Session) -> str:
    step: Step = s.begin_auth("dave", "dave-pass")
    while step is not Step.DONE:
        reason: str = s.reason
        if step is Step.NEED_PIN:
            step = s.supply_pin("4321" if reason else "")
        else:
            step = s.supply_code("654321")
    return s.token


def errors(s: Session) -> List[str]:
    seen: List[str] = []
    try:
        s.login("bob", "wrong-pass", pin="1234")
    except etna_auth.CredentialsError as exc:
        status: Status = exc.status
        name: str = exc.status.name
        message: str = exc.message
        retry: bool = exc.retry_can_help
        default: Status = etna_auth.CredentialsError.default_status
        seen.append(f"{status} {name} {message} {retry} {default} {s.base_url}")
    classes: List[Type[etna_auth.EtnaError]] = [
        etna_auth.InvalidArgumentError, etna_auth.StateError, etna_auth.AppKeyError,
        etna_auth.RejectedError, etna_auth.NetworkError, etna_auth.EtnaTimeoutError, etna_auth.ProtocolError,
        etna_auth.ServerError, etna_auth.EtnaIOError, etna_auth.TlsError, etna_auth.NoTokenError,
        etna_auth.EtnaCancelledError, etna_auth.InternalError, etna_auth.TimeoutError, etna_auth.CancelledError,
    ]
    seen += [cls.__name__ for cls in classes]
    described: str = Status.ERR_TIMEOUT.describe()
    seen.append(described)
    return seen


async def ask_password(reason: str) -> Optional[str]:
    await asyncio.sleep(0)
    return "dave-pass" if reason else None


async def with_asyncio(sb: etna_auth.Sandbox, store: Path) -> str:
    pin: AsyncFactor = "4321"
    async with Session(sb.url, sb.app_key) as s:
        same: Session = s
        token: str = await same.login_async("dave", "dave-pass", pin=pin, code=ask_code)
        password: AsyncFactor = ask_password
        acquired: str = await same.acquire_token_async("dave", password, pin=pin, code=ask_code, store=store, min_valid=60.0)
        return token if acquired else ""


def acquire(sb: etna_auth.Sandbox, folder: Path) -> bool:
    default: str = etna_auth.default_store()
    where: etna_auth.StoreSpec = folder / "tokens.json"
    with sb.session() as s:
        password: Factor = lambda reason: "alice-pass"  # noqa: E731
        first: str = s.acquire_token("alice", password, store=where)
        again: str = s.acquire_token("alice", store=str(where), min_valid=300)
        s.acquire_token("bob", "bob-pass", pin="1234", code=None, store=where)
        step: Step = Step.NEED_PASSWORD
        return first == again and default != "" and step.value == Status.NEED_PASSWORD


def main() -> int:
    logging.getLogger("etna_auth").setLevel(etna_auth.TRACE)
    path: Path = etna_auth.load_library().path
    version: str = etna_auth.library_version()
    number: int = etna_auth.library_version_number()
    timeout: float = etna_auth.DEFAULT_TIMEOUT
    print(path.name, version, number, timeout)
    try:
        etna_auth.load_library("/nonexistent/libetna_auth.so")
    except (etna_auth.LibraryNotFoundError, RuntimeError):
        pass
    with etna_auth.Sandbox({"max_attempts": 3}) as sb:
        url: str = sb.url
        key: str = sb.app_key
        with Session(url, key, timeout=10.0, ca_file=None) as s:
            pin: Factor = ask_pin
            token: str = s.login("bob", "bob-pass", pin=pin)
            header: Dict[str, str] = s.authorization_header
            expires: Optional[datetime] = s.expires_at
            print(token == s.token, "Authorization" in header, expires is not None)
            s.set_proxy(None)
            with tempfile.TemporaryDirectory() as tmp:
                cache = Path(tmp) / "tokens.json"
                s.save_token(cache)
                found: bool = s.load_token(str(cache), "bob", min_valid=60)
                etna_auth.forget_token(cache, url, "bob")
                print(found)
            s.end_login()
            print(step_by_step(s) != "")
            print(len(errors(s)))
            s.cancel()
            s.end_login()
        closed: bool = s.closed
        with sb.session(timeout=5) as s2:
            print(s2.login("alice", "alice-pass") != "")
        requests: int = sb.request_count
        connections: int = sb.connection_count
        print(closed, requests > 0, connections > 0)
        with tempfile.TemporaryDirectory() as tmp:
            print(asyncio.run(with_asyncio(sb, Path(tmp) / "tokens.json")) != "")
            print(acquire(sb, Path(tmp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
