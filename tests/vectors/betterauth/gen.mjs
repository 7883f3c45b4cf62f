#!/usr/bin/env node
// tests/vectors/betterauth/gen.mjs — test vectors for authgate, made by the REAL better-auth.
//
// What it does: creates a fresh better-auth SQLite database (better-sqlite3 through
// better-auth's built-in Kysely adapter) with the organization, admin, bearer and api-key
// plugins, runs better-auth's own migrations, signs users up and in through auth.api,
// captures the exact Set-Cookie headers better-auth emits, creates API keys through the
// plugin, derives negative cases, then replays every case through better-auth's own
// getSession on a throw-away copy of the database and records what better-auth said.
// Keys with usage limits (USE_CASES) are then verified again and again by better-auth's own
// verifyApiKey on another copy, every answer and the row after it recorded per use ("uses"),
// and keys with permissions are verified with body.permissions ("permission_cases").
// betterauth.db is the database before any of those verifications.
// Output: OUTDIR/betterauth.db, OUTDIR/vectors.json and (when the sqlite3 shell is
// installed) OUTDIR/schema.sql.
//
// The packages are NOT installed in the repository. Exact commands (from the repo root):
//
//   mkdir -p /tmp/ba-gen
//   cp tests/vectors/betterauth/package.json tests/vectors/betterauth/package-lock.json /tmp/ba-gen/
//   (cd /tmp/ba-gen && npm ci)        # better-sqlite3 compiles: needs build-essential, python3
//   (cd /tmp/ba-gen && node "$OLDPWD/tests/vectors/betterauth/gen.mjs" "$OLDPWD/tests/vectors/betterauth")
//
// Packages are resolved from $BA_GEN_DIR/node_modules, or from ./node_modules of the current
// directory when BA_GEN_DIR is unset — so run it from the scratch dir as above. OUTDIR
// defaults to the directory this script lives in.
//
// Every run makes new ids, tokens and keys; the structure is the same every time.
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, existsSync, rmSync, readFileSync } from "node:fs";
import { createHash, createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

process.env.BETTER_AUTH_TELEMETRY = "0";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUTDIR = path.resolve(process.argv[2] || HERE);
const PKG_ROOT = path.resolve(process.env.BA_GEN_DIR || process.cwd());

// ---------------------------------------------------------------------------------------
// Module loading from the scratch dir (ESM bare specifiers resolve relative to the importing
// file, and this file lives in the repo, which has no node_modules). A one-line helper module
// placed inside PKG_ROOT/node_modules lets Node's own resolver do the work.
const NM = path.join(PKG_ROOT, "node_modules");
if (!existsSync(path.join(NM, "better-auth"))) {
  console.error(`gen.mjs: no ${NM}/better-auth — run 'npm ci' in the scratch dir (see header) and run from there, or set BA_GEN_DIR`);
  process.exit(2);
}
const SHIM = path.join(NM, ".authgate-gen-resolve.mjs");
writeFileSync(SHIM, "export const resolve = (s) => import.meta.resolve(s);\n");
const { resolve: resolveFromScratch } = await import(pathToFileURL(SHIM).href);
const load = (spec) => import(resolveFromScratch(spec));
const pkgVersion = (name) =>
  JSON.parse(readFileSync(path.join(NM, ...name.split("/"), "package.json"), "utf8")).version;

const { betterAuth } = await load("better-auth");
const { getMigrations } = await load("better-auth/db/migration");
const { organization, admin, bearer } = await load("better-auth/plugins");
const { generateRandomString } = await load("better-auth/crypto");
const { apiKey } = await load("@better-auth/api-key");
const { serializeSignedCookie } = await load("better-call"); // the function better-auth's setSignedCookie uses
const { default: Database } = await load("better-sqlite3");

// ---------------------------------------------------------------------------------------
// Fixed configuration
const SECRET = "authgate-test-secret-0123456789abcdef0123456789"; // BETTER_AUTH_SECRET for the fixture
const FOREIGN_SECRET = "foreign-better-auth-secret-ZYXWVUTSRQ9876543210zyxw"; // another deployment's secret
const BASE_URL = "http://localhost:3000"; // http  -> cookie name better-auth.session_token
const HTTPS_BASE_URL = "https://auth.example.test"; // https -> cookie name __Secure-better-auth.session_token
const PASSWORD = "authgate-Fixture-Passw0rd";
const FAR_FUTURE = "2099-12-31T23:59:59.000Z"; // same ISO-8601 text form better-auth writes
const PAST = "2020-01-01T00:00:00.000Z";
const ORG = { name: "Acme", slug: "acme" };

const USERS = [
  // name, org role (null: not a member), global admin-plugin role
  { key: "alice", name: "Alice Owner", orgRole: "owner", globalRole: "user" },
  { key: "bob", name: "Bob Admin", orgRole: "admin", globalRole: "admin" },
  { key: "carol", name: "Carol Member", orgRole: "member", globalRole: "user" },
  { key: "dave", name: "Dave Guest", orgRole: "guest", globalRole: "user" },
  { key: "erin", name: "Erin Banned", orgRole: "member", globalRole: "user", banned: true },
  { key: "frank", name: "Frank NoOrg", orgRole: null, globalRole: "user" },
  { key: "grace", name: "Grace Multi", orgRole: ["member", "admin"], globalRole: "user" },
];

// Keys with usage limits. body: createApiKey's server-only fields. sql: one column set after
// capture (a refill made due). uses: how many times better-auth's verifyApiKey, and later
// authgate, is asked in a row. expect: authgate's answer per use (SPEC §5, src/usage.c).
// Every outcome must not depend on when the vectors are replayed: windows start at the first
// use (lastRequest is NULL as created), refills are due since 2020 or not for a century.
const OK = { status: 200, reason: "allow" };
const EXH = { status: 401, reason: "api_key_exhausted" };
const RL = { status: 429, reason: "api_key_rate_limited" };
const HOUR = 3600 * 1000;
const CENTURY = 100 * 365 * 24 * HOUR;
const rep = (n, a) => Array.from({ length: n }, () => a);
const USE_CASES = [
  { id: "quota-3", body: { remaining: 3 }, uses: 5, expect: [OK, OK, OK, EXH, EXH],
    note: "remaining 3, no refill, plugin-default rate limit (10 per day, never reached here)" },
  { id: "refill-due-last-refill", body: { remaining: 0, refillInterval: HOUR, refillAmount: 2 },
    sql: { column: "lastRefillAt", value: PAST }, uses: 3, expect: [OK, OK, EXH],
    note: "remaining 0, refill 2 per hour, lastRefillAt set to 2020 by SQL: the first use refills to 2 and takes one" },
  { id: "refill-due-created", body: { remaining: 0, refillInterval: HOUR, refillAmount: 2 },
    sql: { column: "createdAt", value: PAST }, uses: 3, expect: [OK, OK, EXH],
    note: "as refill-due-last-refill, but lastRefillAt stays NULL (never refilled) and createdAt is set to 2020 by SQL: the refill counts from createdAt" },
  { id: "refill-due-replaces", body: { remaining: 1, refillInterval: HOUR, refillAmount: 3 },
    sql: { column: "lastRefillAt", value: PAST }, uses: 4, expect: [OK, OK, OK, EXH],
    note: "remaining 1 and a refill of 3 due: remaining becomes 3 (not 1 + 3), so 3 uses, not 4" },
  { id: "refill-not-due", body: { remaining: 0, refillInterval: CENTURY, refillAmount: 5 }, uses: 2, expect: [EXH, EXH],
    note: "remaining 0, refill every 100 years counted from createdAt (lastRefillAt NULL): not due" },
  { id: "rate-2-per-minute", body: { rateLimitEnabled: true, rateLimitMax: 2, rateLimitTimeWindow: 60000 }, uses: 4,
    expect: [OK, OK, RL, RL], note: "no quota; at most 2 uses per 60 s window counted from the first use" },
  { id: "rate-default", body: {}, uses: 11, expect: [...rep(10, OK), RL],
    note: "created without limits: the plugin's default rate limit (rateLimitEnabled 1, 10 per 86400000 ms)" },
  { id: "rate-disabled", body: { rateLimitEnabled: false }, uses: 12, expect: rep(12, OK),
    note: "rateLimitEnabled false: more than the default 10 uses" },
  { id: "quota-and-rate", body: { remaining: 3, rateLimitEnabled: true, rateLimitMax: 2, rateLimitTimeWindow: 60000 }, uses: 4,
    expect: [OK, OK, RL, RL], note: "remaining 3 and at most 2 per minute: the order of the two checks shows" },
];
// Keys with permissions and what is asked of them (authgate: a rule's require_permission;
// better-auth: verifyApiKey's body.permissions).
const PERM_KEYS = {
  "projects-rw": { permissions: { projects: ["read", "write"] } },
  "projects-rw-billing-r": { permissions: { projects: ["read", "write"], billing: ["read"] } },
  none: {},
};
const PERMISSION_CASES = [
  { id: "rw-read", key: "projects-rw", require: "projects:read", expect: "allow" },
  { id: "rw-read-write", key: "projects-rw", require: "projects:read,projects:write", expect: "allow" },
  { id: "rw-delete", key: "projects-rw", require: "projects:delete", expect: "deny" },
  { id: "rw-write-delete", key: "projects-rw", require: "projects:write,projects:delete", expect: "deny" },
  { id: "rw-billing", key: "projects-rw", require: "billing:read", expect: "deny" },
  { id: "rwb-billing", key: "projects-rw-billing-r", require: "billing:read", expect: "allow" },
  { id: "rwb-all", key: "projects-rw-billing-r", require: "projects:write,billing:read", expect: "allow" },
  { id: "rwb-billing-write", key: "projects-rw-billing-r", require: "billing:write", expect: "deny" },
  { id: "none-read", key: "none", require: "projects:read", expect: "deny" },
];
const permsObject = (req) => {
  const o = {};
  for (const item of req.split(",")) {
    const [r, a] = item.split(":");
    (o[r] ??= []).push(a);
  }
  return o;
};
// better-auth's verifyApiKey answer in authgate's terms
function baAsAuthgate(ans) {
  if (ans.valid) return OK;
  switch (ans.code) {
    case "USAGE_EXCEEDED": return EXH;
    case "RATE_LIMITED": return RL;
    case "INVALID_API_KEY": return { status: 401, reason: "api_key_unknown" };
    default: return { status: null, reason: `better-auth ${ans.code}` };
  }
}
function whyUseDiffers(uc, n, ans) {
  if (ans.code === "INVALID_API_KEY" && ans.row === null)
    return "better-auth DELETED the key row at the verification that found remaining 0 with no refillAmount (validateApiKey's deleteExhaustedKey), so this verification finds no key. The mirror keeps the row until the IdP's webhook says so: authgate still answers api_key_exhausted";
  if (uc.id === "quota-and-rate" && ans.code === "USAGE_EXCEEDED")
    return "better-auth takes a use of the quota BEFORE it checks the rate limit, and does not give it back when the rate limit then refuses (claimUsageInDatabase: consumeRemaining, then consumeRateLimit, no transaction): use 3 was RATE_LIMITED but remaining went 1 -> 0, so use 4 finds remaining 0 (and deletes the key). authgate checks the rate limit first and a 429 costs no quota (src/usage.c usage_step), so remaining is still 1 and use 4 is again a 429";
  return "unexplained — investigate";
}

const ROLE_ORDER = ["guest", "member", "admin", "owner"];
const highestRole = (roles) =>
  roles
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean)
    .sort((a, b) => ROLE_ORDER.indexOf(b) - ROLE_ORDER.indexOf(a))[0] ?? null;

