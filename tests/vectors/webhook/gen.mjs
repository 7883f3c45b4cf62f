#!/usr/bin/env node
// tests/vectors/webhook/gen.mjs — webhook signature test vectors for authgate (SPEC §8),
// made by the REAL libraries:
//   * standardwebhooks 1.1.1   Webhook(secret).sign(msgId, date, payload) / .verify(payload, headers)
//   * svix 1.99.1              Webhook(secret).sign(...) / .verify(payload, headers)   (svix-* headers)
//                              (svix 1.99.1 bundles its own standardwebhooks 1.0.0 and delegates to it)
//   * @optare/optareid-js 0.2.2  new OptareClient({baseUrl}).webhooks.verifySignature(payload, signature, secret)
// Output: OUTDIR/vectors.json (OUTDIR defaults to the directory this script lives in).
//
// The packages are NOT installed in the repository. Exact commands (from the repo root):
//
//   mkdir -p /tmp/wh-gen
//   cp -r tests/vectors/webhook/package.json tests/vectors/webhook/package-lock.json \
//         tests/vectors/webhook/stubs /tmp/wh-gen/
//   (cd /tmp/wh-gen && npm ci)
//   (cd /tmp/wh-gen && node "$OLDPWD/tests/vectors/webhook/gen.mjs" "$OLDPWD/tests/vectors/webhook")
//
// Packages are resolved from $WH_GEN_DIR/node_modules, or from ./node_modules of the current
// directory when WH_GEN_DIR is unset — so run it from the scratch dir as above.
//
// About @optare/optareid-js and its stub:
//   @optare/optareid-js@0.2.2 declares a dependency "@optare/api-core": "1.0.0", which is NOT
//   published on the npm registry (npm answers 404), so a plain `npm install @optare/optareid-js`
//   fails before anything is written. optareid-js uses @optare/api-core ONLY for TypeScript types
//   (dist/index.d.ts: `import * as _optare_api_core from '@optare/api-core'`); its runtime code
//   (dist/index.mjs / dist/index.js) imports only axios, zod and node's crypto. So package.json
//   satisfies that dependency with a local, empty stub package: stubs/optare-api-core
//   (name "@optare/api-core", version "1.0.0", `module.exports = {}`), declared as
//   "@optare/api-core": "file:./stubs/optare-api-core". npm then links it and never asks the
//   registry for it. Nothing else is stubbed: the REAL dist/index.mjs of optareid-js is loaded
//   whole (axios and zod are the real ones and load fine in plain Node 20), the documented
//   client is built (`new OptareClient({ baseUrl })`, which makes an axios instance but sends
//   nothing) and its `webhooks.verifySignature` is called. This script checks that the loaded
//   dist never imports @optare/api-core, so the stub cannot influence any result.
//   optareid-js has no signing helper; the X-Optare-Signature values are computed here with
//   node:crypto exactly as verifySignature computes its digest (createHmac("sha256", secret)
//   .update(payload).digest("hex")), and every one of them is then checked by the real
//   verifySignature.
//
// Determinism: every input is fixed (secrets derive from fixed labels, ids and timestamps are
// constants, Date.now is replaced by a fixed clock while the libraries run); two runs give
// byte-identical vectors.json.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash, createHmac } from "node:crypto";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUTDIR = path.resolve(process.argv[2] || HERE);
const PKG_ROOT = path.resolve(process.env.WH_GEN_DIR || process.cwd());

// ---------------------------------------------------------------------------------------
// Module loading from the scratch dir (ESM bare specifiers resolve relative to the importing
// file, and this file lives in the repo, which has no node_modules). A one-line helper module
// placed inside PKG_ROOT/node_modules lets Node's own resolver do the work.
const NM = path.join(PKG_ROOT, "node_modules");
for (const p of ["standardwebhooks", "svix", "@optare/optareid-js"]) {
  if (!existsSync(path.join(NM, ...p.split("/")))) {
    console.error(`gen.mjs: no ${NM}/${p} — run 'npm ci' in the scratch dir (see header) and run from there, or set WH_GEN_DIR`);
    process.exit(2);
  }
}
const SHIM = path.join(NM, ".authgate-gen-resolve.mjs");
writeFileSync(SHIM, "export const resolve = (s) => import.meta.resolve(s);\n");
const { resolve: resolveFromScratch } = await import(pathToFileURL(SHIM).href);
const load = (spec) => import(resolveFromScratch(spec));
const pkgVersion = (...parts) =>
  JSON.parse(readFileSync(path.join(NM, ...parts, "package.json"), "utf8")).version;

