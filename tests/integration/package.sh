#!/bin/bash
# package.sh - installing authgate the two ways docs/install.md describes,
# on this machine, as root.
#   (a) make install DESTDIR=... PREFIX=/usr/local: the program, both man
#       pages, the examples; the installed program runs; `man -l` renders
#       the pages without warnings; every flag and variable that any
#       `--help` prints is in authgate(8) (man-005, man-006); make
#       uninstall with the same variables removes every file it put there.
#   (b) the Debian package: a copy of the working tree (no build/,
#       tests/tmp, node_modules) built with dpkg-buildpackage -us -uc -b,
#       lintian without E: or W:, dpkg -i, the user, directories and modes
#       it makes, systemd-analyze verify of the installed unit, man
#       authgate. Then the unit's ExecStart is run the way systemd would
#       (systemd is not PID 1 here): User, Group, SupplementaryGroups,
#       RuntimeDirectory, UMask, EnvironmentFile and ExecStart are read
#       from the installed unit and applied with setpriv, with the secrets
#       in /etc/authgate files made as docs/install.md says. The
#       walkthrough's main decisions go through nginx running the
#       installed example config against the unit's socket; ExecReload
#       (SIGHUP) must leave it serving; SIGTERM stops it; dpkg --purge
#       leaves nothing of the package (the authgate user stays).
#   (c) make install into /usr/local, the admin's steps after it, and the
#       example unit run and walked through as in (b) (ids src-*); make
#       uninstall leaves nothing.
# It needs root (it installs a package, makes a user, runs nginx as
# www-data): as another user it fails and says so. The sh blocks of
# docs/install.md marked "run by tests/integration/package.sh" are the
# commands below (install-md-*).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/webhook.sh"
t_setup package

if [ "$(id -u)" != 0 ]; then
	t_fail setup "package.sh must run as root: it installs the .deb, creates the authgate user and runs nginx as www-data (run make test as root)"
	t_finish
fi
for c in dpkg-buildpackage lintian fakeroot scdoc man systemd-analyze setpriv nginx sqlite3 curl; do
	command -v "$c" >/dev/null ||
		{ t_fail setup "$c is not installed (make test installs DEBS_PACKAGE)"; t_finish; }
done
if dpkg-query -W -f='${Status}' authgate 2>/dev/null | grep -q 'ok installed'; then
	t_fail setup "an authgate package is installed on this machine; this suite installs and purges its own build: dpkg --purge authgate first"
	t_finish
fi

# Whatever happens, the package this suite installed is purged and the
# runtime directory it made is removed.
PKG_INSTALLED=
pkg_cleanup() {
	t_cleanup
	[ -n "${SVC_PGID:-}" ] && kill -KILL -- "-$SVC_PGID" 2>/dev/null
	if [ -n "$PKG_INSTALLED" ]; then
		dpkg --purge authgate >/dev/null 2>&1
		PKG_INSTALLED=
	fi
	if [ -n "${SRC_INSTALLED:-}" ]; then
		make -s -C "$T_ROOT" uninstall PREFIX=/usr/local >/dev/null 2>&1
		rm -rf /etc/authgate /var/lib/authgate
		SRC_INSTALLED=
	fi
	[ -n "${RUNDIR:-}" ] && rm -rf "$RUNDIR"
}
trap pkg_cleanup EXIT

# ---------------------------------------------------------------- (a)
R="$T_DIR/root"
if make -C "$T_ROOT" -s install DESTDIR="$R" PREFIX=/usr/local >"$T_DIR/install.log" 2>&1; then
	t_pass inst-001
else
	t_fail inst-001 "make install failed: $(tail -n 3 "$T_DIR/install.log")"
