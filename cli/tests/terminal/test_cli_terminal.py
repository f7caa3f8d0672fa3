"""The etna-auth CLI as a person uses it: driven in a pseudo-terminal.

Checks that prompts go to the terminal (not stdout), that nothing typed is
echoed, that Ctrl-C cancels cleanly with exit code 130, and the token cache
and --json output. Needs target/release/etna-auth (the test command builds it).
"""
import json
import os
import pty
import select
import signal
import socket
import subprocess
import termios
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BINARY = Path(os.environ.get("ETNA_AUTH_CLI", ROOT / "target" / "release" / "etna-auth"))


@pytest.fixture(scope="module")
def sandbox():
    proc = subprocess.Popen([str(BINARY), "sandbox", "--port", "0"], stdout=subprocess.PIPE, text=True)
    values = {}
    while len(values) < 2:
        line = proc.stdout.readline()
        assert line, "the sandbox exited"
        key, _, value = line.strip().partition("=")
        if key in ("ETNA_BASE_URL", "ETNA_APP_KEY"):
            values[key] = value
    yield values
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


class Terminal:
    """etna-auth in a pty (its controlling terminal); stdout to a pipe, as in TOKEN=$(...)."""

    def __init__(self, args, env, stdin=None):
        """stdin: bytes on a pipe as standard input, else the terminal."""
        out_r, out_w = os.pipe()
        if stdin is not None:
            in_r, in_w = os.pipe()
        pid, self.master = pty.fork()
        if pid == 0:  # child
            os.dup2(out_w, 1)
            os.close(out_r)
            if stdin is not None:
                os.dup2(in_r, 0)
                os.close(in_w)
            os.execve(str(BINARY), [str(BINARY)] + args, env)
        os.close(out_w)
        if stdin is not None:
            os.close(in_r)
            os.write(in_w, stdin)
            os.close(in_w)
        self.pid, self.stdout_fd = pid, out_r
        self.screen = b""

    def read_until(self, needle, timeout=10.0):
        deadline = time.monotonic() + timeout
        while needle.encode() not in self.screen:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {needle!r}; screen: {self.screen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"terminal closed before {needle!r}; screen: {self.screen!r}"
                self.screen += chunk
        return self.screen

    def type(self, text):
        os.write(self.master, text.encode())

    def type_secret(self, text, timeout=10.0):
        """Type once the CLI has turned echo off for its prompt, as a person
        who waits for the prompt does: the tty itself echoes typeahead."""
        deadline = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ECHO:
            assert time.monotonic() < deadline, f"echo never went off; screen: {self.screen!r}"
            self._drain()
            time.sleep(0.005)
        self.type(text)

    def finish(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            assert time.monotonic() < deadline, "the CLI did not exit"
            self._drain()
            time.sleep(0.02)
        self._drain()
        out = b""
        while True:
            chunk = os.read(self.stdout_fd, 4096)
            if not chunk:
                break
            out += chunk
        os.close(self.stdout_fd)
        os.close(self.master)
        return os.waitstatus_to_exitcode(status), out.decode(), self.screen.decode(errors="replace")

    def _drain(self):
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.screen += chunk


def env_for(sandbox, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETNA_")}
    env.update(sandbox)
    env.update(extra)
    return env


def token_of(term):
    """The token a run printed (one line on stdout) once it exits 0, and the
    terminal's screen."""
    code, out, screen = term.finish()
    assert code == 0, screen
    token = out.strip()
    assert len(token) > 10 and "\n" not in token
    return token, screen


def test_password_and_code_prompts_are_not_echoed(sandbox):
    term = Terminal(["login", "--username", "carol"], env_for(sandbox))
    term.read_until("Password for carol: ")
    term.type_secret("carol-pass\n")
    term.read_until("Verification code")
    term.type_secret("000000\n")
    # The answer comes after the CLI restored echo, so the next echo-off is
    # the second prompt's.
    term.read_until("Invalid verification code")
    term.type_secret("123456\n")
    token, screen = token_of(term)
    for typed in ("carol-pass", "000000", "123456"):
        assert typed not in screen, f"{typed!r} was echoed: {screen!r}"
    assert token not in screen, "the token goes to stdout, not the terminal"


def test_password_from_stdin_and_the_pin_from_the_terminal(sandbox):
    term = Terminal(["login", "--username", "bob", "--password-stdin"], env_for(sandbox), stdin=b"bob-pass\n")
    term.read_until("Security PIN: ")
    term.type_secret("1234\n")
    code, out, screen = term.finish()
    assert code == 0, screen
    assert len(out.strip()) > 10
    assert "Password" not in screen and "1234" not in screen


def test_end_of_input_at_the_pin_prompt_gives_up_with_13(sandbox):
    term = Terminal(["login", "--username", "bob"], env_for(sandbox, ETNA_PASSWORD="bob-pass"))
    term.read_until("Security PIN: ")
    term.type_secret("\x04")  # Ctrl-D
    code, out, screen = term.finish()
    assert code == 13, screen
    assert out == ""
    assert "the login was abandoned: no PIN was given" in screen


def test_a_pin_refused_for_good_exits_5(sandbox):
    term = Terminal(["login", "--username", "bob"], env_for(sandbox, ETNA_PASSWORD="bob-pass"))
    for attempt in range(3):  # the sandbox's max_attempts
        term.read_until("Security PIN: " if attempt == 0 else "Invalid pin")
        term.screen = b""
        term.type_secret("0000\n")
    code, out, screen = term.finish()
    assert code == 5, screen
    assert out == ""


def silent_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)  # never answered

    threading.Thread(target=accept, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/api"


def test_ctrl_c_during_the_network_wait_cancels_with_130_and_no_cache(sandbox, tmp_path):
    listener, url = silent_server()
    cache = tmp_path / "tokens.json"
    env = env_for(sandbox, ETNA_BASE_URL=url, ETNA_PASSWORD="alice-pass")
    term = Terminal(["login", "--username", "alice", "--cache", str(cache)], env)
    term.read_until("waiting for the server", timeout=10)
    sent = time.monotonic()
    term.type("\x03")
    code, out, screen = term.finish()
    elapsed = time.monotonic() - sent
    listener.close()
    assert code == 130, screen
    assert out == ""
    assert elapsed < 2.0, elapsed
    assert not cache.exists()
    assert [p.name for p in tmp_path.iterdir() if "tmp" in p.name] == []


def test_ctrl_c_at_the_password_prompt_restores_echo(sandbox):
    term = Terminal(["login", "--username", "alice"], env_for(sandbox))
    term.read_until("Password for alice: ")
    term.type("\x03")
    # Read the terminal's settings before the pty goes away.
    deadline = time.monotonic() + 5
    while True:
        pid, status = os.waitpid(term.pid, os.WNOHANG)
        if pid:
            break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    attrs_after = termios.tcgetattr(term.master)
    os.close(term.master)
    os.close(term.stdout_fd)
    assert os.waitstatus_to_exitcode(status) == 130
    assert attrs_after[3] & termios.ECHO, "echo is back on"


def test_token_cache_skips_the_prompts_and_logout_forgets(sandbox, tmp_path):
    cache = tmp_path / "tokens.json"
    env = env_for(sandbox, ETNA_PASSWORD="alice-pass")
    first = subprocess.run([str(BINARY), "login", "--username", "alice", "--cache", str(cache), "--json"],
                           env=env, capture_output=True, text=True, start_new_session=True)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert set(data) == {"token", "expires_at", "expires_in"}
    assert data["expires_at"] > time.time() + 86000
    assert 86000 < data["expires_in"] <= 86400
    assert abs(data["expires_at"] - data["expires_in"] - time.time()) < 60
    assert oct(cache.stat().st_mode & 0o777) == "0o600"
    # Cached: no password needed, and the same token.
    env_no_password = env_for(sandbox)
    second = subprocess.run([str(BINARY), "login", "--username", "alice", "--cache", str(cache)],
                            env=env_no_password, capture_output=True, text=True, start_new_session=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == data["token"]
    out = subprocess.run([str(BINARY), "logout", "--username", "alice", "--cache", str(cache)],
                         env=env_no_password, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    third = subprocess.run([str(BINARY), "login", "--username", "alice", "--cache", str(cache)],
                           env=env_no_password, capture_output=True, text=True, start_new_session=True)
    assert third.returncode == 1, "must prompt now, and there is no terminal"
    assert "terminal" in third.stderr


def test_token_asks_the_password_only_when_a_login_is_needed(sandbox, tmp_path):
    store = tmp_path / "tokens.json"
    args = ["token", "--username", "carol", "--store", str(store)]
    term = Terminal(args, env_for(sandbox))
    term.read_until("Password for carol: ")
    term.type_secret("carol-pass\n")
    term.read_until("Verification code")
    term.type_secret("123456\n")
    token, screen = token_of(term)
    assert "carol-pass" not in screen and "123456" not in screen and token not in screen
    # Stored: the second run asks nothing and prints the same token.
    term = Terminal(args, env_for(sandbox))
    code, out, screen = term.finish()
    assert code == 0, screen
    assert out.strip() == token
    assert screen == "", screen
    status = subprocess.run([str(BINARY), "status", "--store", str(store)],
                            capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    assert "carol at " in status.stdout and "expires in 2" in status.stdout and " UTC" in status.stdout
    assert token not in status.stdout


def test_token_no_prompt_asks_nothing_even_on_a_terminal(sandbox, tmp_path):
    term = Terminal(["token", "--username", "carol", "--store", str(tmp_path / "t.json"), "--no-prompt"],
                    env_for(sandbox))
    code, out, screen = term.finish()
    assert code == 12, screen
    assert out == ""
    assert "Password" not in screen and "--no-prompt" in screen


def test_help_lists_the_exit_codes():
    # cli/tests/cli.rs checks the list against the status table.
    out = subprocess.run([str(BINARY), "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for needle in ("130 interrupted", "13 cancelled", "12 no valid token", "--cache", "--store", "--json",
                   "--password-stdin", "--no-prompt", "token", "status", "logout"):
        assert needle in out.stdout