const SW = await load("standardwebhooks");
const SVIX = await load("svix");
const OPTARE_ENTRY = fileURLToPath(resolveFromScratch("@optare/optareid-js"));
const OPTARE_SRC = readFileSync(OPTARE_ENTRY, "utf8");
if (/@optare\/api-core/.test(OPTARE_SRC)) {
  console.error(`gen.mjs: ${OPTARE_ENTRY} imports @optare/api-core at run time; the stub would matter — stop`);
  process.exit(3);
}
const OPTARE = await load("@optare/optareid-js");

const versions = {
  node: process.versions.node,
  standardwebhooks: pkgVersion("standardwebhooks"),
  svix: pkgVersion("svix"),
  "svix/node_modules/standardwebhooks": existsSync(path.join(NM, "svix", "node_modules", "standardwebhooks"))
    ? pkgVersion("svix", "node_modules", "standardwebhooks")
    : null,
  "@optare/optareid-js": pkgVersion("@optare", "optareid-js"),
  "@optare/api-core": "stub (local file: package, types only; see README)",
  "@stablelib/base64": pkgVersion("@stablelib", "base64"),
  "fast-sha256": pkgVersion("fast-sha256"),
  axios: pkgVersion("axios"),
  zod: pkgVersion("zod"),
};

// ---------------------------------------------------------------------------------------
// Fixed inputs
const T = 1767225600; // 2026-01-01T00:00:00Z — the webhook-timestamp of every "fresh" delivery
const NOW = T; // the fake clock used for verify() unless a case says otherwise
const TOLERANCE_PROBES = [299, 300, 301];

const keyFrom = (label, n = 32) => createHash("sha256").update(label).digest().subarray(0, n);
const whsec = (key) => "whsec_" + key.toString("base64");

const SW_KEY = keyFrom("authgate/webhook-vectors/standard-webhooks/current");
const SW_OLD_KEY = keyFrom("authgate/webhook-vectors/standard-webhooks/previous");
const SW_WRONG_KEY = keyFrom("authgate/webhook-vectors/standard-webhooks/wrong");
const SVIX_KEY = keyFrom("authgate/webhook-vectors/svix/current", 24); // svix generates 24-byte keys
const SVIX_OLD_KEY = keyFrom("authgate/webhook-vectors/svix/previous", 24);
const SVIX_WRONG_KEY = keyFrom("authgate/webhook-vectors/svix/wrong", 24);
const SECRETS = {
  sw_current: whsec(SW_KEY),
  sw_previous: whsec(SW_OLD_KEY),
  sw_wrong: whsec(SW_WRONG_KEY),
  svix_current: whsec(SVIX_KEY),
  svix_previous: whsec(SVIX_OLD_KEY),
  svix_wrong: whsec(SVIX_WRONG_KEY),
  optare_current: "authgate-optare-webhook-secret-2026-01",
  optare_wrong: "authgate-optare-webhook-secret-WRONG",
};
const SECRET_KEY_HEX = Object.fromEntries(
  Object.entries(SECRETS).map(([k, s]) => [
    k,
    s.startsWith("whsec_") ? Buffer.from(s.slice(6), "base64").toString("hex") : Buffer.from(s, "utf8").toString("hex"),
  ]),
);

// ---------------------------------------------------------------------------------------
// Bodies: one per event kind, plus one with non-ASCII text and one ending in a newline.
// Field names are better-auth's camelCase names; dates are ISO-8601 with milliseconds.
const USER_ID = "usr_01JGX3K7Q9ALICE0000000001";
const USER2_ID = "usr_01JGX3K7Q9ZOE00000000002";
const ORG_ID = "org_01JGX3M2ACME000000000001";
const MEMBER_ID = "mem_01JGX3P8CAROL00000000001";
const SESSION_ID = "ses_01JGX3R4SESS00000000001";
const APIKEY_ID = "key_01JGX3T6APIK00000000001";
const RAW_API_KEY = "ag_Jv8s2Qm4Xz7LkP1nR5tW9yB3dF6hK0cM2eG4iN8oU1aS7qV"; // raw key as delivered (hashed on receipt)

