#!/bin/bash
# Operations: make install into a scratch DESTDIR with its own prefix,
# sysconfdir and localstatedir; the installed man pages render without
# warnings; the installed daemon accepts the installed configuration once
# passwords are set; status follows the daemon through its pid file; report
# on cases made with the command line. No mail servers needed.
set -u
SRCDIR="${MD_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
BUILDDIR="${MD_TOP_BUILDDIR:-$PWD}"
[ -f "$BUILDDIR/Makefile" ] && [ -x "$BUILDDIR/memberdesk" ] ||
	{ echo "SKIP: no build directory at $BUILDDIR"; exit 77; }
command -v groff >/dev/null || { echo "SKIP: groff not installed"; exit 77; }
WORK=$(mktemp -d /tmp/test_ops.XXXXXX)
DAEMON_PID=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; shift; [ $# -gt 0 ] && printf '       %s\n' "$@"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# ---- make install ----
DEST="$WORK/dest" P=/opt/md ETC=/etc/opt/md VAR=/var/opt/md
# The systemd unit goes where systemd looks (configure found systemd's
# directory): below DESTDIR, at /lib/systemd/system or wherever that is.
# distcheck configures it relative to $(prefix), which this install sets.
UNITDIR=$(sed -n 's/^systemdsystemunitdir = //p' "$BUILDDIR/Makefile")
UNITDIR=${UNITDIR//\$(prefix)/$P}
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$BUILDDIR" install DESTDIR="$DEST" prefix="$P" sysconfdir="$ETC" \
    localstatedir="$VAR" >"$WORK/install.log" 2>&1 &&
	pass "make install DESTDIR prefix sysconfdir localstatedir" ||
	fail "make install DESTDIR prefix sysconfdir localstatedir" "$(tail -20 "$WORK/install.log")"
R="$DEST$P"
for f in bin/memberdesk sbin/memberdeskd; do
	check "installed $f is executable" test -x "$R/$f"
done
for f in share/man/man1/memberdesk.1 share/man/man5/memberdesk.conf.5 \
    share/man/man5/memberdesk-rules.5 share/man/man7/memberdesk-mail.7 \
    share/man/man8/memberdeskd.8 share/memberdesk/templates/zh/ack.txt \
    share/memberdesk/templates/en/result.txt share/memberdesk/calendar/cn-2026.cal \
    share/doc/memberdesk/examples/memberdesk.conf; do
	check "installed $f" test -s "$R/$f"
done
for f in filters/10-flags.rules filters/50-types.rules filters/training.tsv memberdesk.conf; do
	check "installed $ETC/memberdesk/$f" test -s "$DEST$ETC/memberdesk/$f"
done
check "database directory $VAR/lib/memberdesk created" test -d "$DEST$VAR/lib/memberdesk"
if [ -n "$UNITDIR" ]; then
	UNIT="$DEST$UNITDIR/memberdesk.service"
	check "systemd unit installed in $UNITDIR" test -s "$UNIT"
	grep -q "^ExecStart=$P/sbin/memberdeskd -f -c $ETC/memberdesk/memberdesk.conf\$" "$UNIT" &&
	    grep -q "^ExecStartPre=$P/sbin/memberdeskd -n -c $ETC/memberdesk/memberdesk.conf\$" "$UNIT" &&
	    grep -q "^ReadWritePaths=$VAR/lib/memberdesk\$" "$UNIT" &&
		pass "systemd unit names the installed paths" ||
		fail "systemd unit names the installed paths" "$(grep -n "^Exec\|^ReadWrite" "$UNIT" 2>&1)"
	UNITTOP=${UNITDIR#/}; UNITTOP=${UNITTOP%%/*}
else
	echo "# configure found no systemd unit directory: the unit is only in contrib/"
	UNITTOP=opt
fi
check "nothing installed outside DESTDIR's prefix, sysconfdir, localstatedir and the unit directory" \
    test -z "$(cd "$DEST" && find . -mindepth 1 -maxdepth 1 ! -name opt ! -name etc ! -name var ! -name "$UNITTOP")"
CONF="$DEST$ETC/memberdesk/memberdesk.conf"
[ "$(stat -c %a "$CONF" 2>/dev/null)" = 640 ] && pass "installed configuration is mode 0640" ||
	fail "installed configuration is mode 0640" "$(stat -c %a "$CONF" 2>&1)"
grep -q "/usr/local\|/var/lib/memberdesk/" "$CONF" &&
	fail "installed configuration names the installed paths" "$(grep -n "/usr/local\|/var/lib/" "$CONF")" ||
	pass "installed configuration names the installed paths"

# ---- man pages ----
for m in "$R"/share/man/man*/*; do
	name=${m##*/}
	out=$(groff -k -Tutf8 -ww -z -man "$m" 2>&1)
	[ -z "$out" ] && pass "groff -ww: $name has no warnings" || fail "groff -ww: $name has no warnings" "$out"
	if command -v man >/dev/null; then
		out=$(MANROFFOPT=-ww MANWIDTH=80 man -l "$m" 2>&1 >"$WORK/man.txt")
		[ -z "$out" ] && [ -s "$WORK/man.txt" ] && pass "man -l $name renders cleanly" ||
			fail "man -l $name renders cleanly" "$out"
	fi
done
man1="$R/share/man/man1/memberdesk.1"
for cmd in init member case rules status report inspect help; do
	grep -Eq "^\.B[IR]? \"?$cmd( |\"|\$)" "$man1" &&
		pass "memberdesk(1) documents $cmd" || fail "memberdesk(1) documents $cmd"
done
grep -q '^\.SH EXIT STATUS' "$man1" && pass "memberdesk(1) has EXIT STATUS" || fail "memberdesk(1) has EXIT STATUS"

# ---- the installed daemon accepts the installed configuration ----
# The configuration names the final paths; in the DESTDIR they are below $DEST.
sed "s|\"$P/|\"$R/|g; s|\"$ETC/|\"$DEST$ETC/|g; s|\"$VAR/|\"$DEST$VAR/|g" "$CONF" >"$WORK/inst.conf"
out=$("$R/sbin/memberdeskd" -n -c "$WORK/inst.conf" 2>&1); rc=$?
[ "$rc" = 1 ] && pass "memberdeskd -n refuses the installed configuration without passwords" ||
	fail "memberdeskd -n refuses the installed configuration without passwords" "rc=$rc" "$out"
echo imap-secret >"$DEST$ETC/memberdesk/imap.password"
echo smtp-secret >"$DEST$ETC/memberdesk/smtp.password"
chmod 600 "$DEST$ETC/memberdesk/"*.password
out=$("$R/sbin/memberdeskd" -n -c "$WORK/inst.conf" 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$out" = "configuration OK" ] &&
	pass "installed memberdeskd -n accepts the installed configuration with passwords set" ||
	fail "installed memberdeskd -n accepts the installed configuration with passwords set" "rc=$rc" "$out"

# ---- status ----
C="$R/bin/memberdesk"
D="$R/sbin/memberdeskd"
cat >"$WORK/md.conf" <<CONF
database = "$WORK/md.db"
template_dir = "$R/share/memberdesk/templates"
calendar_dir = "$R/share/memberdesk/calendar"
filter_dir = "$DEST$ETC/memberdesk/filters"
language = "en"
imap { host = "127.0.0.1" port = 1 user = "chamber" password = "x" timeout = 2 }
smtp { host = "127.0.0.1" port = 1 from = "chamber@chamber.test" timeout = 2 }
staff "sec@chamber.test" { name = "Sec" role = "secretariat" }
CONF
export MEMBERDESK_CONF="$WORK/md.conf"
"$C" init >/dev/null || fail "memberdesk init"
NOW=$(date -u -d '2026-11-16 02:00:00' +%s)	# Monday 10:00 in Shanghai
out=$(MEMBERDESK_NOW=$NOW "$C" status 2>&1); rc=$?
[ "$rc" = 3 ] && echo "$out" | grep -q "daemon: not running" &&
	pass "status without a daemon: not running, exit 3" || fail "status without a daemon: not running, exit 3" "rc=$rc" "$out"
echo "$out" | grep -q "2027: no calendar installed — weekends only" &&
	pass "status warns that next year has no calendar" || fail "status warns that next year has no calendar" "$out"
echo "$out" | grep -q "last poll: never" && pass "status: never polled" || fail "status: never polled" "$out"
echo "$out" | grep -q "mailbox backlog: not checked" && pass "status: backlog not checked without --imap" ||
	fail "status: backlog not checked without --imap" "$out"
out=$("$C" status --imap 2>&1); rc=$?
[ "$rc" = 3 ] && echo "$out" | grep -q "mailbox backlog: unknown (IMAP: " &&
	pass "status --imap with the server down: backlog unknown, the rest still shown" ||
	fail "status --imap with the server down: backlog unknown, the rest still shown" "rc=$rc" "$out"

"$D" -f -c "$WORK/md.conf" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 50); do [ -s "$WORK/md.db.pid" ] && break; sleep 0.1; done
out=$("$C" status 2>&1); rc=$?
[ "$rc" = 0 ] && echo "$out" | grep -q "daemon: running (pid $DAEMON_PID, started " &&
	pass "status with the daemon: running, its pid, exit 0" ||
	fail "status with the daemon: running, its pid, exit 0" "rc=$rc" "$out"
out=$("$C" status --json 2>&1); rc=$?
echo "$out" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["daemon"]["running"] is True and o["daemon"]["pid"] == int(sys.argv[1]), o["daemon"]
assert o["daemon"]["state"] == "running"
assert o["mailbox_backlog"] is None
for k in ("queued", "failed", "oldest_queued_at"): assert k in o["outbox"], k
for k in ("due_today", "overdue", "due_today_list", "overdue_list"): assert k in o["cases"], k
assert o["calendar"]["this_year_covered"] in (True, False)
' "$DAEMON_PID" && [ "$rc" = 0 ] && pass "status --json: keys and the running daemon" ||
	fail "status --json: keys and the running daemon" "rc=$rc" "$out"
"$D" -f -c "$WORK/md.conf" 2>"$WORK/second.log"; rc=$?
[ "$rc" != 0 ] && grep -q "another memberdeskd (pid $DAEMON_PID)" "$WORK/second.log" &&
	pass "a second daemon on the same database refuses to run" ||
	fail "a second daemon on the same database refuses to run" "rc=$rc" "$(cat "$WORK/second.log")"
kill "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=
[ ! -e "$WORK/md.db.pid" ] && pass "the pid file is removed when the daemon stops" ||
	fail "the pid file is removed when the daemon stops"
# A stale pid file (crash) is told apart from a running daemon.
echo "$$ 1795000000" >"$WORK/md.db.pid"
out=$("$C" status 2>&1); rc=$?
[ "$rc" = 3 ] && echo "$out" | grep -q "stale pid file" &&
	pass "status: an unlocked pid file of a live pid is stale" || fail "status: an unlocked pid file of a live pid is stale" "rc=$rc" "$out"
rm -f "$WORK/md.db.pid"

# ---- cases from the command line, then status and report ----
at() { echo $(( $(date -u -d "$1" +%s) - 8 * 3600 )); }	# Shanghai local time
act() {
	local when=$1; shift
	MEMBERDESK_NOW=$(at "$when") MEMBERDESK_ACTOR=sec@chamber.test "$C" case "$@" \
	    >>"$WORK/cases.log" 2>&1 || fail "case $*" "$(tail -3 "$WORK/cases.log")"
}
act "2026-11-02 09:00" register --name "Walk In" --channel visit --subject "visa" --text "help"
act "2026-11-02 10:00" register --name "Phone Call" --channel phone --subject "tax" --text "help" --type policy
act "2026-11-03 09:00" register --name "Late One" --channel visit --subject "late <script>" --text "help"
act "2026-11-03 10:00" accept MD-2026-0001 --tier simple
act "2026-11-04 10:00" resolve MD-2026-0001 --method policy-interpretation --result "done"
act "2026-11-09 10:00" accept MD-2026-0002 --tier general
out=$(MEMBERDESK_NOW=$(at "2026-11-16 10:00") "$C" status 2>&1)
echo "$out" | grep -q "^overdue: 1" && echo "$out" | grep -q "MD-2026-0003" &&
	pass "status lists the case past its review deadline" || fail "status lists the case past its review deadline" "$out"

MEMBERDESK_NOW=$(at "2026-12-10 10:00") "$C" report --month 2026-11 --format csv -o "$WORK/r.csv" \
    2>"$WORK/report.err" && pass "report --format csv -o FILE" || fail "report --format csv -o FILE" "$(cat "$WORK/report.err")"
csv() { awk -F, -v m="$1" -v k="$2" '$1 == m && $2 == k { v = $NF } END { sub(/\r$/, "", v); print v }' "$WORK/r.csv"; }
expect() {
	local got
	got=$(csv "$1" "$2")
	[ "$got" = "$3" ] && pass "report: $1 $2 = $3" || fail "report: $1 $2 = $3" "got '$got'"
}
expect registered all 3
expect channel visit 2
expect channel phone 1
expect type policy 1
# Registered Mon 2nd: review due Wed 4th. 1 accepted on 3rd, 2 on 9th; 3 never.
expect review in_time 1
expect review late 1
expect review overdue 1
expect handled simple 1
expect handled_on_time simple 1
expect status handling 1
expect overdue count 2
MEMBERDESK_NOW=$(at "2026-12-10 10:00") "$C" report --month 2026-11 --format html -o "$WORK/r.html" 2>/dev/null
grep -q "&lt;script&gt;" "$WORK/r.html" 2>/dev/null && ! grep -q "<script" "$WORK/r.html" &&
	pass "report --format html escapes subjects" || fail "report --format html escapes subjects"
MEMBERDESK_NOW=$(at "2026-12-10 10:00") "$C" report --year 2026 >"$WORK/r.txt" 2>"$WORK/r.err"
grep -q "Requests registered: 3" "$WORK/r.txt" && ! grep -q $'\r' "$WORK/r.err" &&
	pass "report --year as a table, no progress line when stderr is not a terminal" ||
	fail "report --year as a table, no progress line when stderr is not a terminal" "$(head -5 "$WORK/r.txt")"
"$C" report --month 2026-13 >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass "report: a malformed month exits 2" || fail "report: a malformed month exits 2" "rc=$rc"
"$C" report --month 2026-11 --format pdf >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass "report: an unknown format exits 2" || fail "report: an unknown format exits 2" "rc=$rc"

# ---- uninstall leaves nothing but the administrator's files ----
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$BUILDDIR" uninstall DESTDIR="$DEST" prefix="$P" sysconfdir="$ETC" \
    localstatedir="$VAR" >"$WORK/uninstall.log" 2>&1 || fail "make uninstall" "$(tail -5 "$WORK/uninstall.log")"
left=$(cd "$DEST" && find . -type f ! -name '*.password' | sort)
[ -z "$left" ] && pass "make uninstall removes every installed file" || fail "make uninstall removes every installed file" "$left"

echo "passed $PASSED, failed $FAILED"
[ "$FAILED" = 0 ]
