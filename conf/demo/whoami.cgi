#!/bin/sh
# authgate demo backend: prints the identity the authorizer handed over.
# lighttpd passes the authorizer's Variable-* answers as environment
# variables; a client header X-Auth-User-Id would arrive as
# HTTP_X_AUTH_USER_ID and is shown separately so spoofing is visible.
printf 'Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n\r\n'
printf 'backend: %s %s\n' "$REQUEST_METHOD" "$REQUEST_URI"
env | LC_ALL=C sort | grep -E '^(AUTH_[A-Z_]*|REMOTE_USER)=' || echo 'no identity (public)'
env | LC_ALL=C sort | grep -E '^HTTP_[A-Z_]*(AUTH|REMOTE_USER)' | sed 's/^/client header (not identity): /'
exit 0