const versions = {
  "better-auth": pkgVersion("better-auth"),
  "@better-auth/core": pkgVersion("@better-auth/core"),
  "@better-auth/api-key": pkgVersion("@better-auth/api-key"),
  "better-call": pkgVersion("better-call"),
  "@better-auth/utils": pkgVersion("@better-auth/utils"),
  kysely: pkgVersion("kysely"),
  "better-sqlite3": pkgVersion("better-sqlite3"),
  sqlite: null,
  node: process.version,
};

function makeAuth(db, { secret = SECRET, baseURL = BASE_URL, quiet = false } = {}) {
  return betterAuth({
    appName: "authgate-vectors",
    baseURL,
    secret,
    database: db, // better-sqlite3 instance -> better-auth's Kysely adapter (SqliteDialect)
    emailAndPassword: { enabled: true, autoSignIn: false },
    telemetry: { enabled: false },
    rateLimit: { enabled: false },
    logger: quiet ? { disabled: true } : { level: "error" }, // quiet: refusals are expected
    plugins: [
      organization(),
      admin(),
      bearer(),
      // two key configurations: user-owned keys (default) and organization-owned keys
      apiKey([
        { configId: "default", enableMetadata: true, enableSessionForAPIKeys: true },
        { configId: "org", references: "organization", enableMetadata: true },
      ]),
    ],
  });
}

