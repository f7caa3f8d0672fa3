#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/seeds/<target>/ from the answers and
examples documented in ../shared/PROTOCOL.md (and the C ABI's contract).
Run once; the output is committed. fuzz/run.sh uses the seeds as read-only
input next to a working corpus in fuzz/corpus/ (not committed)."""
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# The documented answers (PROTOCOL.md, "Answers"), plus the cases the
# contract names: app key error under several statuses, redirects, 5xx,
# 429, unknown step, bad tokens.
ANSWERS = [
    (200, None, '{"State":"Succeeded","Token":"VGhpcyBpcyBleGFtcGxlIHRva2Vu..."}'),
    (202, None, '{"State":"Expecting","Step":"VerificationCode","Reason":"Expecting confirmation code","Token":"interim-1"}'),
    (202, None, '{"Step":"SecutityPin","Reason":"Invalid pin","State":"Expecting","Token":"interim-2"}'),
    (202, None, '{"Step":"SecurityPin","State":"Expecting","Token":"t"}'),
    (401, None, '{"State":"Failed","Step":"BaseAuthentication","Reason":"Invalid credentials"}'),
    (401, None, '{"State":"Failed","Step":"SecutityPin","Reason":"Invalid pin"}'),
    (401, None, '{"State":"Failed","Step":"VerificationCode","Reason":"Corrupted ticket"}'),
    (400, None, '{"error":"Application key is not defined or does not exist"}'),
    (401, None, '{"error":"Application key is not defined or does not exist"}'),
    (500, None, '{"error":"Application key is not defined or does not exist"}'),
    (302, "https://evil.example/api/token", ""),
    (301, None, ""),
    (500, None, "<html>Internal Server Error</html>"),
    (503, None, ""),
    (429, None, '{"Reason":"slow down"}'),
    (202, None, '{"State":"Expecting","Step":"FaceScan","Token":"t"}'),
    (202, None, '{"State":"Expecting","Token":"t"}'),
    (200, None, '{"State":"Succeeded"}'),
    (200, None, '{"State":"Succeeded","Token":""}'),
    (200, None, '{"State":"Succeeded","Token":"a\\r\\nSet-Cookie: x"}'),
    (200, None, '{"State":"Succeeded","Token":"t\\u00f6k"}'),
    (200, None, '{"state":"Succeeded","token":"abc"}'),
    (200, None, '{"State":"Pending","Token":"t"}'),
    (200, None, "[1,2]"),
    (200, None, "not json"),
    (404, None, '{"Message":"nope"}'),
    (411, None, '{"error":"Length Required"}'),
]

HEADER_VALUES = [
    "sandbox-app-key", "alice", "alice-pass", "1234", "123456",
    "j\u00fcrgen", "p\u00e4ssw\u00f6rd-\u00df", "Bearer interim-1",
    "a\rb", "a\nb", "a\0b", "a\tb", "a\x7fb", "a\u0085b", "a\u2028b", "",
]

BASE_URLS = [
    "https://pub-api-et-demo-prod.etnasoft.us/api",
    "https://pub-api-et-demo-prod.etnasoft.us/api/",
    "https://h.example:8443/",
    "https://h.example",
    "http://127.0.0.1:8080/api",
    "http://localhost:1/api",
    "http://[::1]:8080/api",
    "http://[::ffff:127.0.0.1]/api",
    "https://user:pw@h.example/api",
    "https://h.example/api?x=1",
    "https://h.example/api#frag",
    "http://10.0.0.1/api",
    "http://127.0.0.1.evil.example/api",
    "ftp://h.example/api",
    "https:///api",
    "not a url",
]

SANDBOX_CONFIGS = [
    "{}",
    '{"app_key": "k", "port": 0, "max_attempts": 3, "accounts": [{"username": "u", "password": "p", "pin": "1234", "code": "123456"}]}',
    '{"accounts": [{"username": "alice", "password": "alice-pass"}, {"username": "bob", "password": "bob-pass", "pin": "1234"}]}',
    '{"accounts": [{"username": "j\u00fcrgen", "password": "p\u00e4ssw\u00f6rd-\u00df"}]}',
    '{"max_attempts": 0}',
    '{"app_key": ""}',
    '{"unknown": 1}',
    '{"accounts": [{"username": "a", "password": "x"}, {"username": "a", "password": "y"}]}',
    '{"accounts": [{"username": "a", "password": "secret-password-1", "extra": true}]}',
]

TOKEN_CACHES = [
    json.dumps({"format": "etna-auth token cache", "version": 1, "entries": [
        {"base_url": "https://h.example/api", "username": "alice",
         "token": "VGhpcyBpcyBleGFtcGxlIHRva2Vu", "expires_at": 1900000000}]}, indent=2),
    json.dumps({"format": "etna-auth token cache", "version": 1, "entries": []}),
    json.dumps({"format": "something else", "version": 1, "entries": []}),
    json.dumps({"format": "etna-auth token cache", "version": 2, "entries": []}),
    "{",
    "",
]

PROXIES = [
    b"http://proxy.example:3128\xff\xffh.example",
    b"http://user:secret-pw@proxy.example:3128\xffexample.com,.internal\xffapi.example.com",
    b"https://proxy.example\xff*\xff127.0.0.1",
    b"http://[::1]:8080/\xff10.0.0.1\xff10.0.0.1",
    b"socks5://x\xff\xff",
]


def write(target, items):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    for item in items:
        data = item.encode() if isinstance(item, str) else item
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def classify_input(status, location, body):
    head = struct.pack(">H", status)
    if location is None:
        return head + bytes([255]) + body.encode()
    loc = location.encode()
    return head + bytes([len(loc)]) + loc + body.encode()


write("classify", [classify_input(*a) for a in ANSWERS])
write("header_value", HEADER_VALUES)
write("base_url", BASE_URLS)
write("sandbox_config", SANDBOX_CONFIGS)
write("token_cache", TOKEN_CACHES)
write("proxy_url", PROXIES)
