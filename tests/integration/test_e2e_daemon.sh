#!/bin/bash
# The daemon as a service: IDLE wakes it for new mail (poll interval set far
# longer than the test waits), SIGHUP with a broken file keeps the old
# configuration, SIGTERM stops it within seconds; with the SMTP server
# unreachable the acknowledgement waits in the outbox and goes out later.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/mailstack.sh"
. "$HERE/e2e_lib.sh"
e2e_setup test_e2e_daemon
DPID=""
stop_daemon() { [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null; DPID=""; }
trap 'stop_daemon; e2e_cleanup' EXIT

make_request()  # FILE FROM MSGID SUBJECT
{
	cat > "$1" <<MAIL
From: $2
To: chamber@chamber.test
Subject: $4
Date: Fri, 27 Nov 2026 10:15:00 +0800
Message-ID: <$3>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

请秘书处协助。
MAIL
}

# 1. Notices wait while the SMTP server is unreachable.
closed_port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s/port = $MS_SMTP_PORT/port = $closed_port/" "$CONF" > "$WORK/down.conf"
make_request "$WORK/r1.eml" alice@members.test r1@members.test "用工政策咨询"
mailstack_send alice@members.test chamber@chamber.test "$WORK/r1.eml"
mailstack_wait_count chamber INBOX 1 15 >/dev/null
"$MEMBERDESKD" -c "$WORK/down.conf" --once 2>"$WORK/down.log"
rc=$?
[ "$rc" = 75 ] && pass "--once exits 75 (temporary failure) with the SMTP server down" ||
    fail "--once exits 75 with the SMTP server down" "rc=$rc $(cat "$WORK/down.log")"
st=$(e2e_sql "SELECT status, attempts, next_attempt_at > strftime('%s','now') FROM outbox WHERE kind = 'ack'")
[ "$st" = "queued|1|1" ] && pass "acknowledgement queued with a retry time" ||
    fail "acknowledgement queued with a retry time" "got: $st"
[ "$(e2e_sql 'SELECT count(*) FROM cases')" = 1 ] && pass "case registered although SMTP is down" ||
    fail "case registered although SMTP is down"
grep -q "unreachable" "$WORK/down.log" && pass "the outage is logged" || fail "the outage is logged"
# Make it due now, then run with the server back.
e2e_sql "UPDATE outbox SET next_attempt_at = 0" >/dev/null
"$MEMBERDESKD" -c "$CONF" --once 2>"$WORK/up.log" && pass "--once exits 0 once the server is back" ||
    fail "--once exits 0 once the server is back" "$(cat "$WORK/up.log")"
mailstack_wait_count alice INBOX 1 20 >/dev/null && pass "the waiting acknowledgement is delivered" ||
    fail "the waiting acknowledgement is delivered"

# 2. The daemon idles and IDLE wakes it; no polling within the test's time.
sed -i 's/^poll_interval = .*/poll_interval = 600/' "$CONF"
"$MEMBERDESKD" -c "$CONF" -f -v 2>"$WORK/daemon.log" &
DPID=$!
sleep 1
make_request "$WORK/r2.eml" bob@members.test r2@members.test "合同纠纷求助"
start=$(date +%s.%N)
mailstack_send bob@members.test chamber@chamber.test "$WORK/r2.eml"
if mailstack_wait_count bob INBOX 1 15 >/dev/null; then
	took=$("$PYTHON" -c "import time; print('%.2f' % (time.time() - $start))")
	pass "IDLE: acknowledgement in the inbox ${took}s after sending"
else
	fail "IDLE: acknowledgement in the inbox" "$(tail -5 "$WORK/daemon.log")"
fi

# 3. SIGHUP with a broken file: the old configuration stays in force.
cp "$CONF" "$WORK/good.conf"
echo 'smtp { port = 99999 }' >> "$CONF"
kill -HUP "$DPID"
sleep 1
grep -q "previous configuration stays in force" "$WORK/daemon.log" &&
    pass "SIGHUP with errors keeps the previous configuration" ||
    fail "SIGHUP with errors keeps the previous configuration" "$(tail -5 "$WORK/daemon.log")"
cp "$WORK/good.conf" "$CONF"
make_request "$WORK/r3.eml" carol@members.test r3@members.test "建议举办融资对接会"
mailstack_send carol@members.test chamber@chamber.test "$WORK/r3.eml"
mailstack_wait_count carol INBOX 1 15 >/dev/null && pass "still working after the failed reload" ||
    fail "still working after the failed reload"
kill -HUP "$DPID"
sleep 1
grep -q "configuration reloaded" "$WORK/daemon.log" && pass "SIGHUP with a valid file reloads" ||
    fail "SIGHUP with a valid file reloads"

# A broken rule file: the previous rules stay in force, nothing else breaks.
cp -r "$SRCDIR/filters" "$WORK/filters"
sed -i "s|^filter_dir = .*|filter_dir = \"$WORK/filters\"|" "$CONF"
kill -HUP "$DPID"
sleep 1
printf 'rule broken\n  when subject frobnicates "x"\n' > "$WORK/filters/99-broken.rules"
kill -HUP "$DPID"
sleep 1
[ "$(grep -c "stays in force" "$WORK/daemon.log")" = 2 ] &&
    grep -q "99-broken.rules:2: unknown word" "$WORK/daemon.log" &&
    pass "SIGHUP with a broken rule file keeps the previous rules, naming file:line" ||
    fail "SIGHUP with a broken rule file keeps the previous rules" "$(tail -5 "$WORK/daemon.log")"
make_request "$WORK/r4.eml" carol@members.test r4@members.test "企业被起诉，法院下周开庭"
mailstack_send carol@members.test chamber@chamber.test "$WORK/r4.eml"
mailstack_wait_count carol INBOX 2 15 >/dev/null && pass "requests still taken in with the previous rules" ||
    fail "requests still taken in with the previous rules"
e2e_sql "SELECT detail FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.kind = 'classified' AND c.subject LIKE '企业被起诉%'" |
    grep -q '"legal-process"' && pass "the previous rules still flag legal-process" ||
    fail "the previous rules still flag legal-process"
rm -f "$WORK/filters/99-broken.rules"

# 4. SIGTERM stops it within a few seconds, cleanly.
kill -TERM "$DPID"
t0=$(date +%s)
wait "$DPID"
rc=$?
t1=$(date +%s)
DPID=""
[ "$rc" = 0 ] && [ $((t1 - t0)) -le 5 ] && pass "SIGTERM: exit 0 within $((t1 - t0)) s" ||
    fail "SIGTERM: clean exit within 5 s" "rc=$rc after $((t1 - t0)) s"
[ "$(e2e_sql 'SELECT count(*) FROM cases')" = 4 ] && pass "four cases in all" ||
    fail "four cases in all" "$(e2e_sql 'SELECT number FROM cases')"
e2e_finish