const one2 = (db, sql, ...a) => db.prepare(sql).get(...a);
const cookiePairFromSetCookie = (setCookie) => setCookie.split(";")[0]; // "name=value"
function sessionSetCookie(res, name) {
  const all = res.headers.getSetCookie();
  const sc = all.find((c) => c.startsWith(name + "="));
  if (!sc) throw new Error(`no ${name} in Set-Cookie: ${JSON.stringify(all)}`);
  return sc;
}
function tokenOf(cookieValue) {
  const signed = decodeURIComponent(cookieValue);
  const dot = signed.lastIndexOf(".");
  return { signed, token: signed.slice(0, dot), sig: signed.slice(dot + 1) };
}

// Why better-auth's own getSession (this configuration) answers differently from SPEC-based expect.
function whyDiffers(c) {
  if (c.reason === "banned")
    return "better-auth checks user.banned only when a session is created (admin plugin hook); getSession and the api-key session hook do not re-check it. SPEC §5: 'user present and not banned'";
  if (c.id === "bearer-unsigned-session-token")
    return "bearer plugin default requireSignature:false signs a dot-less bearer value itself and looks it up as a session token";
  if (c.id.startsWith("key-acme-org-owned"))
    return "better-auth's api-key session hook only turns user-owned keys (references 'user', config with enableSessionForAPIKeys) into sessions";
  if (c.kind === "api_key" && c.header === "Authorization")
    return "the api-key plugin reads only the x-api-key header by default (apiKeyHeaders); SPEC §5 also accepts Authorization: Bearer KEY";
  return "unexplained — investigate";
}