fi
EX=usr/local/share/doc/authgate/examples
i=1
for f in usr/local/sbin/authgate usr/local/share/man/man8/authgate.8 \
    usr/local/share/man/man5/authgate.db.5 usr/local/share/doc/authgate/LICENSE \
    $EX/apache/authgate.conf $EX/caddy/Caddyfile $EX/lighttpd/lighttpd.conf \
    $EX/lighttpd/authgate-proxy.conf $EX/lighttpd/authgate-identity.lua $EX/lighttpd/errors/authgate-400.html \
    $EX/nginx/authgate.conf $EX/nginx/snippets/authgate-server.conf \
    $EX/nginx/snippets/authgate-protect.conf $EX/nginx/snippets/authgate-proxy.conf \
    $EX/nginx/snippets/authgate-fastcgi.conf $EX/systemd/authgate.service \
    $EX/systemd/authgate.env $EX/db/admin.sql; do
	i=$((i + 1))
	[ -f "$R/$f" ] && [ -s "$R/$f" ] && t_pass "$(printf 'inst-%03d' $i)" ||
		t_fail "$(printf 'inst-%03d' $i)" "$f is not installed"
done
t_same inst-020 "$(stat -c %a "$R/usr/local/sbin/authgate" 2>/dev/null)" 755
t_same inst-021 "$(stat -c %a "$R/usr/local/share/man/man8/authgate.8" 2>/dev/null)" 644
# the example unit names the program where this install put it
t_has inst-022 '^ExecStart=/usr/local/sbin/authgate serve ' "$R/$EX/systemd/authgate.service"
# the installed program runs
"$R/usr/local/sbin/authgate" --help >"$T_DIR/help.txt" 2>&1
t_same inst-023 "$?" 0
t_has inst-024 '^usage: authgate' "$T_DIR/help.txt"

# man -l renders both pages, without a groff warning
for p in 8:man8/authgate.8 5:man5/authgate.db.5; do
	n=${p%%:*}
	MANWIDTH=2000 man --warnings -l "$R/usr/local/share/man/${p#*:}" \
	    >"$T_DIR/man$n.txt" 2>"$T_DIR/man$n.err"
	t_same "man-00${n}a" "$?" 0
	t_has "man-00${n}b" '^NAME' "$T_DIR/man$n.txt"
	[ -s "$T_DIR/man$n.err" ] && t_fail "man-00${n}c" "warnings: $(head -c 300 "$T_DIR/man$n.err")" ||
		t_pass "man-00${n}c"
done
t_has man-001 'authgate - FastCGI authorizer' "$T_DIR/man8.txt"
t_has man-002 'authgate\.db - the SQLite store' "$T_DIR/man5.txt"

# man-005: every flag that any --help prints is in authgate(8); man-006:
# every variable. The commands are the ones `authgate --help` lists; a
# command whose --help is not usage (exit non-zero) is skipped, and at
# least the main, serve, check, key, rule, stats and doctor texts count.
B="$R/usr/local/sbin/authgate"
: > "$T_DIR/helps.txt"
nh=0
for c in "" $(sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' "$T_DIR/help.txt" | sort -u); do
	case $c in help|version) continue ;; esac
	if $B $c --help >"$T_DIR/help1.txt" 2>/dev/null; then
		cat "$T_DIR/help1.txt" >> "$T_DIR/helps.txt"
		nh=$((nh + 1))
	fi
