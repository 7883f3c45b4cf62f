-- authgate-identity.lua - hand authgate's identity to any lighttpd backend
-- as request headers, and never a client's imitation of it.
--
-- Needs mod_magnet (Debian: lighttpd-modules-lua). Uses lighty.r.req_header
-- and lighty.r.req_env; tested with lighttpd 1.4.69 (Debian 12).
--
--   server.modules = ( ..., "mod_magnet", "mod_fastcgi", ..., "mod_proxy" )
--   magnet.attract-raw-url-to = ( "/etc/lighttpd/authgate-identity.lua" )
--
-- Set it globally (outside any condition) so that it runs on every request:
-- on guarded paths, public paths and paths no authorizer covers.
--
-- What it does, on every run:
--  1. Removes every request header a backend could take for identity:
--     X-Auth-*, Auth-*, Variable-*, Remote-User, X-Remote-User and the
--     X-Forwarded-User family, in any letter case and with any separator
--     ("X_Auth_User_Id", "x.auth.user.id"): lighttpd turns every
--     non-alphanumeric character of a header name into "_" for CGI and
--     FastCGI (HTTP_X_AUTH_USER_ID), and many HTTP frameworks fold "_"
--     and "-" together too.
--  2. Sets X-Auth-User-Id ... X-Auth-Expires-At from the AUTH_* variables
--     that authgate answered as "Variable-AUTH_*" (lighttpd keeps them in
--     the request environment). An empty variable sets no header: lighttpd
--     never forwards a header with an empty value, so "absent" means
--     "unknown". No AUTH_* variable at all (a path outside the authorizer,
--     or the run before the authorizer was asked): only step 1.
--
-- Why attract-raw-url-to (or attract-physical-path-to, equally good): when
-- the authorizer answers 200, lighttpd restarts the request, and both hooks
-- run again on the restarted request, now with the AUTH_* variables and
-- before any backend gets the request. attract-response-start-to runs after
-- the backend has been sent the request: too late.
--
-- A value with a control character is never forwarded: the request ends
-- with 500 (authgate itself never answers such a value; this is a second
-- fence against header injection into the proxied request).

local r   = lighty.r
local hdr = r.req_header
local env = r.req_env

-- authgate's variable -> the header the backend gets
local identity = {
  { "AUTH_USER_ID",     "X-Auth-User-Id" },
  { "AUTH_USER_EMAIL",  "X-Auth-User-Email" },
  { "AUTH_USER_NAME",   "X-Auth-User-Name" },
  { "AUTH_ORG_ID",      "X-Auth-Org-Id" },
  { "AUTH_ORG_SLUG",    "X-Auth-Org-Slug" },
  { "AUTH_ROLE",        "X-Auth-Role" },
  { "AUTH_ROLES",       "X-Auth-Roles" },
  { "AUTH_METHOD",      "X-Auth-Method" },
  { "AUTH_SESSION_ID",  "X-Auth-Session-Id" },
  { "AUTH_API_KEY_ID",  "X-Auth-Api-Key-Id" },
  { "AUTH_EXPIRES_AT",  "X-Auth-Expires-At" },
}

-- Header names (lowercase, every separator turned into "-") that a client
-- must never send through.
local exact = {
  ["remote-user"] = true,
  ["x-remote-user"] = true,
  ["x-forwarded-user"] = true,
  ["x-forwarded-email"] = true,
  ["x-forwarded-groups"] = true,
  ["x-forwarded-preferred-username"] = true,
}

local function spoofable(name)
  local n = name:lower():gsub("[^%w]", "-")
  return exact[n] or n:find("^x%-auth%-") ~= nil or n:find("^auth%-") ~= nil
      or n:find("^variable%-") ~= nil
end

-- 1. Remove client copies. Collect first: setting a header while
-- iterating would disturb the iteration. (Setting "" removes a header.)
local doomed = {}
for name, value in pairs(hdr) do
  if value ~= nil and value ~= "" and spoofable(name) then
    doomed[#doomed + 1] = name
  end
end
for _, name in ipairs(doomed) do
  hdr[name] = ""
end

-- 2. authgate's answer, if the authorizer has run on this request.
for _, pair in ipairs(identity) do
  local v = env[pair[1]]
  if v ~= nil and v ~= "" then
    if v:find("%c") then
      print("authgate-identity.lua: control character in " .. pair[1]
            .. "; request refused")
      return 500
    end
    hdr[pair[2]] = v
  end
end

return 0
