'use strict';
/*
 * app.js PORT - a typical backend for authgate's integration suites.
 *
 * A real Express 4 app with Express's default options, the way most
 * applications run it: routing ignores letter case (/API/Admin/Users runs
 * the /api/admin/users handler) and a trailing slash (/api/admin/users/
 * too), and HEAD runs the GET handler. The routes mirror the demo's rules
 * (db/demo.sql, plus /api/projects/secret from tests/integration/
 * fixtures.sql); anything else is the catch-all 404 handler.
 *
 * Every answer says which handler ran and what identity it received, in
 * response headers (so HEAD answers carry them too) and in the body:
 *   X-Backend-Handler: admin-users        the handler (notfound: the 404)
 *   X-Backend-Identity: user=u_mia role=member method=session
 *                                         from X-Auth-User-Id, X-Auth-Role,
 *                                         X-Auth-Method ("-" when absent
 *                                         or empty)
 *   body: "backend: express HANDLER METHOD TARGET", then every request
 *         header with "auth" in its name, and Remote-User, one
 *         "Name: value" per line as received, sorted (like echo_http.py).
 *
 * Trusts nothing it receives: it only echoes. Listens on 127.0.0.1:PORT
 * only; SIGTERM or SIGINT stops it at once.
 */
const http = require('http');
const express = require('express');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
	process.stderr.write('usage: node app.js PORT\n');
	process.exit(2);
}

const app = express();	// default options, on purpose
app.disable('x-powered-by');
app.disable('etag');	// every answer is fresh: no 304 on a repeated GET

// The identity headers as received, "-" for absent or empty.
function identity(req) {
	const v = (name) => req.get(name) || '-';
	return 'user=' + v('X-Auth-User-Id') + ' role=' + v('X-Auth-Role') +
	    ' method=' + v('X-Auth-Method');
}

// handler(NAME, STATUS): a route handler that answers as described above.
function handler(name, status) {
	return (req, res) => {
		const seen = [];
		// rawHeaders keeps each header as the client (or proxy) sent it,
		// repeated ones included.
		for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
			const k = req.rawHeaders[i];
			const lk = k.toLowerCase();
			if (lk.includes('auth') || lk === 'remote-user')
				seen.push(k + ': ' + req.rawHeaders[i + 1]);
		}
		seen.sort();
		res.status(status || 200);
		res.set('X-Backend-Handler', name);
		res.set('X-Backend-Identity', identity(req));
		res.set('Cache-Control', 'no-store');
		res.type('text/plain');
		res.send('backend: express ' + name + ' ' + req.method + ' ' +
		    req.originalUrl + '\n' + seen.map((l) => l + '\n').join(''));
	};
}

app.get('/api/health', handler('health'));
app.get('/api/admin/users', handler('admin-users'));
app.get('/api/internal/metrics', handler('internal-metrics'));
app.get('/api/projects', handler('projects-list'));
app.post('/api/projects', handler('projects-create'));
app.get('/api/projects/secret', handler('projects-secret'));
app.get('/api/machine/jobs', handler('machine-jobs'));
app.get('/app/dashboard', handler('app-dashboard'));
app.get('/public/info', handler('public-info'));
app.use(handler('notfound', 404));

const server = http.createServer(app);
server.listen(port, '127.0.0.1');
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