done
[ "$nh" -ge 7 ] && t_pass man-004 || t_fail man-004 "only $nh --help texts to compare"
flags=$(grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' "$T_DIR/helps.txt" | sort -u)
missing=""
for f in $flags; do
	grep -qE -- "(^|[^a-z0-9-])$f([^a-z0-9-]|\$)" "$T_DIR/man8.txt" || missing="$missing $f"
done
if [ -z "$flags" ]; then t_fail man-005 "no flags found in the --help texts"
elif [ -n "$missing" ]; then t_fail man-005 "not in authgate(8):$missing"
else t_pass man-005; fi
vars=$(grep -oE '\b(AUTHGATE|BETTER_AUTH)_[A-Z0-9_]*[A-Z0-9]' "$T_DIR/helps.txt" | sort -u)
missing=""
for v in $vars; do
	grep -qE "(^|[^A-Z0-9_])$v([^A-Z0-9_]|\$)" "$T_DIR/man8.txt" || missing="$missing $v"
done
if [ -z "$vars" ]; then t_fail man-006 "no variables found in the --help texts"
elif [ -n "$missing" ]; then t_fail man-006 "not in authgate(8):$missing"
else t_pass man-006; fi

# make uninstall with the same variables removes every file install made
(cd "$R" && find . -type f | sort) > "$T_DIR/installed.txt"
if make -C "$T_ROOT" -s uninstall DESTDIR="$R" PREFIX=/usr/local >"$T_DIR/uninstall.log" 2>&1; then
	t_pass uninst-001
else
	t_fail uninst-001 "make uninstall failed: $(tail -n 3 "$T_DIR/uninstall.log")"
fi
left=$(cd "$R" && find . -type f | sort)
[ -s "$T_DIR/installed.txt" ] && [ -z "$left" ] && t_pass uninst-002 ||
	t_fail uninst-002 "left behind: $(echo $left | head -c 300)"
[ ! -e "$R/usr/local/share/doc/authgate" ] && t_pass uninst-003 ||
	t_fail uninst-003 "share/doc/authgate is still there"

# ---------------------------------------------------------------- (b)
# the working tree as a release tarball would have it
S="$T_DIR/src"
mkdir -p "$S"
(cd "$T_ROOT" && tar -cf - --exclude=./build --exclude=./tests/tmp \
    --exclude=node_modules --exclude=./.git --exclude=./cgi-bin/authgate \
    --exclude='./db/*.db' --exclude='./db/*.db-*' .) | tar -xf - -C "$S"
if (cd "$S" && dpkg-buildpackage -us -uc -b) >"$T_DIR/build.log" 2>&1; then
	t_pass deb-001
else
	t_fail deb-001 "dpkg-buildpackage failed: $(tail -n 5 "$T_DIR/build.log")"
	t_finish
fi
ARCH=$(dpkg --print-architecture)
DEB=$(ls "$T_DIR"/authgate_*_"$ARCH".deb 2>/dev/null | head -n 1)
CHANGES=$(ls "$T_DIR"/authgate_*_"$ARCH".changes 2>/dev/null | head -n 1)
[ -n "$DEB" ] && [ -n "$CHANGES" ] && t_pass deb-002 ||
	{ t_fail deb-002 "no .deb and .changes in $T_DIR"; t_finish; }
# hardening flags from dpkg-buildflags reached the compiler
t_has deb-003 '^cc .*-ffile-prefix-map=.*-D_FORTIFY_SOURCE=3' "$T_DIR/build.log"

lintian "$DEB" "$CHANGES" >"$T_DIR/lintian.log" 2>&1
rc=$?
if [ "$rc" -gt 1 ]; then t_fail deb-004 "lintian did not run (exit $rc): $(tail -n 3 "$T_DIR/lintian.log")"
elif grep -qE '^[EW]: ' "$T_DIR/lintian.log"; then
	t_fail deb-004 "lintian: $(grep -E '^[EW]: ' "$T_DIR/lintian.log" | head -n 5 | tr '\n' ' ')"
else t_pass deb-004; fi

# what docs/install.md does (install-md-001): apt install ./authgate_*.deb
if apt-get install -y -qq "$DEB" >"$T_DIR/dpkg.log" 2>&1; then
	PKG_INSTALLED=1
	t_pass deb-005
else
	PKG_INSTALLED=1
	t_fail deb-005 "installing the .deb failed: $(tail -n 3 "$T_DIR/dpkg.log")"
	t_finish
fi
dpkg -L authgate > "$T_DIR/files.txt"
t_has deb-006 '^/usr/sbin/authgate$' "$T_DIR/files.txt"
t_has deb-007 '^/lib/systemd/system/authgate\.service$' "$T_DIR/files.txt"
t_has deb-008 '^/usr/share/doc/authgate/examples/nginx/authgate\.conf$' "$T_DIR/files.txt"
t_has deb-009 '^/usr/share/man/man8/authgate\.8\.gz$' "$T_DIR/files.txt"
uid=$(id -u authgate 2>/dev/null)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && t_pass deb-010 || t_fail deb-010 "no system user authgate (uid '$uid')"
t_same deb-011 "$(id -gn authgate 2>/dev/null)" authgate
t_same deb-012 "$(stat -c '%U:%G %a' /var/lib/authgate 2>/dev/null)" "authgate:authgate 750"
t_same deb-013 "$(stat -c '%U:%G %a' /etc/authgate 2>/dev/null)" "root:authgate 750"
t_same deb-014 "$(stat -c '%U:%G %a' /etc/authgate/authgate.env 2>/dev/null)" "root:authgate 640"
dpkg-query -W -f='${Conffiles}\n' authgate > "$T_DIR/conffiles.txt"
t_has deb-015 '^ /etc/authgate/authgate\.env ' "$T_DIR/conffiles.txt"
# no secret ships with the package
t_lacks deb-016 'secret$' "$T_DIR/files.txt"
UNIT=/lib/systemd/system/authgate.service
systemd-analyze verify "$UNIT" >"$T_DIR/verify.log" 2>&1
rc=$?
[ "$rc" = 0 ] && ! grep -q 'authgate' "$T_DIR/verify.log" && t_pass deb-017 ||
	t_fail deb-017 "systemd-analyze verify (exit $rc): $(head -c 400 "$T_DIR/verify.log")"
# the sandbox: systemd's own score of the unit stays "OK" or better (a
# lost option raises it), and no SystemCallFilter= that could refuse what
# authgate's own seccomp list allows
systemd-analyze security --offline=yes "$UNIT" >"$T_DIR/security.log" 2>&1
score=$(sed -n 's/.*Overall exposure level for authgate\.service: \([0-9.]*\).*/\1/p' "$T_DIR/security.log")
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 4.0) }' && t_pass deb-020 ||
	t_fail deb-020 "exposure level '$score', want below 4.0: $(tail -n 1 "$T_DIR/security.log")"
