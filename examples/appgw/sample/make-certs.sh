#!/usr/bin/env bash
# Regenerates the sample PKI used by gateway.json: a root CA, the gateway's
# frontend certificate for www.example.test and a backend certificate for
# backend.internal. For the example only: never use these keys for anything real.
set -euo pipefail
cd "$(dirname "$0")"
days=3650
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days $days \
  -subj "/CN=e2etls Sample Root" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout root.key -out root.pem 2>/dev/null
leaf() { # name dns
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA root.pem -CAkey root.key -CAcreateserial -days $days \
    -extfile <(printf "subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n" "$2") \
    -out "$1.pem" 2>/dev/null
  rm -f "$1.csr"
}
leaf frontend www.example.test
leaf backend backend.internal
rm -f root.srl root.key
echo "sample certificates written to $(pwd)"