const compact = (o) => JSON.stringify(o);
const BODIES = [
  {
    name: "user.created",
    event: "user.created",
    body: compact({
      id: "evt_01JGX40000USERCREATED0001",
      type: "user.created",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        id: USER_ID,
        name: "Alice Owner",
        email: "alice@example.com",
        emailVerified: true,
        image: null,
        createdAt: "2025-12-31T23:59:58.000Z",
        updatedAt: "2025-12-31T23:59:58.000Z",
        role: "user",
        banned: false,
        banReason: null,
        banExpires: null,
      },
    }),
  },
  {
    name: "organization.updated",
    event: "organization.updated",
    body: compact({
      id: "evt_01JGX40000ORGUPDATED00001",
      type: "organization.updated",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        id: ORG_ID,
        name: "Acme Corporation",
        slug: "acme",
        logo: "https://cdn.example.com/logos/acme.png",
        createdAt: "2025-11-02T09:15:00.000Z",
        updatedAt: "2025-12-31T23:59:30.000Z",
        metadata: '{"plan":"enterprise","seats":50}',
      },
    }),
  },
  {
    name: "member.role.changed",
    event: "member.role.changed",
    body: compact({
      id: "evt_01JGX40000MEMBERROLE00001",
      type: "member.role.changed",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        id: MEMBER_ID,
        organizationId: ORG_ID,
        userId: USER_ID,
        role: "admin",
        previousRole: "member",
        createdAt: "2025-11-02T09:20:00.000Z",
        updatedAt: "2025-12-31T23:59:45.000Z",
      },
    }),
  },
  {
    name: "session.revoked",
    event: "session.revoked",
    body: compact({
      id: "evt_01JGX40000SESSREVOKED0001",
      type: "session.revoked",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        id: SESSION_ID,
        token: "q3Zb8VfK1nT6xWc0RmY4pLs9HdJ2aGe7",
        userId: USER_ID,
        expiresAt: "2026-01-08T00:00:00.000Z",
        createdAt: "2025-12-31T12:00:00.000Z",
        updatedAt: "2025-12-31T23:59:50.000Z",
        ipAddress: "203.0.113.7",
        userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        activeOrganizationId: ORG_ID,
        impersonatedBy: null,
      },
    }),
  },
  {
    name: "api_key.created",
    event: "api_key.created",
    body: compact({
      id: "evt_01JGX40000APIKEYCREATED01",
      type: "api_key.created",
      timestamp: "2026-01-01T00:00:00.000Z",
      data: {
        id: APIKEY_ID,
        configId: "default",
        name: "CI deploy key",
        start: RAW_API_KEY.slice(0, 6),
        prefix: "ag_",
        key: RAW_API_KEY,
        referenceId: USER_ID,
        userId: USER_ID,
        refillInterval: null,
        refillAmount: null,
        lastRefillAt: null,
        enabled: true,
        rateLimitEnabled: true,
        rateLimitTimeWindow: 86400000,
        rateLimitMax: 10,
        requestCount: 0,
        remaining: null,
        lastRequest: null,
        expiresAt: "2026-12-31T23:59:59.000Z",
        createdAt: "2025-12-31T23:59:55.000Z",
        updatedAt: "2025-12-31T23:59:55.000Z",
        permissions: '{"deployments":["read","create"]}',
        metadata: null,
      },
    }),
  },
  {
    // Raw UTF-8 (2-, 3- and 4-byte sequences) AND a JSON \u escape written literally in the body
    // text: the signature covers the bytes as sent, not the decoded JSON.
    name: "user.updated.unicode",
    event: "user.updated",
    body:
      '{"id":"evt_01JGX40000USERUPDATEDUNI1","type":"user.updated","timestamp":"2026-01-01T00:00:00.000Z",' +
      `"data":{"id":"${USER2_ID}","name":"Zoë Ångström-Müller 山田太郎 🚀","email":"zoe@exämple.test",` +
      '"emailVerified":false,"image":null,"createdAt":"2025-10-01T08:00:00.000Z",' +
      '"updatedAt":"2025-12-31T23:59:59.000Z","role":"user","banned":false,"banReason":"caf\\u00e9 \\u2014 none","banExpires":null}}',
  },
  {
    // Pretty-printed, ending in "\n": the newline is part of the signed body.
    name: "organization.created.trailing_newline",
    event: "organization.created",
    body:
      JSON.stringify(
        {
          id: "evt_01JGX40000ORGCREATEDNL001",
          type: "organization.created",
          timestamp: "2026-01-01T00:00:00.000Z",
          data: {
            id: "org_01JGX3M2GLOBEX0000000001",
            name: "Globex",
            slug: "globex",
            logo: null,
            createdAt: "2025-12-31T23:59:40.000Z",
            updatedAt: "2025-12-31T23:59:40.000Z",
            metadata: null,
          },
        },
        null,
        2,
      ) + "\n",
  },
];
const MSG_IDS = {
  "user.created": "msg_2xK9aQ7bUserCreated00000001",
  "organization.updated": "msg_2xK9aQ7bOrgUpdated000000002",
  "member.role.changed": "msg_2xK9aQ7bMemberRole00000003",
  "session.revoked": "msg_2xK9aQ7bSessionRevoked0004",
  "api_key.created": "msg_2xK9aQ7bApiKeyCreated00005",
  "user.updated.unicode": "msg_2xK9aQ7bUserUpdatedUni0006",
  "organization.created.trailing_newline": "msg_2xK9aQ7bOrgCreatedNl00007",
};
const bodyByName = Object.fromEntries(BODIES.map((b) => [b.name, b]));
const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const bodyInfo = (b) => ({
  name: b.name,
  event: b.event,
  body: b.body,
  body_base64: b64(b.body),
  body_length_bytes: Buffer.byteLength(b.body, "utf8"),
  body_sha256_hex: createHash("sha256").update(b.body, "utf8").digest("hex"),
});

