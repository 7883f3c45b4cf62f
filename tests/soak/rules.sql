-- Rules the soak campaign adds to the test database (after db/demo.sql and
-- tests/integration/fixtures.sql), for the spellings of issue 8: an exact
-- rule (and its trailing-slash form), GET-only rules (HEAD must follow
-- them), and an exact rule that redirects.
insert into authgate_rule (id, priority, method, path, access, min_role, on_deny, redirect_to, note) values
  (101, 15, NULL,  '/api/projects/secret', 'authenticated', 'owner', 'json',     NULL,     'soak: exact rule'),
  (102, 16, 'GET', '/api/reports/*',       'authenticated', 'admin', 'json',     NULL,     'soak: GET-only rule'),
  (103, 17, 'GET', '/api/ping',            'public',        NULL,    'json',     NULL,     'soak: GET-only public exact rule'),
  (104, 18, NULL,  '/app/settings',        'authenticated', 'admin', 'redirect', '/login', 'soak: exact rule that redirects');