async function main() {
  mkdirSync(OUTDIR, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), "ba-vectors-"));
  const dbPath = path.join(work, "betterauth.db");
  const db = new Database(dbPath);
  versions.sqlite = db.prepare("select sqlite_version() as v").get().v;
  const auth = makeAuth(db);
  // better-auth's own migrations (what `npx auth migrate` runs), before the context's schema check
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  const ctx = await auth.$context;
  const cookieName = ctx.authCookies.sessionToken.name;

  const q = (sql, ...a) => db.prepare(sql).run(...a);
  const one = (sql, ...a) => db.prepare(sql).get(...a);

  // ---- users ----------------------------------------------------------------------------
  const users = {};
  for (const u of USERS) {
    const email = `${u.key}@acme.test`;
    const r = await auth.api.signUpEmail({ body: { email, password: PASSWORD, name: u.name } });
    users[u.key] = { ...u, id: r.user.id, email };
  }
  // First admin bootstrap, as better-auth's docs say (no admin exists to call setRole yet).
  q(`UPDATE "user" SET role = 'admin' WHERE id = ?`, users.bob.id);

  // ---- sign-in: capture the exact Set-Cookie better-auth sends --------------------------
  async function signIn(u, a = auth, name = cookieName) {
    const res = await a.api.signInEmail({
      body: { email: u.email, password: PASSWORD },
      asResponse: true,
    });
    if (!res.ok) throw new Error(`sign-in ${u.email}: ${res.status} ${await res.text()}`);
    const setCookie = sessionSetCookie(res, name);
    const pair = cookiePairFromSetCookie(setCookie);
    const value = pair.slice(name.length + 1);
    const { signed, token, sig } = tokenOf(value);
    const row = one(`SELECT id FROM session WHERE token = ?`, token);
    return {
      set_cookie: setCookie,
      set_auth_token: res.headers.get("set-auth-token"),
      cookie_name: name,
      cookie_value: value,
      signed,
      token,
      sig,
      session_id: row ? row.id : null,
    };
  }
  const sessions = {};
  for (const u of USERS) sessions[u.key] = await signIn(users[u.key]);

  // ---- organization ---------------------------------------------------------------------
  const hdr = (s) => new Headers({ cookie: `${s.cookie_name}=${s.cookie_value}` });
  const org = await auth.api.createOrganization({
    headers: hdr(sessions.alice),
    body: { name: ORG.name, slug: ORG.slug },
  });
  for (const u of USERS) {
    if (!u.orgRole || u.orgRole === "owner") continue;
    await auth.api.addMember({ body: { userId: users[u.key].id, organizationId: org.id, role: u.orgRole } });
  }
  for (const u of USERS) {
    if (!u.orgRole) continue;
    await auth.api.setActiveOrganization({ headers: hdr(sessions[u.key]), body: { organizationId: org.id } });
  }

  // ---- extra sessions -------------------------------------------------------------------
  // carol: a second session that will be expired via SQL after its cookie was captured
  sessions.carol_expired = await signIn(users.carol);
  await auth.api.setActiveOrganization({ headers: hdr(sessions.carol_expired), body: { organizationId: org.id } });
  // bob via an https deployment (same DB, same secret): better-auth names the cookie __Secure-...
  const authHttps = makeAuth(db, { baseURL: HTTPS_BASE_URL });
  const secureName = (await authHttps.$context).authCookies.sessionToken.name;
  sessions.bob_secure = await signIn(users.bob, authHttps, secureName);
  await authHttps.api.setActiveOrganization({ headers: hdr(sessions.bob_secure), body: { organizationId: org.id } });
  // carol via a deployment with ANOTHER secret (same DB): the session row exists, the
  // signature is right for FOREIGN_SECRET only.
  const authForeign = makeAuth(db, { secret: FOREIGN_SECRET });
  sessions.carol_foreign = await signIn(users.carol, authForeign);

  // ---- API keys (through the plugin) ----------------------------------------------------
  async function createKey(u, body = {}) {
    const r = await auth.api.createApiKey({ body: { userId: users[u].id, ...body } });
    return { id: r.id, key: r.key, owner: u, metadata: r.metadata ?? null };
  }
  const keys = {};
  keys.carol = await createKey("carol", { name: "carol-key" });
  keys.bob_meta = await createKey("bob", {
    name: "bob-org-admin",
    metadata: { organizationId: org.id, role: "admin" },
  });
  keys.grace_meta_org = await createKey("grace", { name: "grace-org", metadata: { organizationId: org.id } });
  keys.dave_prefixed = await createKey("dave", { name: "dave-prefixed", prefix: "ag_" });
  keys.frank = await createKey("frank", { name: "frank-key" });
  keys.erin = await createKey("erin", { name: "erin-key" });
  {
    // organization-owned key (configId "org"): referenceId = organization id, created by the owner
    const r = await auth.api.createApiKey({
      body: { configId: "org", organizationId: org.id, userId: users.alice.id, name: "acme-org-key" },
    });
    keys.acme_org = { id: r.id, key: r.key, owner: "org:acme", metadata: r.metadata ?? null };
  }
  keys.carol_disabled = await createKey("carol", { name: "carol-disabled" });
  await auth.api.updateApiKey({ body: { keyId: keys.carol_disabled.id, userId: users.carol.id, enabled: false } });
  keys.carol_expired = await createKey("carol", { name: "carol-expired", expiresIn: 60 * 60 * 24 });

  // Keys with better-auth's usage fields (quota, refill, rate limit), all owned by carol and
  // created with server-only body fields of createApiKey. Each is verified again and again
  // later (USE_CASES) by better-auth's verifyApiKey on a copy of the finished database.
  const useKeys = {};
  for (const uc of USE_CASES) useKeys[uc.id] = await createKey("carol", { name: `use-${uc.id}`, ...uc.body });
  // Keys with permissions (JSON), for PERMISSION_CASES.
  const permKeys = {};
  for (const [k, body] of Object.entries(PERM_KEYS)) permKeys[k] = await createKey("carol", { name: `perm-${k}`, ...body });

  // ---- banned user ----------------------------------------------------------------------
  // admin.banUser would also delete erin's sessions; to keep a live session row for a banned
  // user we set the admin plugin's columns directly, as an admin would in sqlite3.
  q(`UPDATE "user" SET banned = 1, banReason = 'fixture: banned user', banExpires = NULL WHERE id = ?`, users.erin.id);
  let bannedSignIn;
  try {
    await auth.api.signInEmail({ body: { email: users.erin.email, password: PASSWORD } });
    bannedSignIn = "allowed";
  } catch (e) {
    bannedSignIn = `refused: ${e?.body?.code ?? e?.message}`;
  }

  // ---- push dates (AFTER all cookies/keys were captured) ---------------------------------
  // better-call refuses cookie Max-Age > 400 days and sessions default to 7 days, so the
  // fixture would go stale. Like an admin in the sqlite3 shell, push every non-expired
  // session to 2099, keeping better-auth's own representation (ISO-8601 text, ms, 'Z').
  const dateSample = one(`SELECT expiresAt, typeof(expiresAt) AS t FROM session LIMIT 1`);
  if (dateSample.t !== "text" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(dateSample.expiresAt))
    throw new Error(`unexpected session.expiresAt representation: ${JSON.stringify(dateSample)}`);
  q(`UPDATE session SET expiresAt = ?`, FAR_FUTURE);
  q(`UPDATE session SET expiresAt = ? WHERE id = ?`, PAST, sessions.carol_expired.session_id);
  q(`UPDATE apikey SET expiresAt = ? WHERE id = ?`, PAST, keys.carol_expired.id);
  // a refill due now: the date the plugin counts from (lastRefillAt, NULL at creation, else
  // createdAt) moved to the past, as an admin would in sqlite3; the interval stays the one given
  for (const uc of USE_CASES)
    if (uc.sql) q(`UPDATE apikey SET ${uc.sql.column} = ? WHERE id = ?`, uc.sql.value, useKeys[uc.id].id);
  const keyWithExpiry = one(`SELECT count(*) AS n FROM apikey WHERE expiresAt IS NOT NULL AND id <> ?`, keys.carol_expired.id);
  if (keyWithExpiry.n !== 0) q(`UPDATE apikey SET expiresAt = ? WHERE expiresAt IS NOT NULL AND id <> ?`, FAR_FUTURE, keys.carol_expired.id);

  // ---- self-checks against independent re-computation -----------------------------------
  const checks = [];
  for (const [k, s] of Object.entries(sessions)) {
    const secret = k === "carol_foreign" ? FOREIGN_SECRET : SECRET;
    const sig = createHmac("sha256", secret).update(s.token).digest("base64");
    const ok = sig === s.sig && encodeURIComponent(`${s.token}.${sig}`) === s.cookie_value;
    checks.push({ check: `cookie ${k}: value == encodeURIComponent(token + "." + base64(HMAC-SHA256(secret, token)))`, ok });
  }
  for (const [k, kk] of Object.entries({ ...keys, ...useKeys, ...permKeys })) {
    const stored = one(`SELECT key FROM apikey WHERE id = ?`, kk.id).key;
    const ok = stored === createHash("sha256").update(kk.key).digest("base64url");
    checks.push({ check: `apikey ${k}: key column == base64url-nopad(SHA-256(raw key))`, ok });
  }
  // the usage fields as the plugin stored them (before any verification)
  for (const uc of USE_CASES) {
    const row = one(`SELECT * FROM apikey WHERE id = ?`, useKeys[uc.id].id);
    const want = {
      remaining: uc.body.remaining ?? uc.body.refillAmount ?? null,
      refillInterval: uc.body.refillInterval ?? null,
      refillAmount: uc.body.refillAmount ?? null,
      rateLimitEnabled: uc.body.rateLimitEnabled === false ? 0 : 1,
      rateLimitMax: uc.body.rateLimitMax ?? 10,
      rateLimitTimeWindow: uc.body.rateLimitTimeWindow ?? 86400000,
      requestCount: 0,
      lastRequest: null,
      lastRefillAt: uc.sql?.column === "lastRefillAt" ? uc.sql.value : null,
    };
    const got = Object.fromEntries(Object.keys(want).map((f) => [f, row[f]]));
    checks.push({ check: `apikey use ${uc.id}: stored ${JSON.stringify(want)}`, ok: JSON.stringify(got) === JSON.stringify(want), got });
  }
  for (const [k, body] of Object.entries(PERM_KEYS)) {
    const row = one(`SELECT permissions FROM apikey WHERE id = ?`, permKeys[k].id);
    const want = body.permissions ? JSON.stringify(body.permissions) : null;
    checks.push({ check: `apikey perm ${k}: permissions == ${JSON.stringify(want)}`, ok: row.permissions === want });
  }
  if (checks.some((c) => !c.ok)) throw new Error("self-check failed: " + JSON.stringify(checks.filter((c) => !c.ok)));

  // ---- build cases ----------------------------------------------------------------------
  const userRow = (id) => one(`SELECT * FROM "user" WHERE id = ?`, id);
  const memberRole = (userId, orgId) =>
    orgId ? one(`SELECT role FROM member WHERE userId = ? AND organizationId = ?`, userId, orgId)?.role ?? null : null;
  const orgRow = (id) => (id ? one(`SELECT id, slug FROM organization WHERE id = ?`, id) : null);

  function allowSession(s) {
    const row = one(`SELECT * FROM session WHERE id = ?`, s.session_id);
    const u = userRow(row.userId);
    const o = orgRow(row.activeOrganizationId);
    const roles = memberRole(u.id, o?.id);
    return {
      expect: "allow",
      method: "session",
      user_id: u.id,
      email: u.email,
      name: u.name,
      org_id: o?.id ?? null,
      org_slug: o?.slug ?? null,
      role: roles ? highestRole(roles) : null,
      roles: roles,
      session_id: row.id,
      expires_at: row.expiresAt,
    };
  }
  function allowKey(kk) {
    const row = one(`SELECT * FROM apikey WHERE id = ?`, kk.id);
    const meta = row.metadata ? JSON.parse(row.metadata) : null;
    const u = userRow(row.referenceId);
    const orgId = meta?.organizationId ?? (orgRow(row.referenceId)?.id ?? null);
    const o = orgRow(orgId);
    const roles = meta?.role ?? memberRole(u?.id, o?.id);
    return {
      expect: "allow",
      method: "api_key",
      user_id: u?.id ?? null,
      email: u?.email ?? null,
      name: u?.name ?? null,
      org_id: o?.id ?? null,
      org_slug: o?.slug ?? null,
      role: roles ? highestRole(roles) : null,
      roles: roles ?? null,
      api_key_id: row.id,
      expires_at: row.expiresAt,
    };
  }
  const deny = (reason, extra = {}) => ({ expect: "deny", reason, ...extra });

  const cases = [];
  const add = (c) => cases.push(c);
  const cookieCase = (id, name, value, exp, more = {}) =>
    add({ id, kind: "cookie", header: "Cookie", value: `${name}=${value}`, ...exp, ...more });
  const bearerCase = (id, value, exp, more = {}) =>
    add({ id, kind: "bearer", header: "Authorization", value: `Bearer ${value}`, ...exp, ...more });
  const keyCases = (id, key, exp, more = {}) => {
    add({ id: `${id}-bearer`, kind: "api_key", header: "Authorization", value: `Bearer ${key}`, ...exp, ...more });
    add({ id: `${id}-x-api-key`, kind: "api_key", header: "x-api-key", value: key, ...exp, ...more });
  };
  const src = (s) => ({ set_cookie: s.set_cookie, set_auth_token: s.set_auth_token, token: s.token });

  // valid sessions, as cookie and as bearer TOKEN.SIG (decoded, as the bearer plugin returns it)
  for (const u of USERS) {
    const s = sessions[u.key];
    const exp = u.banned ? deny("banned", { user_id: users[u.key].id, session_id: s.session_id }) : allowSession(s);
    cookieCase(`cookie-${u.key}`, cookieName, s.cookie_value, exp, src(s));
    bearerCase(`bearer-${u.key}`, s.signed, exp, { token: s.token });
  }
  const a = sessions.alice;
  cookieCase("cookie-alice-among-others", cookieName, a.cookie_value, allowSession(a), {
    value: `theme=dark; ${cookieName}=${a.cookie_value}; _ga=GA1.1.123.456`,
    note: "session cookie between unrelated cookies",
  });
  bearerCase("bearer-alice-percent-encoded", a.cookie_value, allowSession(a), {
    note: "bearer plugin also accepts the percent-encoded cookie value (it decodes when it sees '%')",
  });
  const bs = sessions.bob_secure;
  cookieCase("cookie-bob-secure-prefix", secureName, bs.cookie_value, allowSession(bs), {
    ...src(bs),
    note: `emitted by a better-auth instance with baseURL ${HTTPS_BASE_URL} (same secret, same DB)`,
  });
  cookieCase("cookie-alice-value-under-secure-name", secureName, a.cookie_value, allowSession(a), {
    note: "alice's http cookie value re-sent under the __Secure- name (hand-made header, library-made value)",
  });

  // negative session cases
  const ce = sessions.carol_expired;
  cookieCase("cookie-expired", cookieName, ce.cookie_value, deny("expired", { session_id: ce.session_id }), src(ce));
  bearerCase("bearer-expired", ce.signed, deny("expired", { session_id: ce.session_id }));

  const flip = (ch) => (ch === "A" ? "B" : "A");
  const tSig = `${a.token}.${flip(a.sig[0])}${a.sig.slice(1)}`;
  cookieCase("cookie-tampered-signature", cookieName, encodeURIComponent(tSig), deny("tampered"), {
    note: "alice's cookie with the first signature character changed",
  });
  bearerCase("bearer-tampered-signature", tSig, deny("tampered"));
  const tTok = `${flip(a.token[0])}${a.token.slice(1)}.${a.sig}`;
  cookieCase("cookie-tampered-token", cookieName, encodeURIComponent(tTok), deny("tampered"), {
    note: "alice's cookie with the first token character changed, signature kept",
  });
  cookieCase("cookie-unsigned-token", cookieName, a.token, deny("tampered"), {
    note: "bare session token, no signature: better-auth's getSignedCookie ignores it",
  });

  const cf = sessions.carol_foreign;
  cookieCase("cookie-foreign-secret", cookieName, cf.cookie_value, deny("foreign_secret", { session_id: cf.session_id }), {
    ...src(cf),
    note: "signed by a better-auth instance with another secret; the token IS in session (valid row)",
  });
  bearerCase("bearer-foreign-secret", cf.signed, deny("foreign_secret", { session_id: cf.session_id }));

  const unknownToken = generateRandomString(32, "a-z", "A-Z", "0-9"); // same alphabet/length as better-auth session tokens
  const unknownSetCookie = await serializeSignedCookie(cookieName, unknownToken, SECRET, ctx.authCookies.sessionToken.attributes);
  const unknownValue = cookiePairFromSetCookie(unknownSetCookie).slice(cookieName.length + 1);
  cookieCase("cookie-unknown-token", cookieName, unknownValue, deny("unknown"), {
    set_cookie: unknownSetCookie,
    token: unknownToken,
    note: "random token signed with the real secret by better-call's serializeSignedCookie; no such session",
  });
  bearerCase("bearer-unknown-token", decodeURIComponent(unknownValue), deny("unknown"));
  bearerCase("bearer-unsigned-session-token", a.token, deny("unknown_key"), {
    note: "raw session token without .SIG: SPEC treats a dot-less Bearer as an API key (none matches). better-auth's bearer plugin with default requireSignature:false WOULD accept it (see better_auth.result)",
  });

  // API keys
  keyCases("key-carol", keys.carol.key, allowKey(keys.carol), { note: "user key, no metadata: no organization, so no role (SPEC §5)" });
  keyCases("key-bob-metadata", keys.bob_meta.key, allowKey(keys.bob_meta), { note: "metadata {organizationId, role:'admin'}" });
  keyCases("key-grace-metadata-org-only", keys.grace_meta_org.key, allowKey(keys.grace_meta_org), {
    note: "metadata {organizationId} only: role from grace's membership 'member,admin'",
  });
  keyCases("key-dave-prefixed", keys.dave_prefixed.key, allowKey(keys.dave_prefixed), { note: "prefix 'ag_' (plugin prefix option)" });
  keyCases("key-frank", keys.frank.key, allowKey(keys.frank));
  keyCases("key-acme-org-owned", keys.acme_org.key, allowKey(keys.acme_org), {
    note: "organization-owned key (configId 'org', referenceId = organization id, no metadata): no user, org from referenceId, no role (SPEC §5). Policy point for the lead: better-auth's own getSession refuses org-owned keys",
  });
  keyCases("key-erin-banned", keys.erin.key, deny("banned", { api_key_id: keys.erin.id, user_id: users.erin.id }));
  keyCases("key-disabled", keys.carol_disabled.key, deny("disabled_key", { api_key_id: keys.carol_disabled.id }));
  keyCases("key-expired", keys.carol_expired.key, deny("expired_key", { api_key_id: keys.carol_expired.id }));
  const unknownKey = generateRandomString(64, "a-z", "A-Z"); // same shape as the plugin's default generator
  keyCases("key-unknown", unknownKey, deny("unknown_key"));

  const usersSummary = Object.fromEntries(
    USERS.map((u) => {
      const r = userRow(users[u.key].id);
      return [u.key, {
        id: r.id, email: r.email, name: r.name, global_role: r.role, banned: !!r.banned,
        org_role: Array.isArray(u.orgRole) ? u.orgRole.join(",") : u.orgRole,
      }];
    }),
  );

  // ---- finish the DB: checkpoint, rollback-journal mode, close --------------------------
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.pragma("journal_mode = DELETE");
  db.exec("VACUUM");
  db.close();

  // ---- replay every case through better-auth itself (on a copy: it mutates state) -------
  const replayPath = path.join(work, "replay.db");
  copyFileSync(dbPath, replayPath);
  const rdb = new Database(replayPath);
  const rHttp = makeAuth(rdb);
  const rHttps = makeAuth(rdb, { baseURL: HTTPS_BASE_URL });
  for (const c of cases) {
    const inst = c.value.includes(secureName + "=") ? rHttps : rHttp;
    const h = new Headers({ [c.header]: c.value });
    let result;
    try {
      const s = await inst.api.getSession({ headers: h });
      result = s ? { result: "session", user_id: s.user.id, active_org: s.session.activeOrganizationId ?? null } : { result: "null" };
    } catch (e) {
      result = { result: "error", status: e?.statusCode ?? e?.status, code: e?.body?.code ?? e?.message };
    }
    result.instance = inst === rHttps ? HTTPS_BASE_URL : BASE_URL;
    c.better_auth = result;
    const baAllows = result.result === "session";
    c.better_auth_agrees = baAllows === (c.expect === "allow") && (!baAllows || result.user_id === c.user_id);
    if (!c.better_auth_agrees) c.better_auth_differs_because = whyDiffers(c);
  }
  rdb.close();

  // ---- the usage keys: better-auth's verifyApiKey, again and again, on another copy ------
  // (the committed database stays the one before any verification: the mirror as the IdP
  // wrote it). After each verification, the row as better-auth left it.
  const usesPath = path.join(work, "uses.db");
  copyFileSync(dbPath, usesPath);
  const udb = new Database(usesPath);
  const uAuth = makeAuth(udb, { quiet: true });
  const rowState = (id) => {
    const r = udb.prepare(`SELECT remaining, requestCount, lastRequest, lastRefillAt FROM apikey WHERE id = ?`).get(id);
    return r ?? null;
  };
  async function verify(key, permissions) {
    const r = await uAuth.api.verifyApiKey({ body: permissions ? { key, permissions } : { key } });
    const ans = { valid: !!r.valid };
    if (r.valid) ans.remaining = r.key?.remaining ?? null;
    else {
      ans.code = r.error?.code ?? null;
      if (r.error?.details?.tryAgainIn !== undefined) ans.tryAgainIn = r.error.details.tryAgainIn;
    }
    return ans;
  }
  const uses = [];
  for (const uc of USE_CASES) {
    const kk = useKeys[uc.id];
    const row0 = one2(udb, `SELECT remaining, refillInterval, refillAmount, lastRefillAt, createdAt, rateLimitEnabled, rateLimitMax, rateLimitTimeWindow, requestCount, lastRequest FROM apikey WHERE id = ?`, kk.id);
    const steps = [];
    let before = rowState(kk.id);
    for (let n = 1; n <= uc.uses; n++) {
      const ans = await verify(kk.key);
      ans.row = rowState(kk.id);
      const mapped = baAsAuthgate(ans);
      const exp = uc.expect[n - 1];
      const step = { n, expect: exp, better_auth: ans, better_auth_as_authgate: mapped };
      step.better_auth_agrees = mapped.status === exp.status && mapped.reason === exp.reason;
      if (!step.better_auth_agrees) step.better_auth_differs_because = whyUseDiffers(uc, n, ans);
      if (!ans.valid && before?.remaining != null && ans.row?.remaining != null && ans.row.remaining < before.remaining)
        step.note = `better-auth refused (${ans.code}) and still took a use of the quota: remaining ${before.remaining} -> ${ans.row.remaining}. authgate's 429 takes none`;
      before = ans.row;
      steps.push(step);
    }
    uses.push({
      id: uc.id, kind: "api_key", header: "x-api-key", value: kk.key, api_key_id: kk.id, user_id: users.carol.id,
      note: uc.note, created_with: uc.body, sql_edit: uc.sql ? `UPDATE apikey SET ${uc.sql.column} = '${uc.sql.value}'` : null,
      row_before: row0, uses: steps,
    });
  }
  const permission_cases = [];
  for (const pc of PERMISSION_CASES) {
    const kk = permKeys[pc.key];
    const ans = await verify(kk.key, permsObject(pc.require));
    const agrees = ans.valid === (pc.expect === "allow");
    const c = {
      id: pc.id, kind: "api_key", header: "x-api-key", value: kk.key, api_key_id: kk.id, user_id: users.carol.id,
      key_permissions: PERM_KEYS[pc.key].permissions ?? null, require_permission: pc.require,
      better_auth_permissions: permsObject(pc.require), expect: pc.expect,
      expect_status: pc.expect === "allow" ? 200 : 403, expect_reason: pc.expect === "allow" ? "allow" : "permission_required",
      better_auth: ans, better_auth_agrees: agrees,
    };
    if (!agrees) c.better_auth_differs_because = "unexplained — investigate";
    permission_cases.push(c);
  }
  udb.close();

  // ---- write outputs --------------------------------------------------------------------
  const outDb = path.join(OUTDIR, "betterauth.db");
  for (const f of [outDb, outDb + "-wal", outDb + "-shm", outDb + "-journal"]) rmSync(f, { force: true });
  copyFileSync(dbPath, outDb);

  const vectors = {
    generator: "tests/vectors/betterauth/gen.mjs",
    generated_at: new Date().toISOString(),
    versions,
    secret: SECRET,
    foreign_secret: FOREIGN_SECRET,
    cookie_name: cookieName,
    secure_cookie_name: secureName,
    db: "betterauth.db",
    storage: {
      dates: "TEXT, ISO-8601 UTC with milliseconds, e.g. 2099-12-31T23:59:59.000Z (Date.toISOString())",
      booleans: "INTEGER 0/1",
      apikey_owner_column: "referenceId",
      apikey_hash: "key = base64url, no padding, of SHA-256(raw key)",
      apikey_metadata: "TEXT holding JSON.stringify(object) once (not double-encoded); a key created without metadata holds the TEXT 'null' (not SQL NULL)",
      apikey_config: "configId 'default' = user-owned keys (referenceId = user.id); configId 'org' = organization-owned keys (referenceId = organization.id)",
      member_role: "TEXT, several roles joined with ',' without spaces",
      cookie_signature: "value = encodeURIComponent(TOKEN + '.' + base64std_padded(HMAC-SHA256(key=utf8(secret), msg=TOKEN)))",
      fixture_edits:
        "after capture: every session.expiresAt set to 2099-12-31T23:59:59.000Z except the expired one (2020-01-01T00:00:00.000Z); expired key expiresAt 2020-01-01T00:00:00.000Z; bob user.role='admin'; erin banned=1 — all by SQL",
    },
    organization: { id: org.id, name: ORG.name, slug: ORG.slug },
    users: usersSummary,
    observations: {
      banned_user_sign_in_after_sql_ban: bannedSignIn,
    },
    checks,
    cases,
    uses,
    permission_cases,
  };
  writeFileSync(path.join(OUTDIR, "vectors.json"), JSON.stringify(vectors, null, 2) + "\n");

  try {
    const schema = execFileSync("sqlite3", [outDb, ".schema"], { encoding: "utf8" });
    writeFileSync(path.join(OUTDIR, "schema.sql"), schema);
  } catch (e) {
    console.error("gen.mjs: sqlite3 shell not available, schema.sql not written (apt-get install sqlite3)");
  }
  rmSync(work, { recursive: true, force: true });
  rmSync(SHIM, { force: true });

  const disagreements = cases.filter((c) => !c.better_auth_agrees).map((c) => c.id);
  console.log(`wrote ${outDb} and vectors.json: ${cases.length} cases; better-auth disagrees with expect on: ${disagreements.join(", ") || "none"}`);
  const useDis = uses.flatMap((u) => u.uses.filter((s) => !s.better_auth_agrees).map((s) => `${u.id}:${s.n}`));
  console.log(`${uses.length} usage keys, ${uses.reduce((a, u) => a + u.uses.length, 0)} verifications; better-auth disagrees on: ${useDis.join(", ") || "none"}`);
  console.log(`${permission_cases.length} permission cases; better-auth disagrees on: ${permission_cases.filter((c) => !c.better_auth_agrees).map((c) => c.id).join(", ") || "none"}`);
}

await main();
