// make_db.mjs - writes the Auth.js adapter databases the authjs_db suite
// and the store_read unit test load: the tables are created the way each
// adapter's documentation says, and the rows are written by the adapters
// themselves (createUser, createSession), so the column names, the date
// encodings (Kysely: ISO-8601 text; Drizzle: integer epoch ms) and the
// NULLs are the real ones.
//
//   cd /work/scratch/authjsdb && cp .../package.json . && npm ci
//   node .../make_db.mjs OUTDIR      (writes kysely.sql and drizzle.sql)
//
// Expiry is far in the future (2099) except for the sessions named
// "expired". The tokens are fixed strings in the formats Auth.js makes
// (v5: randomUUID, v4: 32 random bytes in hex), so the suites can name
// them; user ids are whatever the adapters chose (look them up by email).
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { KyselyAdapter } from "@auth/kysely-adapter";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import { generateSQLiteDrizzleJson, generateSQLiteMigration } from "drizzle-kit/api";

const out = process.argv[2] || ".";
const FUTURE = new Date("2099-01-01T00:00:00.000Z");
const PAST = new Date("2020-01-01T00:00:00.000Z");

const USERS = [
	{ key: "alice", name: "Alice Owner", email: "alice@example.test" },
	{ key: "bob", name: "Bob Member", email: "bob@example.test" },
	{ key: "carol", name: "Carol Nobody", email: "carol@example.test" },
];
// [user, token, expires]
const SESSIONS = (p) => [
	["alice", `${p}-v5-0b9f4c62-6a51-4c47-9b1e-2f6f3d1a7c01`, FUTURE],
	["alice", `${p}v4a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8`, FUTURE],
	["bob", `${p}-v5-7d3e9a10-1c2b-4e5f-8a9b-0c1d2e3f4a5b`, FUTURE],
	["carol", `${p}-v5-c4a7e2d9-5b6f-4a3c-9d8e-1f2a3b4c5d6e`, FUTURE],
	["alice", `${p}-expired-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9`, PAST],
];

async function fill(adapter, prefix) {
	const ids = {};
	for (const u of USERS) {
		const made = await adapter.createUser({
			id: crypto.randomUUID(), name: u.name, email: u.email,
			emailVerified: null, image: null,
		});
		ids[u.key] = made.id;
	}
	for (const [who, sessionToken, expires] of SESSIONS(prefix))
		await adapter.createSession({ sessionToken, userId: ids[who], expires });
}

function dump(file, name) {
	const text = execFileSync("sqlite3", [file, ".dump"], { encoding: "utf8" });
	writeFileSync(join(out, name), text);
	rmSync(file, { force: true });
}

// Kysely (@auth/kysely-adapter): tables User, Account, Session,
// VerificationToken, made with Kysely's schema builder as the adapter's
// docs show, with SQLite's types (text for ids and dates).
async function kysely() {
	const file = join(out, "kysely.db");
	rmSync(file, { force: true });
	const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(file) }) });
	await db.schema.createTable("User")
		.addColumn("id", "text", (c) => c.primaryKey().defaultTo(sql`(lower(hex(randomblob(16))))`))
		.addColumn("name", "text")
		.addColumn("email", "text", (c) => c.unique().notNull())
		.addColumn("emailVerified", "text")
		.addColumn("image", "text").execute();
	await db.schema.createTable("Account")
		.addColumn("id", "text", (c) => c.primaryKey().defaultTo(sql`(lower(hex(randomblob(16))))`))
		.addColumn("userId", "text", (c) => c.references("User.id").onDelete("cascade").notNull())
		.addColumn("type", "text", (c) => c.notNull())
		.addColumn("provider", "text", (c) => c.notNull())
		.addColumn("providerAccountId", "text", (c) => c.notNull())
		.addColumn("refresh_token", "text")
		.addColumn("access_token", "text")
		.addColumn("expires_at", "bigint")
		.addColumn("token_type", "text")
		.addColumn("scope", "text")
		.addColumn("id_token", "text")
		.addColumn("session_state", "text").execute();
	await db.schema.createTable("Session")
		.addColumn("id", "text", (c) => c.primaryKey().defaultTo(sql`(lower(hex(randomblob(16))))`))
		.addColumn("userId", "text", (c) => c.references("User.id").onDelete("cascade").notNull())
		.addColumn("sessionToken", "text", (c) => c.notNull().unique())
		.addColumn("expires", "text", (c) => c.notNull()).execute();
	await db.schema.createTable("VerificationToken")
		.addColumn("identifier", "text", (c) => c.notNull())
		.addColumn("token", "text", (c) => c.notNull().unique())
		.addColumn("expires", "text", (c) => c.notNull()).execute();
	await db.schema.createIndex("Account_userId_index").on("Account").column("userId").execute();
	await db.schema.createIndex("Session_userId_index").on("Session").column("userId").execute();
	await fill(KyselyAdapter(db), "ky");
	await db.destroy();
	dump(file, "kysely.sql");
}

// Drizzle (@auth/drizzle-adapter, sqlite): the adapter's default tables
// (user, account, session, verificationToken, authenticator), created with
// the SQL drizzle-kit generates for them (what `drizzle-kit push` runs).
async function drizzleDb() {
	const file = join(out, "drizzle.db");
	rmSync(file, { force: true });
	const sqlite = new Database(file);
	// the adapter's own default tables (not exported as a subpath)
	const { defineTables } = await import(new URL("node_modules/@auth/drizzle-adapter/lib/sqlite.js",
	    pathToFileURL(process.cwd() + "/")));
	const tables = defineTables({});
	const cur = await generateSQLiteDrizzleJson(tables);
	const prev = await generateSQLiteDrizzleJson({});
	for (const stmt of await generateSQLiteMigration(prev, cur))
		sqlite.exec(stmt);
	const db = drizzle(sqlite);
	await fill(DrizzleAdapter(db, tables), "dz");
	sqlite.close();
	dump(file, "drizzle.sql");
}

await kysely();
await drizzleDb();
