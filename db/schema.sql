-- authgate schema (SQLite). `authgate init` runs this file, built into the
-- binary. Part 1 is better-auth's own tables, with the same names, columns
-- and types that better-auth 1.7 (organization, admin and api-key plugins)
-- creates with its Kysely adapter, so authgate can also read a better-auth
-- server's database. `init` runs part 1 only on a database without a
-- "user" table; on an existing better-auth database it adds only parts 2
-- and 3 (authgate_* tables and views).

create table if not exists "user" ("id" text not null primary key, "name" text not null, "email" text not null unique, "emailVerified" integer not null, "image" text, "createdAt" date not null, "updatedAt" date not null, "role" text, "banned" integer, "banReason" text, "banExpires" date);
create table if not exists "session" ("id" text not null primary key, "expiresAt" date not null, "token" text not null unique, "createdAt" date not null, "updatedAt" date not null, "ipAddress" text, "userAgent" text, "userId" text not null references "user" ("id") on delete cascade, "activeOrganizationId" text, "impersonatedBy" text);
create table if not exists "account" ("id" text not null primary key, "accountId" text not null, "providerId" text not null, "userId" text not null references "user" ("id") on delete cascade, "accessToken" text, "refreshToken" text, "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, "createdAt" date not null, "updatedAt" date not null);
create table if not exists "verification" ("id" text not null primary key, "identifier" text not null, "value" text not null, "expiresAt" date not null, "createdAt" date not null, "updatedAt" date not null);
create table if not exists "organization" ("id" text not null primary key, "name" text not null, "slug" text not null unique, "logo" text, "createdAt" date not null, "metadata" text);
create table if not exists "member" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "userId" text not null references "user" ("id") on delete cascade, "role" text not null, "createdAt" date not null);
create table if not exists "invitation" ("id" text not null primary key, "organizationId" text not null references "organization" ("id") on delete cascade, "email" text not null, "role" text, "status" text not null, "expiresAt" date not null, "createdAt" date not null, "inviterId" text not null references "user" ("id") on delete cascade);
create table if not exists "apikey" ("id" text not null primary key, "configId" text not null, "name" text, "start" text, "referenceId" text not null, "prefix" text, "key" text not null, "refillInterval" integer, "refillAmount" integer, "lastRefillAt" date, "enabled" integer, "rateLimitEnabled" integer, "rateLimitTimeWindow" integer, "rateLimitMax" integer, "requestCount" integer, "remaining" integer, "lastRequest" date, "expiresAt" date, "createdAt" date not null, "updatedAt" date not null, "permissions" text, "metadata" text);
create index if not exists "session_userId_idx" on "session" ("userId");
create index if not exists "account_userId_idx" on "account" ("userId");
create index if not exists "verification_identifier_idx" on "verification" ("identifier");
create index if not exists "member_organizationId_idx" on "member" ("organizationId");
create index if not exists "member_userId_idx" on "member" ("userId");
create index if not exists "invitation_organizationId_idx" on "invitation" ("organizationId");
create index if not exists "invitation_email_idx" on "invitation" ("email");
create index if not exists "apikey_configId_idx" on "apikey" ("configId");
create index if not exists "apikey_referenceId_idx" on "apikey" ("referenceId");
create index if not exists "apikey_key_idx" on "apikey" ("key");

-- @authgate-tables
-- Part 2: authgate's own tables. Always safe to run again.

-- Schema version of the authgate_* tables.
create table if not exists authgate_schema (
  version    integer not null,
  applied_at text    not null
);
insert into authgate_schema (version, applied_at)
  select 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  where not exists (select 1 from authgate_schema where version = 1);