t_lacks deb-021 '^SystemCallFilter=' "$UNIT"
MANWIDTH=100 man authgate >"$T_DIR/man-installed.txt" 2>&1
t_has deb-018 'authgate - FastCGI authorizer' "$T_DIR/man-installed.txt"
MANWIDTH=100 man 5 authgate.db >"$T_DIR/man5-installed.txt" 2>&1
t_has deb-019 'authgate\.db - the SQLite store' "$T_DIR/man5-installed.txt"

# ---------------------------------------------------------------- the unit
# service_walk: what an admin does after installing, then the service run
# the way systemd would run $UNIT, the walkthrough's main decisions through
# nginx from the examples in $EXD, reload and stop. Check ids get the
# prefix $P ("" for the package, "src-" for make install).
service_walk() {
# unit KEY: the value of KEY= in the installed unit's [Service] (last one)
unit() { sed -n '/^\[Service\]/,/^\[/p' "$UNIT" | sed -n "s/^$1=//p" | tail -n 1; }
U=$(unit User); G=$(unit Group); SG=$(unit SupplementaryGroups)
RD=$(unit RuntimeDirectory); RDM=$(unit RuntimeDirectoryMode); UM=$(unit UMask)
EF=$(unit EnvironmentFile); EXEC=$(unit ExecStart); RELOAD=$(unit ExecReload)
for kv in "User:$U" "Group:$G" "SupplementaryGroups:$SG" "RuntimeDirectory:$RD" \
    "EnvironmentFile:$EF" "ExecStart:$EXEC" "ExecReload:$RELOAD"; do
	[ -n "${kv#*:}" ] || { t_fail ${P}svc-001 "no ${kv%%:*}= in $UNIT"; t_finish; }
done
t_pass ${P}svc-001
SOCK=$(printf '%s\n' $EXEC | sed -n '/^--listen$/{n;p}')
RUNDIR=/run/$RD
[ "${SOCK%/*}" = "$RUNDIR" ] && t_pass ${P}svc-002 || t_fail ${P}svc-002 "socket '$SOCK' is not under RuntimeDirectory $RUNDIR"

# the admin's steps (docs/install.md, install-md-002): secrets, database
DB=$(sed -n 's/^AUTHGATE_DB=//p' "$EF")
SECRET_FILE=$(sed -n 's/^BETTER_AUTH_SECRET_FILE=//p' "$EF")
WH_FILE=$(sed -n 's/^AUTHGATE_WEBHOOK_SECRET_FILE=//p' "$EF")
[ "$DB" = /var/lib/authgate/authgate.db ] && [ "$SECRET_FILE" = /etc/authgate/better-auth.secret ] &&
    [ "$WH_FILE" = /etc/authgate/webhook.secret ] && t_pass ${P}svc-003 ||
	t_fail ${P}svc-003 "authgate.env names '$DB' '$SECRET_FILE' '$WH_FILE'"
WH_SECRET=package-test-webhook-secret-0123456789
install -o root -g authgate -m 0640 /dev/null /etc/authgate/better-auth.secret &&
install -o root -g authgate -m 0640 /dev/null /etc/authgate/webhook.secret &&
printf '%s\n' "$T_SECRET" > /etc/authgate/better-auth.secret &&
printf '%s\n' "$WH_SECRET" > /etc/authgate/webhook.secret &&
runuser -u authgate -- authgate init --db /var/lib/authgate/authgate.db >"$T_DIR/init.log" 2>&1 &&
runuser -u authgate -- sqlite3 /var/lib/authgate/authgate.db < "$T_ROOT/db/demo.sql"
t_same ${P}svc-004 "$?" 0
t_same ${P}svc-005 "$(stat -c '%U:%G %a' /etc/authgate/better-auth.secret)" "root:authgate 640"
# the check docs/install.md has the admin run before enabling the service
authgate doctor --db /var/lib/authgate/authgate.db --user authgate \
    --secret-file /etc/authgate/better-auth.secret \
    --webhook-secret-file /etc/authgate/webhook.secret >"$T_DIR/doctor.log" 2>&1
t_same ${P}svc-010 "$?" 0
t_has ${P}svc-011 '^doctor: .* 0 failures' "$T_DIR/doctor.log"

# the service as systemd would start it, in a session of its own, so
# that its workers are stopped by its process group id even if the main
# process dies first (as systemd's cgroup would)
ENVS=()
while IFS= read -r line; do ENVS+=("$line"); done < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$EF")
svc_start() {
	# systemd makes RuntimeDirectory afresh at each start
	rm -rf "$RUNDIR"
	install -d -o "$U" -g "$G" -m "${RDM:-0755}" "$RUNDIR"
	(
		umask "${UM:-0022}"
		exec setsid setpriv --reuid="$U" --regid="$G" --groups="$SG" \
		    --no-new-privs --inh-caps=-all \
		    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${ENVS[@]}" $EXEC
	) >>"$T_DIR/service.log" 2>&1 &
	SVC_PID=$!
	T_PIDS="$T_PIDS $SVC_PID"
	SVC_PGID=$SVC_PID
	for _ in $(seq 1 100); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
	return 1
}
svc_start
[ -S "$SOCK" ] && t_pass ${P}svc-006 || { t_fail ${P}svc-006 "no socket $SOCK: $(tail -n 3 "$T_DIR/service.log")"; t_finish; }
t_same ${P}svc-007 "$(stat -c '%U:%G %a' "$SOCK")" "$U:$G 660"
t_same ${P}svc-008 "$(ps -o user=,group= -p "$SVC_PID" | tr -s ' ')" "$U $G"
t_same ${P}svc-009 "$(ps -o pgid= -p "$SVC_PID" | tr -d ' ')" "$SVC_PID"

# nginx from the installed example config, pointed at the unit's socket
N="$T_DIR/nginx"
mkdir -p "$N/snippets" "$N/tmp"
cp $EXD/nginx/snippets/authgate-*.conf "$N/snippets/"
t_free_port HTTP_PORT
t_echo_http "$HTTP_PORT" || t_fail setup "echo_http did not start"
t_has ${P}ngx-001 "unix:$SOCK;" $EXD/nginx/authgate.conf
# ngx_start: nginx on three free ports; a port can be taken between the
# choice and the bind (an outgoing connection's port), so up to 3 tries.
ngx_start() {
	t_free_port NP NF NC
	sed -e "s#127\.0\.0\.1:8080\b#127.0.0.1:$NP#" \
	    -e "s#127\.0\.0\.1:8081\b#127.0.0.1:$NF#" \
	    -e "s#127\.0\.0\.1:8082\b#127.0.0.1:$NC#" \
	    -e "s#127\.0\.0\.1:3000\b#127.0.0.1:$HTTP_PORT#" \
	    $EXD/nginx/authgate.conf > "$N/authgate.conf"
	echo "	include authgate.conf;" | t_nginx_conf "$N" 1 64
	nginx -t -p "$N" -c "$N/nginx.conf" >"$N/test.log" 2>&1 || return 2
	nginx -p "$N" -c "$N/nginx.conf" 2>>"$N/error.log" &
	NGX_PID=$!
	T_PIDS="$T_PIDS $NGX_PID"
	t_wait_port "$NP" && t_wait_port "$NF" && t_wait_port "$NC" && return 0
	kill "$NGX_PID" 2>/dev/null
	wait "$NGX_PID" 2>/dev/null
	return 1
}
for try in 1 2 3; do
	ngx_start
	rc=$?
	[ "$rc" = 1 ] || break
done
case $rc in
0) t_pass ${P}ngx-002 ;;
2) t_fail ${P}ngx-002 "nginx -t: $(tail -n 3 "$N/test.log")"; t_finish ;;
*) t_fail ${P}ngx-002 "nginx did not listen: $(tail -n 3 "$N/error.log")"; t_finish ;;
esac

