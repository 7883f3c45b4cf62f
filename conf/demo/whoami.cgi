#!/bin/sh
# authgate demo backend: prints the identity the authorizer handed over.
# lighttpd passes the authorizer's Variable-* answers as environment
# variables; a client header X-Auth-User-Id would arrive as
# HTTP_X_AUTH_USER_ID and is shown separately so spoofing is visible.
# Two response headers say the same for HEAD requests and for tests:
# X-Backend-Handler (always "whoami") and X-Backend-Identity (user id,
# role and method, "-" when empty; control characters removed).
ident=$(printf 'user=%s role=%s method=%s' "${AUTH_USER_ID:--}" \
    "${AUTH_ROLE:--}" "${AUTH_METHOD:--}" | tr -d '\000-\037\177')
printf 'Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n'
printf 'X-Backend-Handler: whoami\r\nX-Backend-Identity: %s\r\n\r\n' "$ident"
printf 'backend: %s %s\n' "$REQUEST_METHOD" "$REQUEST_URI"
env | LC_ALL=C sort | grep -E '^(AUTH_[A-Z_]*|REMOTE_USER)=' || echo 'no identity (public)'
env | LC_ALL=C sort | grep -E '^HTTP_[A-Z_]*(AUTH|REMOTE_USER)' | sed 's/^/client header (not identity): /'
exit 0
