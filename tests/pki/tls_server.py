#!/usr/bin/env python3
"""An https token endpoint on 127.0.0.1 with a certificate of tests/pki, for
the C test under Wine (tests/windows.sh), out of process on Python's ssl module.

    python3 tls_server.py CERT.pem KEY.pem

Prints "port N" once listening. Answers every request with the token JSON,
counting the requests before it answers: a line "count" on its standard input
gets "count N" back, N being the requests read so far. Exits when its standard
input reaches end of file (the test closes it, or dies).
"""
import socket
import ssl
import sys
import threading

OK_BODY = b'{"State":"Succeeded","Token":"tok-abc"}'
OK = (b"HTTP/1.1 200 X\r\nContent-Length: %d\r\nContent-Type: application/json\r\n\r\n"
      % len(OK_BODY)) + OK_BODY

out_lock = threading.Lock()
count_lock = threading.Lock()
requests = 0


def say(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def serve(ctx, conn):
    global requests
    try:
        conn.settimeout(10)
        with ctx.wrap_socket(conn, server_side=True) as tls:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = tls.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                _, buf = buf.split(b"\r\n\r\n", 1)
                with count_lock:
                    requests += 1
                tls.sendall(OK)
    except (OSError, ssl.SSLError):
        pass  # a refused handshake, or the client went away
    finally:
        conn.close()


def accept(ctx, listener):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(ctx, conn), daemon=True).start()


def main():
    cert, key = sys.argv[1], sys.argv[2]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    threading.Thread(target=accept, args=(ctx, listener), daemon=True).start()
    say("port %d" % listener.getsockname()[1])
    for line in sys.stdin:  # until the test closes our standard input
        if line.strip() == "count":
            with count_lock:
                n = requests
            say("count %d" % n)


if __name__ == "__main__":
    main()
