-- authgate demo data for `make run` (loaded once into db/authgate.db).
-- Every credential here is public: never load this file in production.
--
-- Sessions (sign them into cookies with `authgate cookie TOKEN` and the
-- demo secret; the README lists the ready-made cookies):
--   demo-session-olivia-owner   Olivia, owner of Acme
--   demo-session-adam-admin     Adam, admin of Acme
--   demo-session-mia-member     Mia, member of Acme
--   demo-session-gus-guest      Gus, guest of Acme
--   demo-session-nora-noorg     Nora, no organization
--   demo-session-expired        Mia again, expired in 2020
-- API keys (only their SHA-256, base64url, is stored):
--   ag_demo_member_key_7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b   Mia's, enabled
--   ag_demo_disabled_key_00000000000000000000000000       revoked

begin;

insert into "user" (id, name, email, emailVerified, createdAt, updatedAt, role, banned) values
  ('u_olivia', 'Olivia Owner',  'olivia@acme.test', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'user', 0),
  ('u_adam',   'Adam Admin',    'adam@acme.test',   1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'user', 0),
  ('u_mia',    'Mia Member',    'mia@acme.test',    1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'user', 0),
  ('u_gus',    'Gus Guest',     'gus@acme.test',    1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'user', 0),
  ('u_nora',   'Nora Noorg',    'nora@example.test',1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'user', 0);

insert into organization (id, name, slug, createdAt) values
  ('org_acme', 'Acme Inc', 'acme', '2026-01-01T00:00:00.000Z');

insert into member (id, organizationId, userId, role, createdAt) values
  ('m_olivia', 'org_acme', 'u_olivia', 'owner',  '2026-01-01T00:00:00.000Z'),
  ('m_adam',   'org_acme', 'u_adam',   'admin',  '2026-01-01T00:00:00.000Z'),
  ('m_mia',    'org_acme', 'u_mia',    'member', '2026-01-01T00:00:00.000Z'),
  ('m_gus',    'org_acme', 'u_gus',    'guest',  '2026-01-01T00:00:00.000Z');

insert into session (id, token, userId, expiresAt, activeOrganizationId, createdAt, updatedAt) values
  ('s_olivia',  'demo-session-olivia-owner', 'u_olivia', '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_adam',    'demo-session-adam-admin',   'u_adam',   '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_mia',     'demo-session-mia-member',   'u_mia',    '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_gus',     'demo-session-gus-guest',    'u_gus',    '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_nora',    'demo-session-nora-noorg',   'u_nora',   '2099-01-01T00:00:00.000Z', NULL,       '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_expired', 'demo-session-expired',      'u_mia',    '2020-01-01T00:00:00.000Z', 'org_acme', '2019-12-01T00:00:00.000Z', '2019-12-01T00:00:00.000Z');

insert into apikey (id, configId, name, start, prefix, key, referenceId, enabled, expiresAt, createdAt, updatedAt, metadata) values
  ('k_mia', 'default', 'Mia CI key', 'ag_demo', 'ag_', '4rESNPElRNMCAVpWXfoj8nicgwKDD24EvBq5-xbmKfc', 'u_mia', 1, NULL,
   '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_acme"}'),
  ('k_old', 'default', 'Revoked key', 'ag_demo', 'ag_', 'gm52ZbDzZ4QIdkn43untNJ85uscHURb63aRGv77KLsg', 'u_mia', 0, NULL,
   '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', NULL);

-- Rules: first match by (priority, id) wins; no match means 'authenticated'.
-- Paths match in any letter case; an exact path also matches its
-- trailing-slash form; HEAD is matched as GET.
insert into authgate_rule (id, priority, method, path, access, min_role, on_deny, redirect_to, note) values
  (1,  10, 'GET,HEAD', '/api/health',          'public',        NULL,     'json',     NULL,       'health check for load balancers'),
  (2,  20, NULL,       '/api/internal/**',     'deny',          NULL,     'json',     NULL,       'never exposed'),
  (3,  30, NULL,       '/api/admin/**',        'authenticated', 'admin',  'json',     NULL,       'admins and owners'),
  (4,  40, 'POST,PUT,PATCH,DELETE', '/api/projects/**', 'authenticated', 'member', 'json', NULL, 'writes need member; guests read'),
  (5,  50, NULL,       '/api/machine/**',      'api_key',       NULL,     'json',     NULL,       'machine clients only'),
  (6,  90, NULL,       '/api/**',              'authenticated', NULL,     'json',     NULL,       'the rest of the API'),
  (7, 100, NULL,       '/app/**',              'session',       NULL,     'auto',     '/sign-in', 'the web app: browsers go to sign-in'),
-- Public by rule: the server sends every path through authgate, so what
-- anyone may see is listed here, not left out of the server config.
  (8, 110, NULL,       '/public/**',           'public',        NULL,     'json',     NULL,       'the demo''s public area'),
  (9, 120, 'GET,HEAD', '/',                    'public',        NULL,     'json',     NULL,       'the demo''s start page'),
  (10, 130, 'GET,HEAD', '/sign-in/**',         'public',        NULL,     'json',     NULL,       'where /app/ sends browsers; must stay public');

commit;