# the walkthrough's main decisions through nginx and the service
cookie() { BETTER_AUTH_SECRET=$T_SECRET authgate cookie "$1"; }
MEMBER=$(cookie demo-session-mia-member)
ADMIN=$(cookie demo-session-adam-admin)
[ -n "$MEMBER" ] && [ -n "$ADMIN" ] && t_pass ${P}walk-000 || t_fail ${P}walk-000 "authgate cookie failed"
U_="http://127.0.0.1:$NP"
t_status ${P}walk-001 200 "$U_/api/health"
t_status ${P}walk-002 401 "$U_/api/projects"
t_body ${P}walk-003 '^\{"error":"Unauthorized'
t_header ${P}walk-004 '^Content-Type: application/json'
t_header ${P}walk-005 '^WWW-Authenticate: Bearer realm="authgate"'
t_status ${P}walk-006 200 -b "$MEMBER" "$U_/api/projects"
t_body ${P}walk-007 '^X-Auth-User-Id: u_mia$'
t_body ${P}walk-008 '^X-Auth-Role: member$'
t_status ${P}walk-009 403 -b "$MEMBER" "$U_/api/admin/users"
t_body ${P}walk-010 'admin role required'
t_status ${P}walk-011 200 -b "$ADMIN" "$U_/api/admin/users"
# the IdP promotes Mia through the signed webhook: her next request is admin
BODY=$(wh_role_event evt-package-1 admin)
wh_post ${P}walk-012 200 "$BODY" "$U_/webhooks/optare"
t_status ${P}walk-013 200 -b "$MEMBER" "$U_/api/admin/users"
t_body ${P}walk-014 '^X-Auth-Role: admin$'
# a forged delivery (wrong secret) changes nothing
BODY=$(wh_role_event evt-package-2 member)
t_status ${P}walk-015 400 -X POST -H "X-Optare-Signature: sha256=$(wh_optare_sig "$BODY" forged-secret-forged-secret-forged)" \
    --data-binary "$BODY" "$U_/webhooks/optare"
