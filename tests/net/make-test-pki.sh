#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make-test-pki.sh DIR: a throwaway PKI for the policy-refresh tests.
#   ca.pem            a test CA
#   server.pem/.key   a certificate for 127.0.0.1 and localhost signed by it
#   rogue-ca.pem      another CA, which signed nothing the server uses
#   admin.key/.pub    a policy admin's Ed25519 key pair (the key 0600)
#   other-admin.key   another admin key, which the home does not trust
set -eu
d=$1
mkdir -p "$d"
cd "$d"
umask 077
q() { openssl "$@" 2> /dev/null; }
q req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -days 2 -subj "/CN=CaseScribe test CA"
q req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue-ca.key -out rogue-ca.pem \
    -days 2 -subj "/CN=CaseScribe test CA"
q req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
    -subj "/CN=127.0.0.1"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > server.ext
q x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.pem
q genpkey -algorithm ed25519 -out admin.key
q pkey -in admin.key -pubout -out admin.pub
q genpkey -algorithm ed25519 -out other-admin.key
chmod 600 admin.key other-admin.key
chmod 644 ca.pem rogue-ca.pem admin.pub server.pem
