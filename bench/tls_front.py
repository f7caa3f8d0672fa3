#!/usr/bin/env python3
"""A small TLS-terminating front for the sandbox (benchmark only).

    tls_front.py CERT.pem KEY.pem UPSTREAM_HOST UPSTREAM_PORT

Listens on 127.0.0.1 (a free port, printed as ``PORT=<n>`` on stdout), and
for every TLS connection it accepts and completes the handshake for, opens
exactly one plain TCP connection to the upstream (the sandbox) and relays
bytes both ways until either side closes. So the sandbox's connection count
is also the count of TLS connections. One thread per connection, blocking
sockets; the TLS work on the server side costs this process, not the client
being measured. Stops on EOF of stdin.
"""
import select
import socket
import ssl
import sys
import threading


def relay(raw: socket.socket, ctx: ssl.SSLContext, upstream: tuple) -> None:
    tls = up = None
    try:
        tls = ctx.wrap_socket(raw, server_side=True)
        up = socket.create_connection(upstream)
        up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            ready = [tls] if tls.pending() else select.select([tls, up], [], [])[0]
            for src in ready:
                dst = up if src is tls else tls
                data = src.recv(65536)
                if not data:
                    return
                dst.sendall(data)
    except (OSError, ssl.SSLError):
        return
    finally:
        for s in (tls, up, raw):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


def main() -> None:
    cert, key, host, port = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print(f"PORT={listener.getsockname()[1]}", flush=True)

    def accept_loop() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=relay, args=(raw, ctx, (host, int(port))), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    sys.stdin.read()  # until the driver closes our stdin


if __name__ == "__main__":
    main()