t_status ${P}walk-016 200 -b "$MEMBER" "$U_/api/admin/users"

# ExecReload (SIGHUP): still the same process, still serving
reload=${RELOAD//\$MAINPID/$SVC_PID}
reload=${reload//\$\{MAINPID\}/$SVC_PID}
$reload
t_same ${P}hup-001 "$?" 0
sleep 1
if kill -0 "$SVC_PID" 2>/dev/null; then
	t_pass ${P}hup-002
	t_status ${P}hup-003 200 -b "$MEMBER" "$U_/api/admin/users"
	t_status ${P}hup-004 401 "$U_/api/projects"
else
	# (before SIGHUP reloads, its default action ends the supervisor)
	t_fail ${P}hup-002 "authgate serve exited on SIGHUP: $(tail -n 1 "$T_DIR/service.log")"
	# a fresh service, so that SIGTERM is still tested
	kill -KILL -- "-$SVC_PGID" 2>/dev/null
	sleep 0.5
	svc_start || t_fail ${P}hup-005 "the service did not start again"
fi

# SIGTERM (systemctl stop): it finishes and removes its socket
kill -TERM "$SVC_PID"
for _ in $(seq 1 150); do kill -0 "$SVC_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SVC_PID" 2>/dev/null && t_fail ${P}term-001 "still running 15 s after SIGTERM" || t_pass ${P}term-001
wait "$SVC_PID" 2>/dev/null
t_same ${P}term-002 "$?" 0
[ ! -e "$SOCK" ] && t_pass ${P}term-003 || t_fail ${P}term-003 "$SOCK is still there"
t_lacks ${P}svc-log "$T_SECRET|$WH_SECRET" "$T_DIR/service.log"
# no worker outlived it
sleep 0.5
[ -z "$(ps -o pid= -g "$SVC_PGID")" ] && t_pass ${P}term-004 ||
	t_fail ${P}term-004 "processes of the service still run: $(ps -o pid=,args= -g "$SVC_PGID" | tr '\n' ' ')"
kill -KILL -- "-$SVC_PGID" 2>/dev/null
t_cleanup	# nginx and the echo backend
}
P= EXD=/usr/share/doc/authgate/examples service_walk

# dpkg --purge: nothing of the package is left; the user may stay
if dpkg --purge authgate >"$T_DIR/purge.log" 2>&1; then
	PKG_INSTALLED=
	t_pass purge-001
else
	t_fail purge-001 "dpkg --purge failed: $(tail -n 3 "$T_DIR/purge.log")"
fi
left=""
while IFS= read -r f; do
	# a directory may be shared (/lib is a symlink to usr/lib); files not
	if [ ! -d "$f" ] && { [ -e "$f" ] || [ -L "$f" ]; }; then left="$left $f"; fi
done < "$T_DIR/files.txt"
for d in /etc/authgate /var/lib/authgate /usr/share/doc/authgate; do
	[ -e "$d" ] && left="$left $d"
done
[ -s "$T_DIR/files.txt" ] && [ -z "$left" ] && t_pass purge-002 || t_fail purge-002 "left behind:$left"
dpkg-query -W -f='${Status}' authgate 2>/dev/null | grep -q 'installed' &&
	t_fail purge-003 "dpkg still lists authgate" || t_pass purge-003

# ---------------------------------------------------------------- (c)
# make install into this machine's /usr/local, then what docs/install.md
# has the admin do by hand after it (the user, the directories, the
# settings from the example env file), and the example unit run and
# walked through exactly as the package's (src-svc-*, src-walk-*, ...);
# make uninstall removes every file again.
SRC_INSTALLED=1
make -s -C "$T_ROOT" install PREFIX=/usr/local >"$T_DIR/src-install.log" 2>&1
t_same src-001 "$?" 0
EXD=/usr/local/share/doc/authgate/examples
# install-md-003: the steps docs/install.md gives after make install
getent passwd authgate >/dev/null ||
	adduser --system --group --home /var/lib/authgate --no-create-home authgate >/dev/null
install -d -o authgate -g authgate -m 0750 /var/lib/authgate &&
install -d -o root -g authgate -m 0750 /etc/authgate &&
install -o root -g authgate -m 0640 "$EXD/systemd/authgate.env" /etc/authgate/authgate.env
t_same src-002 "$?" 0
t_same src-003 "$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$EXD/systemd/authgate.service")" /usr/local/sbin/authgate
hash -r		# the shell remembered the package's /usr/sbin/authgate
t_same src-004 "$(command -v authgate)" /usr/local/sbin/authgate
UNIT=$EXD/systemd/authgate.service P=src- service_walk
make -s -C "$T_ROOT" uninstall PREFIX=/usr/local >"$T_DIR/src-uninstall.log" 2>&1
t_same src-005 "$?" 0
SRC_INSTALLED=
rm -rf /etc/authgate /var/lib/authgate
left=$(find /usr/local -path '*authgate*' 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] && t_pass src-006 || t_fail src-006 "make uninstall left: $left"
t_finish