// ---------------------------------------------------------------------------------------
// Helpers
function withClock(nowSec, fn) {
  const realNow = Date.now;
  Date.now = () => nowSec * 1000;
  try {
    return fn();
  } finally {
    Date.now = realNow;
  }
}
// Run a verifier and record exactly what it did.
function outcome(fn) {
  try {
    const r = fn();
    const returned =
      r === undefined ? null : typeof r === "object" && r !== null ? "object (the parsed JSON body)" : r;
    return { valid: true, outcome: "returned", returned };
  } catch (e) {
    return { valid: false, outcome: "threw", error_name: e?.name ?? String(e), error_message: e?.message ?? String(e) };
  }
}
// Standard Webhooks signature recomputed independently with node:crypto (cross-check).
const swIndependent = (keyBuf, id, ts, body) =>
  createHmac("sha256", keyBuf).update(`${id}.${ts}.${body}`, "utf8").digest("base64");
const tamper = (body) => {
  // change one value in a way that keeps the JSON valid
  if (body.includes('"role":"admin"')) return body.replace('"role":"admin"', '"role":"owner"');
  if (body.includes('"Alice Owner"')) return body.replace('"Alice Owner"', '"Alice 0wner"');
  return body.replace('"type":"', '"type": "');
};

// =======================================================================================
// a. Standard Webhooks (standardwebhooks package)
function stdSuite({ lib, libName, secrets, keys, headerNames, prefix }) {
  const [H_ID, H_TS, H_SIG] = headerNames;
  const mk = (secret) => new lib.Webhook(secret);
  const sign = (secret, id, ts, body) => withClock(NOW, () => mk(secret).sign(id, new Date(ts * 1000), body));
  const verify = (secret, body, headers, nowSec = NOW) =>
    outcome(() => withClock(nowSec, () => mk(secret).verify(body, headers)));
  const hdrs = (id, ts, sig) => ({ [H_ID]: id, [H_TS]: String(ts), [H_SIG]: sig });

  const signed = [];
  for (const b of BODIES) {
    const id = MSG_IDS[b.name];
    const sigHeader = sign(secrets.current, id, T, b.body);
    const sigB64 = sigHeader.slice(3);
    const indep = swIndependent(keys.current, id, T, b.body);
    if (indep !== sigB64) throw new Error(`${libName}: library signature differs from node:crypto for ${b.name}`);
    signed.push({
      body_name: b.name,
      secret: secrets.current,
      msg_id: id,
      timestamp: T,
      body: b.body,
      signed_content: `${id}.${T}.${b.body}`,
      signed_content_base64: b64(`${id}.${T}.${b.body}`),
      signature_base64: sigB64,
      headers: hdrs(id, T, sigHeader),
    });
  }

  const cases = [];
  const add = (name, description, secret, body, headers, nowSec = NOW, extra = {}) => {
    cases.push({
      name: `${prefix}.${name}`,
      description,
      secret,
      now: nowSec,
      body,
      body_base64: b64(body),
      headers,
      ...extra,
      library_result: verify(secret, body, headers, nowSec),
    });
  };

  // valid, one per body
  for (const s of signed) add(`valid.${s.body_name}`, "fresh delivery signed with the current secret", secrets.current, s.body, s.headers);

  const base = signed[0]; // user.created
  const role = signed.find((s) => s.body_name === "member.role.changed");
  const nl = signed.find((s) => s.body_name === "organization.created.trailing_newline");
  add("tampered_body", "body changed after signing (one value altered, JSON still valid)", secrets.current, tamper(base.body), base.headers);
  add("tampered_body.role", 'member.role.changed body with "admin" replaced by "owner"', secrets.current, tamper(role.body), role.headers);
  add("tampered_body.trailing_newline_stripped", "the signed body ended in \\n; delivered without it", secrets.current, nl.body.replace(/\n$/, ""), nl.headers);
  add("wrong_secret", "valid delivery verified with an unrelated secret", secrets.wrong, base.body, base.headers);

  // rotation: two entries, old secret first then new, space-separated
  const oldSig = sign(secrets.previous, base.msg_id, T, base.body);
  const newSig = base.headers[H_SIG];
  const rotHeaders = hdrs(base.msg_id, T, `${oldSig} ${newSig}`);
  const rot = { signature_entries: { previous_secret: oldSig, current_secret: newSig } };
  add("rotation.verify_with_current", "header carries two v1 entries (previous secret's, then current's); verified with the current secret", secrets.current, base.body, rotHeaders, NOW, rot);
  add("rotation.verify_with_previous", "same header, verified with the previous secret", secrets.previous, base.body, rotHeaders, NOW, rot);
  add("rotation.verify_with_wrong", "same header, verified with an unrelated secret", secrets.wrong, base.body, rotHeaders, NOW, rot);

  // versions
  const correctB64 = newSig.slice(3);
  add("version.v2_only", "only entry is v2,<the correct base64>: unknown version is skipped, so no match", secrets.current, base.body, hdrs(base.msg_id, T, `v2,${correctB64}`));
  add("version.v2_then_v1", "v2,<garbage> then the correct v1 entry", secrets.current, base.body, hdrs(base.msg_id, T, `v2,AAAA ${newSig}`));
  add("version.v1a_prefix", "v1a,<correct base64>: version must equal \"v1\" exactly", secrets.current, base.body, hdrs(base.msg_id, T, `v1a,${correctB64}`));

  // tolerance edges: signed with timestamp now∓d, verified at now
  for (const d of TOLERANCE_PROBES) {
    for (const [dir, ts] of [["past", T - d], ["future", T + d]]) {
      const sig = sign(secrets.current, base.msg_id, ts, base.body);
      add(`timestamp.${dir}_${d}s`, `signed with timestamp now${dir === "past" ? "-" : "+"}${d}; verified at now=${T}`, secrets.current, base.body, hdrs(base.msg_id, ts, sig), NOW, {
        timestamp_offset_seconds: dir === "past" ? -d : d,
      });
    }
  }
  add("timestamp.header_changed_after_signing", "signature made for timestamp T, header says T+1 (still fresh)", secrets.current, base.body, hdrs(base.msg_id, T + 1, newSig));
  add("msg_id.changed_after_signing", "signature made for one msg id, header carries another", secrets.current, base.body, hdrs(base.msg_id + "X", T, newSig));

  return { signed, cases, sign, verify, hdrs, base };
}

