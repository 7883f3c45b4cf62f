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
  note        text
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
-- id must not bring them back. Pruned with the event log.
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

-- @authgate-views
-- Part 3: views for the sqlite3 shell (documented, with recipes, in
-- db/admin.sql, which holds the same definitions). Dropped and re-created
-- on every init, so they follow the authgate version. `init` keeps only
-- the views that work on this database (a better-auth file without the
-- organization or api-key plugin skips the views that need them), because
-- a broken view would make better-auth's own ALTER TABLE migrations fail.
-- Dates are shown as ISO-8601 UTC whether stored as text or epoch ms.
-- No view shows a session token or an API key hash.

drop view if exists authgate_active_sessions;
create view authgate_active_sessions as
select s.id as session_id, s.userId as user_id, u.email as email,
       u.name as name, s.activeOrganizationId as org_id, o.slug as org_slug,
       (select m.role from member m
         where m.organizationId = s.activeOrganizationId
           and m.userId = s.userId
         order by m.createdAt limit 1) as role,
       strftime('%Y-%m-%dT%H:%M:%fZ', (case
         when typeof(s.expiresAt) in ('integer', 'real') then
           case when s.expiresAt >= 0 and s.expiresAt < 100000000000
             then s.expiresAt * 1000 else s.expiresAt end
         when typeof(s.expiresAt) = 'text' then
           (julianday(s.expiresAt) - 2440587.5) * 86400000.0
       end) / 1000.0, 'unixepoch') as expires_at,
       s.ipAddress as ip_address, s.userAgent as user_agent
  from session s
  join "user" u on u.id = s.userId
  left join organization o on o.id = s.activeOrganizationId
 where (case
         when typeof(s.expiresAt) in ('integer', 'real') then
           case when s.expiresAt >= 0 and s.expiresAt < 100000000000
             then s.expiresAt * 1000 else s.expiresAt end
         when typeof(s.expiresAt) = 'text' then
           (julianday(s.expiresAt) - 2440587.5) * 86400000.0
       end) > (julianday('now') - 2440587.5) * 86400000.0
 order by u.email, s.id;

drop view if exists authgate_members;
create view authgate_members as
select o.id as org_id, o.slug as org_slug, o.name as org_name,
       m.userId as user_id, u.email as email, u.name as name,
       m.role as role, m.id as member_id
  from member m
  join organization o on o.id = m.organizationId
  left join "user" u on u.id = m.userId
 order by o.slug, u.email;

drop view if exists authgate_keys;
create view authgate_keys as
select k.id as id, k.name as name, k.start as start,
       k.referenceId as owner,
       case when u.id is not null then 'user'
            when exists (select 1 from organization o
                          where o.id = k.referenceId) then 'organization'
            else 'unknown' end as owner_kind,
       u.email as owner_email,
       coalesce(case when json_valid(k.metadata) then
                  case when json_type(k.metadata) = 'text'
                        and json_valid(json_extract(k.metadata, '$'))
                       then json_extract(json_extract(k.metadata, '$'),
                                         '$.organizationId')
                       else json_extract(k.metadata, '$.organizationId')
                  end end,
                case when u.id is null and exists (select 1 from organization o
                          where o.id = k.referenceId) then k.referenceId end)
         as org_id,
       case when json_valid(k.metadata) then
         case when json_type(k.metadata) = 'text'
               and json_valid(json_extract(k.metadata, '$'))
              then json_extract(json_extract(k.metadata, '$'), '$.role')
              else json_extract(k.metadata, '$.role')
         end end as role,
       case when k.enabled in (1, '1', 'true') then 1 else 0 end as enabled,
       strftime('%Y-%m-%dT%H:%M:%fZ', (case
         when typeof(k.expiresAt) in ('integer', 'real') then
           case when k.expiresAt >= 0 and k.expiresAt < 100000000000
             then k.expiresAt * 1000 else k.expiresAt end
         when typeof(k.expiresAt) = 'text' then
           (julianday(k.expiresAt) - 2440587.5) * 86400000.0
       end) / 1000.0, 'unixepoch') as expires_at,
       case when k.enabled is null or k.enabled not in (1, '1', 'true')
              then 'disabled'
            when k.expiresAt is not null and coalesce((case
              when typeof(k.expiresAt) in ('integer', 'real') then
                case when k.expiresAt >= 0 and k.expiresAt < 100000000000
                  then k.expiresAt * 1000 else k.expiresAt end
              when typeof(k.expiresAt) = 'text' then
                (julianday(k.expiresAt) - 2440587.5) * 86400000.0
            end), 0) <= (julianday('now') - 2440587.5) * 86400000.0
              then 'expired'
            else 'active' end as state,
       k.createdAt as created_at
  from apikey k
  left join "user" u on u.id = k.referenceId
 order by k.createdAt, k.id;

drop view if exists authgate_recent_events;
create view authgate_recent_events as
select received_at, type, id, outcome
  from authgate_event
 order by received_at desc, id;

drop view if exists authgate_rules;
create view authgate_rules as
select id, priority, coalesce(method, 'any') as method, path, access,
       min_role, on_deny, coalesce(redirect_to, '/sign-in') as redirect_to,
       note
  from authgate_rule
 order by priority, id;
