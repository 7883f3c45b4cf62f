-- Extra rows for the integration suites, loaded after db/demo.sql.
-- Raw keys (tests only):
--   ag_test_expired_key_1111111111111111111111111   Mia's, expired 2020
--   ag_test_admin_meta_key_22222222222222222222222  Gus's, metadata role admin
--   ag_test_org_owned_key_333333333333333333333333  owned by org_acme
--   ag_test_banned_user_key_44444444444444444444444 Bea's (banned user)
--   ag_test_hex_stored_key_555555555555555555555555 Mia's, stored as hex
--   ag_test_exhausted_key_99999999999999999999999   Mia's, remaining 0
--   ag_test_refilled_key_aaaaaaaaaaaaaaaaaaaaaaaa   Mia's, remaining 0, refill due
begin;
insert into "user" (id, name, email, emailVerified, createdAt, updatedAt, banned, banExpires) values
  ('u_bea',   'Bea Banned', 'bea@acme.test',   1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1, NULL),
  ('u_tim',   'Tim Tempban','tim@acme.test',   1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1, '2020-01-01T00:00:00.000Z'),
  ('u_multi', 'Max Multi',  'max@acme.test',   1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0, NULL),
  ('u_evil',  'Eve' || char(13, 10) || 'X-Injected: yes', 'eve@acme.test', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0, NULL),
  ('u_ms',    'Epoch Ms',   'ms@acme.test',    1, 1767225600000, 1767225600000, 0, NULL);
insert into member (id, organizationId, userId, role, createdAt) values
  ('m_bea',   'org_acme', 'u_bea',   'admin',       '2026-01-01T00:00:00.000Z'),
  ('m_tim',   'org_acme', 'u_tim',   'member',      '2026-01-01T00:00:00.000Z'),
  ('m_multi', 'org_acme', 'u_multi', 'guest,admin', '2026-01-01T00:00:00.000Z'),
  ('m_evil',  'org_acme', 'u_evil',  'member',      '2026-01-01T00:00:00.000Z'),
  ('m_ms',    'org_acme', 'u_ms',    'member',      1767225600000);
insert into session (id, token, userId, expiresAt, activeOrganizationId, createdAt, updatedAt) values
  ('s_bea',   'test-session-bea-banned',   'u_bea',   '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_tim',   'test-session-tim-tempban',  'u_tim',   '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_multi', 'test-session-max-multi',    'u_multi', '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_evil',  'test-session-eve-inject',   'u_evil',  '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
  ('s_ms',    'test-session-epoch-ms',     'u_ms',    4070908800000,              'org_acme', 1767225600000, 1767225600000),
  ('s_ms_old','test-session-epoch-ms-old', 'u_ms',    1577836800000,              'org_acme', 1767225600000, 1767225600000),
  ('s_live',  'test-session-live-edit',    'u_mia',   '2099-01-01T00:00:00.000Z', 'org_acme', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
insert into apikey (id, configId, name, start, prefix, key, referenceId, enabled, expiresAt, createdAt, updatedAt, metadata) values
  ('k_expired', 'default', 'expired', 'ag_tes', 'ag_', 'n68qhXnernzuQwuJCtyi9Wa6k4ONPOfSwrrq0sOtQUM', 'u_mia', 1, '2020-01-01T00:00:00.000Z', '2019-01-01T00:00:00.000Z', '2019-01-01T00:00:00.000Z', NULL),
  ('k_meta',    'default', 'meta admin', 'ag_tes', 'ag_', 'Q6qGaciP4k3XK3QDRFLW1VpBR0o7BnvWvMusk_FwJCg', 'u_gus', 1, '2099-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_acme","role":"admin"}'),
  ('k_org',     'org',     'org owned', 'ag_tes', 'ag_', 'NdLzhp97pspkPPcifLlm3n6yGXOiuQ6xrht2ST-1OiM', 'org_acme', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'null'),
  ('k_bea',     'default', 'banned',    'ag_tes', 'ag_', 'IXq9uCzTVNsgzVChiO1ivdqMRE75UlHkPejkvi9a0-E', 'u_bea', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', NULL),
  ('k_hex',     'default', 'hex',       'ag_tes', 'ag_', 'a1cfcdd79af6039acddd69b4ea3bc39a6455ca50220f6456e389d745fe2d67bc', 'u_mia', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_acme"}'),
  -- key metadata is client-chosen in better-auth: it may only narrow (issue 8)
  ('k_mia_own', 'default', 'member claims owner', 'ag_tes', 'ag_', 'Ogo8c7GQI94gGIzTsZ-72SVlQ5u_vxS3h2mpbDhlce8', 'u_mia', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_acme","role":"owner"}'),
  ('k_nora',    'default', 'no org claims owner', 'ag_tes', 'ag_', 'o_1chEETdB20UO8P7HKK3EIjW1r62eA9ikEjgv2ZtUI', 'u_nora', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_acme","role":"owner"}'),
  ('k_org_adm', 'org',     'org key granted admin', 'ag_tes', 'ag_', '02rfA-wixIBUIfpYgjSJyGk8CPFYE4GcQBiwWkKLBm8', 'org_acme', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_other","role":"owner"}');
-- better-auth's usage quota (issue 12): remaining 0 is exhausted unless a
-- refill is due (refillInterval ms since lastRefillAt, else createdAt)
insert into apikey (id, configId, name, start, prefix, key, referenceId, enabled, expiresAt, createdAt, updatedAt, metadata, remaining, refillInterval, refillAmount, lastRefillAt) values
  ('k_exhausted', 'default', 'used up', 'ag_tes', 'ag_', 'pSDbgoALfuwdCupJmNXY0EUlkwuhabYOw5e6LUrQgx0', 'u_mia', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_acme"}', 0, 86400000, 10, '2099-01-01T00:00:00.000Z'),
  ('k_refilled', 'default', 'refill due', 'ag_tes', 'ag_', 'OrLhdCRLNejUzh1iEXau-BjD7BsJDvfvrfh-VfwA64E', 'u_mia', 1, NULL, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '{"organizationId":"org_acme"}', 0, 86400000, 10, NULL);
-- an organization's key takes its role only from an admin's grant
insert into authgate_key_role (key_id, role, granted_at, note) values
  ('k_org_adm', 'admin', '2026-01-01T00:00:00.000Z', 'granted by the test');
-- An exact, GET-only rule inside /api/projects/**: the spelling matrix
-- (tests/lib/spelling.sh) checks that its trailing-slash form, HEAD and
-- every letter case meet it too, never the broader rules after it.
insert into authgate_rule (id, priority, method, path, access, min_role, on_deny, redirect_to, note) values
  (11, 35, 'GET', '/api/projects/secret', 'authenticated', 'admin', 'json', NULL, 'tests: exact GET-only rule');
commit;