const sw = stdSuite({
  lib: SW,
  libName: "standardwebhooks",
  secrets: { current: SECRETS.sw_current, previous: SECRETS.sw_previous, wrong: SECRETS.sw_wrong },
  keys: { current: SW_KEY },
  headerNames: ["webhook-id", "webhook-timestamp", "webhook-signature"],
  prefix: "sw",
});
{
  // Library quirks worth knowing (recorded, not prescriptions).
  const { base, verify, sign, hdrs } = sw;
  const q = (name, description, secret, body, headers, extra = {}) =>
    sw.cases.push({
      name: `sw.quirk.${name}`,
      description,
      secret,
      now: NOW,
      body,
      body_base64: b64(body),
      headers,
      ...extra,
      library_result: verify(secret, body, headers),
    });
  const sig = base.headers["webhook-signature"];
  const sigB64 = sig.slice(3);
  q("secret_without_whsec_prefix", "secret given as bare base64 (no whsec_): the library strips whsec_ only if present", SECRETS.sw_current.slice(6), base.body, base.headers);
  q("double_space_between_entries", "two spaces between entries (empty entry is skipped)", SECRETS.sw_current, base.body, hdrs(base.msg_id, T, `v1,AAAA  ${sig}`));
  q("comma_separated_entries", "entries separated by ',' with no space (v1,AAAA,v1,<correct>): only ' ' separates entries", SECRETS.sw_current, base.body, hdrs(base.msg_id, T, `v1,AAAA,${sig}`));
  q("comma_space_separated_entries", "entries separated by ', ' (v1,AAAA, v1,<correct>): the space splits, the stray ',' rides on the first entry", SECRETS.sw_current, base.body, hdrs(base.msg_id, T, `v1,AAAA, ${sig}`));
  q("entry_with_extra_comma_field", "v1,<correct>,extra: split(',') keeps only the first two fields", SECRETS.sw_current, base.body, hdrs(base.msg_id, T, `${sig},extra`));
  q("signature_without_padding", "correct base64 with its '=' padding removed (compared as text)", SECRETS.sw_current, base.body, hdrs(base.msg_id, T, `v1,${sigB64.replace(/=+$/, "")}`));
  q("timestamp_leading_zero", "webhook-timestamp \"0\"+T; signature over the normalised integer T (parseInt)", SECRETS.sw_current, base.body, hdrs(base.msg_id, "0" + T, sig));
  q("timestamp_trailing_garbage", "webhook-timestamp T+\"abc\"; parseInt stops at the garbage; signature over T", SECRETS.sw_current, base.body, hdrs(base.msg_id, T + "abc", sig));
  q("timestamp_not_a_number", "webhook-timestamp \"abc\"", SECRETS.sw_current, base.body, hdrs(base.msg_id, "abc", sig));
  q("missing_signature_header", "no webhook-signature header", SECRETS.sw_current, base.body, { "webhook-id": base.msg_id, "webhook-timestamp": String(T) });
  q("uppercase_header_names", "header names in mixed case (the library lower-cases them)", SECRETS.sw_current, base.body, {
    "Webhook-Id": base.msg_id,
    "Webhook-Timestamp": String(T),
    "Webhook-Signature": sig,
  });
  // Raw bytes: the library turns a Buffer payload into a JS string (UTF-8 decode) before signing.
  const uni = sw.signed.find((s) => s.body_name === "user.updated.unicode");
  sw.cases.push({
    name: "sw.quirk.buffer_payload_unicode",
    description: "unicode body passed to verify() as a Buffer of its UTF-8 bytes instead of a string",
    secret: SECRETS.sw_current,
    now: NOW,
    body: uni.body,
    body_base64: b64(uni.body),
    headers: uni.headers,
    library_result: verify(SECRETS.sw_current, Buffer.from(uni.body, "utf8"), uni.headers),
  });
  const badBytes = Buffer.concat([Buffer.from('{"type":"user.updated","data":{"name":"', "utf8"), Buffer.from([0xff, 0xfe]), Buffer.from('"}}', "utf8")]);
  const libSigBad = sign(SECRETS.sw_current, base.msg_id, T, badBytes);
  const rawSigBad = "v1," + createHmac("sha256", SW_KEY).update(Buffer.concat([Buffer.from(`${base.msg_id}.${T}.`), badBytes])).digest("base64");
  for (const [n, s, d] of [
    ["invalid_utf8_body.library_signature", libSigBad, "body bytes contain 0xFF 0xFE (not UTF-8); signature made by the library's sign() from the same Buffer (it UTF-8-decodes with U+FFFD replacement first)"],
    ["invalid_utf8_body.raw_bytes_signature", rawSigBad, "same body; signature = HMAC over the raw bytes (what a raw-bytes verifier computes)"],
  ]) {
    sw.cases.push({
      name: `sw.quirk.${n}`,
      description: d,
      secret: SECRETS.sw_current,
      now: NOW,
      body: null,
      body_base64: badBytes.toString("base64"),
      headers: hdrs(base.msg_id, T, s),
      library_result: outcome(() => withClock(NOW, () => new SW.Webhook(SECRETS.sw_current).verify(badBytes, hdrs(base.msg_id, T, s), { jsonParse: false }))),
      note: "verify() called with the Buffer and {jsonParse:false}",
    });
  }
}

