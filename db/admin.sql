-- db/admin.sql - authgate for the sqlite3 shell: documented views and
-- recipes for the everyday administration of a small host.
--
-- `authgate init` creates these views (this file is built into authgate
-- after db/schema.sql) and leaves out any view whose tables this database
-- lacks, because a broken view would make better-auth's own ALTER TABLE
-- migrations fail. Running this file in the shell re-creates all five
-- without that check, so
-- prefer `authgate init --db FILE`; use this file only on a database that
-- has every better-auth table (user, session, organization, member,
-- apikey). If a better-auth migration ever complains about an authgate_*
-- view, drop the views (recipe at the end) and run `authgate init` after it.
--
-- Use:   sqlite3 -box /var/lib/authgate/authgate.db 'select * from authgate_keys'
-- Views: authgate_active_sessions  who is signed in now (no tokens)
--        authgate_members          who belongs to which organization, as what
--        authgate_keys             API keys without their hashes, with a state
--        authgate_recent_events    the webhook log, newest first (7 days)
--        authgate_rules            the rules in the order they are tried
-- Dates are shown as ISO-8601 UTC whether better-auth stored text or epoch
-- milliseconds. Reads never disturb the server: SQLite in WAL mode lets the
-- authorizer read while you do. Writes apply on the next request.
--
-- Recipes (DB=/var/lib/authgate/authgate.db; the CLI lines do the same with
-- validation, and are preferred for keys and rules):
--
--   Who is signed in right now?
--     sqlite3 -box $DB 'select email, org_slug, role, expires_at, ip_address from authgate_active_sessions'
--   Everything about one user:
--     sqlite3 -box $DB "select * from authgate_members where email = 'mia@acme.test'"
--   Sign someone out everywhere (the mirror only; also revoke in the IdP):
--     sqlite3 $DB "delete from session where userId = 'u_mia'"
--   Ban / unban a user (sessions and keys stop on the next request):
--     sqlite3 $DB "update \"user\" set banned = 1, banExpires = null where id = 'u_mia'"
--     sqlite3 $DB "update \"user\" set banned = 0 where id = 'u_mia'"
--   Change a member's role:
--     sqlite3 $DB "update member set role = 'admin' where userId = 'u_mia' and organizationId = 'org_acme'"
--   API keys and their state (active, disabled, expired):
--     sqlite3 -box $DB 'select id, name, start, owner, org_id, role, state, expires_at from authgate_keys'
--     authgate key list --db $DB
--   Revoke a key:
--     authgate key revoke KEY_ID --db $DB
--     sqlite3 $DB "update apikey set enabled = 0 where id = 'KEY_ID'"
--   Keys that expire within 7 days:
--     sqlite3 -box $DB "select id, name, owner, expires_at from authgate_keys where state = 'active' and expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+7 days')"
--   The rules in the order they are tried:
--     sqlite3 -box $DB 'select * from authgate_rules'
--     authgate rule list --db $DB        (also marks invalid and unreachable rules)
--   Change a rule (prefer `authgate rule set ID --min-role owner`, which
--   refuses a rule that could never match):
--     sqlite3 $DB "update authgate_rule set min_role = 'owner' where id = 3"
--   What the webhook did lately, and what failed to apply:
--     sqlite3 -box $DB 'select * from authgate_recent_events limit 20'
--     sqlite3 -box $DB "select * from authgate_recent_events where outcome not in ('applied', 'duplicate')"
--   Counts at a glance:
--     authgate stats --db $DB
--   Remove the views (authgate init brings them back):
--     sqlite3 $DB 'drop view authgate_active_sessions; drop view authgate_members; drop view authgate_keys; drop view authgate_recent_events; drop view authgate_rules'
--
-- Never select session.token or apikey.key into a terminal, a log or a
-- ticket: a token is a credential. The views leave both out.

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
       k.createdAt as created_at,
       -- better-auth's limits as the IdP last sent them; what this host
       -- counted since is in the state file: authgate key list
       k.remaining as remaining,
       k.refillInterval as refill_interval_ms,
       k.refillAmount as refill_amount,
       k.lastRefillAt as last_refill_at,
       case when k.rateLimitTimeWindow is not null
             and k.rateLimitMax is not null
             and (k.rateLimitEnabled is null
                  or k.rateLimitEnabled not in (0, '0', 'false'))
            then 1 else 0 end as rate_limited,
       k.rateLimitMax as rate_limit_max,
       k.rateLimitTimeWindow as rate_limit_window_ms,
       k.requestCount as request_count,
       k.lastRequest as last_request
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
       note, require_permission
  from authgate_rule
 order by priority, id;
