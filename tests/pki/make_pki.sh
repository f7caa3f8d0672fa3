#!/usr/bin/env bash
# Regenerates the one test PKI of every language's TLS scenarios
# (tests/scenarios/scenarios.json). Run from anywhere; rewrites the files
# beside this script. Needs openssl 1.1.1+. The files are committed: the tests
# never run this.
#
#   ca.pem, ca.key                 the test CA ("etna-auth test CA"), 100 years
#   server.pem, server.key         signed by it for localhost and 127.0.0.1
#   wrong-name.pem, wrong-name.key signed by it for wrong-name.example only
#   other-ca.pem                   an unrelated CA that signed nothing here
#   not-a-cert.pem                 a file with no certificate in it
#   empty.pem                      an empty file
set -euo pipefail
cd "$(dirname "$0")"
days=36500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
ca() { # KEY PEM CN
    ec "$1"
    openssl req -x509 -new -key "$1" -out "$2" -days $days -subj "/CN=$3" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash"
}
leaf() { # NAME CN SAN
    ec "$1.key"
    openssl req -new -key "$1.key" -out "$tmp/$1.csr" -subj "/CN=$2"
    cat >"$tmp/$1.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$3
authorityKeyIdentifier=keyid
EXT
    openssl x509 -req -in "$tmp/$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -CAserial "$tmp/ca.srl" -out "$1.pem" -days $days -extfile "$tmp/$1.ext"
}
ca ca.key ca.pem "etna-auth test CA"
leaf server localhost "DNS:localhost,IP:127.0.0.1"
leaf wrong-name wrong-name.example "DNS:wrong-name.example"
ca "$tmp/other-ca.key" other-ca.pem "etna-auth other test CA"
printf 'no certificate here\n' >not-a-cert.pem
: >empty.pem
# PKCS#8 keys, readable by every TLS stack.
for k in ca server wrong-name; do
    openssl pkcs8 -topk8 -nocrypt -in "$k.key" -out "$tmp/k" && mv "$tmp/k" "$k.key"
done
chmod 644 ./*.pem ./*.key