// =======================================================================================
// b. Svix (svix package; svix-* headers)
const sv = stdSuite({
  lib: SVIX,
  libName: "svix",
  secrets: { current: SECRETS.svix_current, previous: SECRETS.svix_previous, wrong: SECRETS.svix_wrong },
  keys: { current: SVIX_KEY },
  headerNames: ["svix-id", "svix-timestamp", "svix-signature"],
  prefix: "svix",
});
{
  const { base, verify } = sv;
  const sig = base.headers["svix-signature"];
  const q = (name, description, headers) =>
    sv.cases.push({
      name: `svix.quirk.${name}`,
      description,
      secret: SECRETS.svix_current,
      now: NOW,
      body: base.body,
      body_base64: b64(base.body),
      headers,
      library_result: verify(SECRETS.svix_current, base.body, headers),
    });
  q("webhook_headers_only", "svix library given webhook-id/-timestamp/-signature instead of svix-*", {
    "webhook-id": base.msg_id,
    "webhook-timestamp": String(T),
    "webhook-signature": sig,
  });
  q("svix_headers_take_precedence", "both sets present: svix-signature wrong, webhook-signature right", {
    "svix-id": base.msg_id,
    "svix-timestamp": String(T),
    "svix-signature": "v1,AAAA",
    "webhook-id": base.msg_id,
    "webhook-timestamp": String(T),
    "webhook-signature": sig,
  });
  // cross-library: same secret + id + timestamp + body gives the same signature in both
  const swSig = withClock(NOW, () => new SW.Webhook(SECRETS.svix_current).sign(base.msg_id, new Date(T * 1000), base.body));
  if (swSig !== sig) throw new Error("svix and standardwebhooks disagree on the same input");
}

