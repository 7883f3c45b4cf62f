#!/usr/bin/env node
// tests/vectors/authjs/make_vectors.mjs - stateless session cookies for authgate's tests,
// made by the REAL libraries: next-auth 4 (`next-auth/jwt` encode), @auth/core
// (`@auth/core/jwt` encode, salt = cookie name) and better-auth (its cookie cache, one
// instance per strategy: compact, jwt, jwe; the Set-Cookie headers it sends at sign-in).
//
// Packages are NOT installed in the repository. From the repo root:
//
//   mkdir -p /tmp/authjs-gen
//   cp tests/vectors/authjs/package.json /tmp/authjs-gen/
//   (cd /tmp/authjs-gen && npm install --legacy-peer-deps --ignore-scripts)
//   (cd /tmp/authjs-gen && node "$OLDPWD/tests/vectors/authjs/make_vectors.mjs" "$OLDPWD/tests/vectors/authjs")
//
// (--legacy-peer-deps: next-auth 4 names next and react as peers; `next-auth/jwt` needs
// neither.) Every run makes new ciphertexts (random IVs, jti, ids); the cases are the same.
// Long-lived tokens expire in the year 2100; the "expired" ones in the past.
import { writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

process.env.BETTER_AUTH_TELEMETRY = "0";
const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUTDIR = path.resolve(process.argv[2] || HERE);
const NM = path.join(path.resolve(process.env.AUTHJS_GEN_DIR || process.cwd()), "node_modules");
if (!existsSync(path.join(NM, "next-auth"))) {
  console.error(`make_vectors.mjs: no ${NM}/next-auth: install package.json there first (see header)`);
  process.exit(2);
}
// Bare specifiers resolve from the importing file; this one lives in the repo. A one-line
// module inside the scratch node_modules lets Node resolve from there.
const SHIM = path.join(NM, ".authgate-authjs-resolve.mjs");
writeFileSync(SHIM, "export const resolve = (s) => import.meta.resolve(s);\n");
const { resolve } = await import(pathToFileURL(SHIM).href);
const load = (s) => import(resolve(s));
const version = async (p) => JSON.parse((await import("node:fs")).readFileSync(path.join(NM, ...p.split("/"), "package.json"), "utf8")).version;

const v4jwt = await load("next-auth/jwt");
const v5jwt = await load("@auth/core/jwt");
const jose = await load("jose");
const { default: hkdf } = await load("@panva/hkdf");
const { betterAuth } = await load("better-auth");
const { memoryAdapter } = await load("better-auth/adapters/memory");

// ---------------------------------------------------------------------------------------
const NEXTAUTH_SECRET = "nextauth-test-secret-0123456789abcdef012345";
const AUTH_SECRET = "authjs-test-secret-0123456789abcdefghijklmn";
const AUTH_SECRET_1 = "authjs-older-secret-9876543210zyxwvutsrqpo"; // rotation: still accepted
const FOREIGN_SECRET = "someone-elses-secret-0123456789ABCDEFGHIJ";
const BA_SECRET = "authgate-test-secret-0123456789abcdef0123456789"; // as tests/vectors/betterauth
const Y2100 = Date.UTC(2100, 0, 1) / 1000;
const nowS = () => Math.floor(Date.now() / 1000);
const untilY2100 = () => Y2100 - nowS();

const alice = { sub: "user-alice-0001", email: "alice@acme.test", name: "Alice Owner", picture: null };
const bob = { sub: "user-bob-0002", email: "bob@acme.test", name: "Bob Admin" };
const cases = [];
const add = (c) => cases.push(c);

// ---- NextAuth v4 -----------------------------------------------------------------------
for (const cookie of ["next-auth.session-token", "__Secure-next-auth.session-token"]) {
  add({ id: `v4-alice${cookie.startsWith("__") ? "-secure" : ""}`, kind: "authjs", cookie,
    value: await v4jwt.encode({ token: alice, secret: NEXTAUTH_SECRET, maxAge: untilY2100() }),
    expect: "allow", user_id: alice.sub, email: alice.email, name: alice.name });
}
add({ id: "v4-expired", kind: "authjs", cookie: "next-auth.session-token",
  value: await v4jwt.encode({ token: alice, secret: NEXTAUTH_SECRET, maxAge: -3600 }),
  expect: "deny", reason: "expired" });
add({ id: "v4-foreign-secret", kind: "authjs", cookie: "next-auth.session-token",
  value: await v4jwt.encode({ token: alice, secret: FOREIGN_SECRET, maxAge: untilY2100() }),
  expect: "deny", reason: "bad_tag" });

// ---- Auth.js v5 ------------------------------------------------------------------------
const v5 = (token, secret, cookie, maxAge) => v5jwt.encode({ token, secret, salt: cookie, maxAge });
for (const cookie of ["authjs.session-token", "__Secure-authjs.session-token"]) {
  add({ id: `v5-bob${cookie.startsWith("__") ? "-secure" : ""}`, kind: "authjs", cookie,
    value: await v5(bob, AUTH_SECRET, cookie, untilY2100()),
    expect: "allow", user_id: bob.sub, email: bob.email, name: bob.name });
}
add({ id: "v5-rotated-secret", kind: "authjs", cookie: "authjs.session-token",
  value: await v5(bob, AUTH_SECRET_1, "authjs.session-token", untilY2100()),
  expect: "allow", user_id: bob.sub, email: bob.email, name: bob.name });
add({ id: "v5-expired", kind: "authjs", cookie: "authjs.session-token",
  value: await v5(bob, AUTH_SECRET, "authjs.session-token", -3600), expect: "deny", reason: "expired" });
add({ id: "v5-foreign-secret", kind: "authjs", cookie: "authjs.session-token",
  value: await v5(bob, FOREIGN_SECRET, "authjs.session-token", untilY2100()), expect: "deny", reason: "bad_tag" });
// Made for the __Secure- name, sent under the plain one: the salt differs.
add({ id: "v5-wrong-salt", kind: "authjs", cookie: "authjs.session-token",
  value: await v5(bob, AUTH_SECRET, "__Secure-authjs.session-token", untilY2100()), expect: "deny", reason: "bad_tag" });
// A session that needs chunks: Auth.js splits values over 3936 bytes into NAME.0, NAME.1, ...
const big = { ...bob, jti: undefined, groups: Array.from({ length: 160 }, (_, i) => `group-${String(i).padStart(3, "0")}-acme`) };
const bigv = await v5(big, AUTH_SECRET, "authjs.session-token", untilY2100());
const CHUNK = 4096 - 160; // @auth/core lib/utils/cookie.js: ALLOWED_COOKIE_SIZE - ESTIMATED_EMPTY_COOKIE_SIZE
const chunks = [];
for (let i = 0; i * CHUNK < bigv.length; i++) chunks.push(bigv.substr(i * CHUNK, CHUNK));
add({ id: "v5-chunked", kind: "authjs", cookie: "authjs.session-token", value: bigv, chunks,
  expect: "allow", user_id: bob.sub, email: bob.email, name: bob.name });
// A256GCM under v5's derivation (what @auth/core's decode accepts besides A256CBC-HS512),
// encrypted with jose and the HKDF @auth/core itself uses, then checked with its decode.
{
  const cookie = "authjs.session-token";
  const key = await hkdf("sha256", AUTH_SECRET, cookie, `Auth.js Generated Encryption Key (${cookie})`, 32);
  const value = await new jose.EncryptJWT(bob).setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setIssuedAt().setExpirationTime(Y2100).setJti("jti-gcm-0001").encrypt(key);
  const back = await v5jwt.decode({ token: value, secret: AUTH_SECRET, salt: cookie });
  if (back?.sub !== bob.sub) throw new Error("@auth/core did not decode its own A256GCM form");
  add({ id: "v5-a256gcm", kind: "authjs", cookie, value, expect: "allow", user_id: bob.sub,
    email: bob.email, name: bob.name, jti: "jti-gcm-0001" });
  const nbf = await new jose.EncryptJWT(bob).setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setIssuedAt().setNotBefore(Y2100 - 3600).setExpirationTime(Y2100).encrypt(key);
  add({ id: "v5-nbf-future", kind: "authjs", cookie, value: nbf, expect: "deny", reason: "not_yet_valid" });
}
// Every allow case decodes with its own library (the vector is what the library accepts).
for (const c of cases.filter((c) => c.expect === "allow")) {
  const tok = c.value;
  const back = c.cookie.includes("next-auth")
    ? await v4jwt.decode({ token: tok, secret: NEXTAUTH_SECRET })
    : await v5jwt.decode({ token: tok, secret: [AUTH_SECRET, AUTH_SECRET_1], salt: c.cookie });
  if (back?.sub !== c.user_id) throw new Error(`${c.id}: the library does not decode it`);
  c.jti = back.jti ?? "";
  c.exp = back.exp;
}

// ---- better-auth cookie cache ----------------------------------------------------------
// One instance per strategy, in memory. The clock is moved to 2099-12-25 while it signs
// the user in, so the session (7 days) ends on 2100-01-01 and the cache (maxAge 400 days,
// better-call's cap) in 2101 (jwe: see below); a second run at 2020-01-01 makes the
// expired ones.
const realNow = Date.now;
async function baSignIn(strategy, atMs, email) {
  Date.now = () => atMs + (realNow() % 1000);
  try {
    const db = { user: [], session: [], account: [], verification: [] };
    const auth = betterAuth({
      database: memoryAdapter(db), secret: BA_SECRET, baseURL: "http://localhost:3000",
      emailAndPassword: { enabled: true, autoSignIn: false },
      session: { cookieCache: { enabled: true, strategy, maxAge: 400 * 24 * 3600 } },
      logger: { disabled: true },
    });
    await auth.api.signUpEmail({ body: { email, password: "authgate-Fixture-Passw0rd", name: "Carol Member" } });
    const r = await auth.api.signInEmail({ body: { email, password: "authgate-Fixture-Passw0rd" }, returnHeaders: true });
    const set = r.headers.getSetCookie();
    const pick = (name) => {
      const l = set.find((s) => s.startsWith(name + "="));
      return l ? l.slice(name.length + 1, l.indexOf(";")) : null;
    };
    const token = pick("better-auth.session_token");
    const data = pick("better-auth.session_data");
    if (!token || !data) throw new Error(`better-auth ${strategy}: no cookies in ${JSON.stringify(set)}`);
    const session = { ...db.session[0] }, user = { ...db.user[0] };
    // better-auth's own getSession with both cookies answers from the cache (for the
    // expired ones it does not, and drops the row).
    const s = await auth.api.getSession({ headers: new Headers({ cookie: `better-auth.session_token=${token}; better-auth.session_data=${data}` }) });
    return { token, data, set_cookie: set, session, user, answered: s?.user?.id ?? null };
  } finally {
    Date.now = realNow;
  }
}
const ba = [];
for (const strategy of ["compact", "jwt", "jwe"]) {
  // jwe: better-auth's jwe expiry starts from (Date.now() / 1000) | 0, which wraps after
  // 2038-01-19, so its clock stops at 2037-06-01 (session to 2037-06-08, cache to 2038-07).
  const at = strategy === "jwe" ? Date.UTC(2037, 5, 1) : Date.UTC(2099, 11, 25);
  const live = await baSignIn(strategy, at, `carol-${strategy}@acme.test`);
  if (live.answered !== live.user.id) throw new Error(`better-auth ${strategy}: getSession did not answer`);
  ba.push({ id: `ba-${strategy}`, strategy, session_token: live.token, session_data: live.data,
    set_cookie: live.set_cookie, expect: "allow", user_id: live.user.id, email: live.user.email,
    name: live.user.name, session_id: live.session.id, token: live.session.token,
    session_expires_at: live.session.expiresAt.toISOString() });
  const old = await baSignIn(strategy, Date.UTC(2020, 0, 1), `carol-old-${strategy}@acme.test`);
  ba.push({ id: `ba-${strategy}-expired`, strategy, session_token: old.token, session_data: old.data,
    expect: "fallback", reason: "expired", user_id: old.user.id, session_id: old.session.id,
    token: old.session.token });
}

const out = {
  about: "Stateless session cookies made by next-auth, @auth/core and better-auth; see README.md",
  versions: {
    "next-auth": await version("next-auth"), "@auth/core": await version("@auth/core"),
    "better-auth": await version("better-auth"), jose_of_auth_core: await version("jose"), node: process.version,
  },
  secrets: { NEXTAUTH_SECRET, AUTH_SECRET, AUTH_SECRET_1, FOREIGN_SECRET, BETTER_AUTH_SECRET: BA_SECRET },
  chunk_size: CHUNK,
  authjs: cases,
  better_auth_cache: ba,
};
writeFileSync(path.join(OUTDIR, "vectors.json"), JSON.stringify(out, null, 1) + "\n");
console.log(`wrote ${cases.length} Auth.js cases and ${ba.length} better-auth cache cases to ${OUTDIR}/vectors.json`);