-- Route rules (SPEC section 6). First match by (priority, id) decides;
-- no match means 'authenticated'. Edits apply on the next request.
-- require_permission (after min_role) came later: authgate init adds it
-- to an older table.
create table if not exists authgate_rule (
  id          integer primary key,
  priority    integer not null default 100,
  method      text,                        -- NULL = any; else 'GET,HEAD'
  path        text    not null,            -- glob: '*' one segment, '/**' the rest
  access      text    not null default 'authenticated'
              check (access in ('public', 'authenticated', 'session', 'api_key', 'deny')),
  min_role    text
              check (min_role is null or min_role in ('guest', 'member', 'admin', 'owner')),
  on_deny     text    not null default 'auto'
              check (on_deny in ('auto', 'json', 'redirect')),
  redirect_to text,                        -- local path; default /sign-in
  note        text,
  require_permission text                  -- NULL or 'projects:write,...': all required
);
create index if not exists authgate_rule_order on authgate_rule (priority, id);

-- Webhook deliveries already applied (exactly-once), pruned after 7 days.
create table if not exists authgate_event (
  id          text primary key,
  type        text not null,
  received_at text not null,
  outcome     text not null
);
create index if not exists authgate_event_received on authgate_event (received_at);

-- Objects deleted or revoked by the IdP: a late create/update for the same
-- id must not bring them back. Kept 30 days, four times the event log's
-- 7 days: an event older than 7 days is refused, so none can outlive its
-- tombstone.
create table if not exists authgate_tombstone (
  kind        text not null,               -- user | organization | member | session | apikey
  id          text not null,
  deleted_at  text not null,
  primary key (kind, id)
);
create index if not exists authgate_tombstone_deleted on authgate_tombstone (deleted_at);

-- The newest version (updatedAt, else the event's time, in epoch ms) applied
-- to each mirrored object: an older event never overwrites a newer one.
-- Removed when the object is deleted; its tombstone takes over.
create table if not exists authgate_version (
  kind        text    not null,
  id          text    not null,
  version_ms  integer not null,
  primary key (kind, id)
);

-- Roles for organization-owned API keys (apikey.referenceId names an
-- organization). better-auth lets clients choose a key's metadata, so a
-- metadata "role" may only narrow a user's key, and an organization's key
-- takes its role from here alone: written by `authgate key create --org ID
-- --role R` or by an admin in the sqlite3 shell, never by the webhook.
-- The permissions each role grants a session (a key's come from its own
-- permissions JSON). One row per (role, 'resource:action'); no row, no
-- permission. Edited in the sqlite3 shell; read on the next request.
create table if not exists authgate_role_permission (
  role        text not null check (role in ('guest', 'member', 'admin', 'owner')),
  permission  text not null,
  primary key (role, permission)
);

create table if not exists authgate_key_role (
  key_id      text primary key,
  role        text not null check (role in ('guest', 'member', 'admin', 'owner')),
  granted_at  text not null,
  note        text
);

-- Organizations and roles for identities whose IdP has none of its own:
-- NextAuth v4 / Auth.js v5 users (database or JWT sessions). A user is
-- named by the IdP's user id or, failing that, by e-mail address (never
-- both in one row). The identity's organization is that of its oldest row
-- (lowest id) among the rows with its user id, or, when it has none, among
-- the rows with its address; its roles are all its rows there, like
-- better-auth's member.role. Written by `authgate member add|remove` or in
-- the sqlite3 shell; read on the next request. better-auth sessions and
-- keys never read these tables (their organization is better-auth's).
create table if not exists authgate_organization (
  id          text primary key,
  slug        text not null unique,
  name        text
);

create table if not exists authgate_membership (
  id              integer primary key,
  user_id         text,
  email           text collate nocase,
  organization_id text not null
                  references authgate_organization (id) on delete cascade,
  role            text not null
                  check (role in ('guest', 'member', 'admin', 'owner')),
  created_at      text not null
                  default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  check ((user_id is null) <> (email is null))
);
create index if not exists authgate_membership_user
  on authgate_membership (user_id);
create index if not exists authgate_membership_email
  on authgate_membership (email);

-- @authgate-views
-- Part 3, the views for the sqlite3 shell, is db/admin.sql: the build
-- appends that file here, so `authgate init` runs it after part 2 (and
-- then drops any view this database cannot support).