// =======================================================================================
// c. Optare (@optare/optareid-js verifySignature)
const client = new OPTARE.OptareClient({ baseUrl: "http://127.0.0.1:9" }); // never contacted
const verifySignature = client.webhooks.verifySignature.bind(client.webhooks);
const vsSource = OPTARE.WebhookNamespace.prototype.verifySignature.toString();
const vsParams = vsSource.slice(vsSource.indexOf("(") + 1, vsSource.indexOf(")")).split(",").map((s) => s.trim());
const optHex = (secret, body) => createHmac("sha256", secret).update(body).digest("hex");
const optare = {
  library: `@optare/optareid-js@${versions["@optare/optareid-js"]}`,
  header_name: "X-Optare-Signature",
  function: {
    call: "new OptareClient({ baseUrl }).webhooks.verifySignature(payload, signature, secret)",
    arity: OPTARE.WebhookNamespace.prototype.verifySignature.length,
    parameters: vsParams,
    typescript: "verifySignature(payload: string, signature: string, secret: string): boolean",
    returns: "true when valid; never returns false — every failure throws Error",
    source: vsSource,
  },
  secret: SECRETS.optare_current,
  wrong_secret: SECRETS.optare_wrong,
  signed: [],
  cases: [],
};
for (const b of BODIES) {
  const hex = optHex(SECRETS.optare_current, b.body);
  optare.signed.push({ body_name: b.name, secret: SECRETS.optare_current, body: b.body, hmac_sha256_hex: hex, header_value: `sha256=${hex}` });
}
{
  const add = (name, description, payload, signature, secret, extra = {}) =>
    optare.cases.push({
      name: `optare.${name}`,
      description,
      payload: typeof payload === "string" ? payload : null,
      payload_base64: Buffer.from(payload).toString("base64"),
      payload_type: typeof payload === "string" ? "string" : "Buffer",
      signature,
      secret,
      ...extra,
      library_result: outcome(() => verifySignature(payload, signature, secret)),
    });
  for (const s of optare.signed) add(`valid.${s.body_name}`, "correct sha256=<lowercase hex>", s.body, s.header_value, SECRETS.optare_current);
  const base = optare.signed[0];
  const hex = base.hmac_sha256_hex;
  const S = SECRETS.optare_current;
  add("uppercase_hex", "sha256=<UPPERCASE hex> of the correct digest", base.body, `sha256=${hex.toUpperCase()}`, S);
  add("bare_hex", "correct lowercase hex without the sha256= prefix", base.body, hex, S);
  add("truncated_hex", "sha256= + first 63 hex digits", base.body, `sha256=${hex.slice(0, 63)}`, S);
  add("truncated_hex_32", "sha256= + first 32 hex digits", base.body, `sha256=${hex.slice(0, 32)}`, S);
  add("wrong_secret", "correct header, verified with another secret", base.body, base.header_value, SECRETS.optare_wrong);
  add("tampered_body", "body altered after signing", tamper(base.body), base.header_value, S);
  const nl = optare.signed.find((s) => s.body_name === "organization.created.trailing_newline");
  add("tampered_body.trailing_newline_stripped", "signed body ended in \\n; delivered without it", nl.body.replace(/\n$/, ""), nl.header_value, S);
  add("empty_signature", "signature is the empty string", base.body, "", S);
  add("prefix_only", "signature is just 'sha256='", base.body, "sha256=", S);
  add("uppercase_prefix", "SHA256=<lowercase hex>", base.body, `SHA256=${hex}`, S);
  add("other_algorithm_prefix", "sha1=<the sha256 hex>", base.body, `sha1=${hex}`, S);
  add("trailing_equals_junk", "sha256=<correct hex>=junk — split('=') keeps only the first two fields", base.body, `sha256=${hex}=junk`, S);
  add("trailing_equals", "sha256=<correct hex>=", base.body, `sha256=${hex}=`, S);
  add("double_equals", "sha256==<correct hex>", base.body, `sha256==${hex}`, S);
  add("leading_space", "' sha256=<correct hex>'", base.body, ` sha256=${hex}`, S);
  add("trailing_space", "'sha256=<correct hex> '", base.body, `sha256=${hex} `, S);
  add("two_signatures_comma", "sha256=<wrong>,sha256=<correct> (no list support)", base.body, `sha256=${optHex(SECRETS.optare_wrong, base.body)},sha256=${hex}`, S);
  const uni = optare.signed.find((s) => s.body_name === "user.updated.unicode");
  add("buffer_payload_unicode", "unicode body passed as a Buffer of its UTF-8 bytes", Buffer.from(uni.body, "utf8"), uni.header_value, S);
  // a whsec_-looking secret is NOT base64-decoded by Optare: the HMAC key is the whole string's UTF-8 bytes
  const ws = SECRETS.sw_current;
  add("whsec_secret_used_literally", "secret 'whsec_…' with HMAC keyed by the literal string's UTF-8 bytes", base.body, `sha256=${optHex(ws, base.body)}`, ws);
  add("whsec_secret_decoded_key", "secret 'whsec_…' with HMAC keyed by the base64-DECODED bytes", base.body, `sha256=${createHmac("sha256", SW_KEY).update(base.body).digest("hex")}`, ws);
  add("empty_secret", "secret '' and HMAC keyed by the empty string", base.body, `sha256=${optHex("", base.body)}`, "");
}

// =======================================================================================
const out = {
  description:
    "authgate webhook signature vectors (SPEC §8), made by the real standardwebhooks, svix and @optare/optareid-js packages. library_result is what the library itself did; see README.md.",
  generator: "tests/vectors/webhook/gen.mjs",
  versions,
  fixed: { timestamp: T, now: NOW, tolerance_probes_seconds: TOLERANCE_PROBES },
  secrets: SECRETS,
  secret_key_hex: SECRET_KEY_HEX,
  bodies: BODIES.map(bodyInfo),
  standard_webhooks: {
    library: `standardwebhooks@${versions.standardwebhooks}`,
    header_names: ["webhook-id", "webhook-timestamp", "webhook-signature"],
    secret: SECRETS.sw_current,
    previous_secret: SECRETS.sw_previous,
    wrong_secret: SECRETS.sw_wrong,
    signed: sw.signed,
    cases: sw.cases,
  },
  svix: {
    library: `svix@${versions.svix} (delegates to standardwebhooks@${versions["svix/node_modules/standardwebhooks"]})`,
    header_names: ["svix-id", "svix-timestamp", "svix-signature"],
    secret: SECRETS.svix_current,
    previous_secret: SECRETS.svix_previous,
    wrong_secret: SECRETS.svix_wrong,
    signed: sv.signed,
    cases: sv.cases,
  },
  optare,
};
mkdirSync(OUTDIR, { recursive: true });
const file = path.join(OUTDIR, "vectors.json");
writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
const n = out.standard_webhooks.cases.length + out.svix.cases.length + out.optare.cases.length;
console.log(`wrote ${file}: ${BODIES.length} bodies, ${n} cases`);
