#!/bin/bash
# Latency benchmark (issue 7, item 2).
#
# memberdeskd runs as a daemon (IDLE on the chamber's INBOX, SMTP to the
# private Exim). bench/latency_driver.py submits BENCH_COUNT (200) requests
# from a member to Exim one after another and measures, for each, the time
# until the acknowledgement is in the member's IMAP inbox. Prints p50/p95
# and a breakdown per message from three clocks that agree (wall clock):
# Exim's log (millisecond stamps, switched on with a reload), the daemon's
# -v log (stamped as lines arrive), and the driver:
#	submit      SMTP submission to Exim until accepted
#	deliver-in  Exim accepted → delivered to the chamber's mailbox (LMTP)
#	to-case     delivered → case registered (Dovecot's IDLE notification,
#	            UID FETCH, intake, commit)
#	to-ack-out  case registered → acknowledgement delivered to the member's
#	            mailbox (mark, outbox flush to Exim, Exim → LMTP)
#	seen        delivered → visible to the member's client (10 ms NOOP poll)
set -u
BENCH_NAME=latency
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

COUNT="${BENCH_COUNT:-200}"
bench_setup
bench_machine
echo "requests: $COUNT (sequential)"

bench_stack_start "$BENCH_WORK/stack"
# Millisecond time stamps in Exim's log, for the breakdown: restart Exim
# (a SIGHUP re-exec does not come back with a private -C file).
sed -i "1i log_selector = +millisec" "$MS_DIR/exim/exim.conf"
ms_stop_group "$MS_EXIM_PID"
setsid exim4 -C "$MS_DIR/exim/exim.conf" -bdf -q5s \
    >>"$MS_DIR/exim/stdout.log" 2>&1 </dev/null &
MS_EXIM_PID=$!
ms_wait_ports "$MS_SMTP_PORT" || exit 1

cat > "$BENCH_WORK/members.csv" <<'CSV'
kind,name,unit_name,addresses,phone
unit,张伟,华东精密机械有限公司,alice@members.test,021-5555-0101
CSV
bench_config "$BENCH_WORK/conf" "$BENCH_WORK/memberdesk.db" "$MS_IMAP_PORT" "$MS_SMTP_PORT"
bench_init_db "$BENCH_WORK/conf" "$BENCH_WORK/members.csv"

setsid "$MEMBERDESKD" -f -v -c "$BENCH_WORK/conf" 2> >("$PYTHON" -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.6f %s" % (time.time(), line))' > "$BENCH_WORK/daemon.log") &
DAEMON_PID=$!
stop_daemon()
{
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
}
trap 'stop_daemon; bench_cleanup' EXIT
sleep 2

# One warm-up request (first connection, page cache), not counted.
"$PYTHON" "$BENCH_HERE/latency_driver.py" "$MS_SMTP_PORT" "$MS_IMAP_PORT" 1 \
    "$BENCH_WORK/warmup" || exit 1
"$PYTHON" "$BENCH_HERE/latency_driver.py" "$MS_SMTP_PORT" "$MS_IMAP_PORT" "$COUNT" \
    "$BENCH_WORK/times" || exit 1
sleep 1
stop_daemon

"$PYTHON" - "$BENCH_WORK/times" "$MS_DIR/exim/log/mainlog" "$BENCH_WORK/daemon.log" <<'EOF'
import re, statistics, sys, time
from datetime import datetime

times = [tuple(float(x) for x in l.split()[1:]) for l in open(sys.argv[1])]
start = times[0][0]

def exim_time(s):
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").timestamp()

to_chamber, to_alice = [], []
for line in open(sys.argv[2], errors="replace"):
    m = re.match(r"(\S+ \S+) \S+ => (\S+)", line)
    if not m:
        continue
    t = exim_time(m.group(1))
    if t < start:
        continue
    if m.group(2).startswith("chamber@"):
        to_chamber.append(t)
    elif m.group(2).startswith("alice@"):
        to_alice.append(t)
registered = []
for line in open(sys.argv[3], errors="replace"):
    ts, _, rest = line.partition(" ")
    if " registered for " in rest and float(ts) >= start:
        registered.append(float(ts))

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]

def show(name, v):
    v = [x * 1000 for x in v]
    print("%-11s p50 %7.1f ms   p95 %7.1f ms   mean %7.1f ms   max %7.1f ms" %
          (name, pct(v, .5), pct(v, .95), statistics.mean(v), max(v)))

ok = [t for t in times if t[2] > 0]
print("acknowledged: %d of %d" % (len(ok), len(times)))
show("end-to-end", [t[2] - t[0] for t in ok])
n = min(len(times), len(to_chamber), len(to_alice), len(registered))
if n < len(times):
    print("breakdown over the first %d (log lines: %d in, %d cases, %d acks)" %
          (n, len(to_chamber), len(registered), len(to_alice)))
rows = [(times[i], to_chamber[i], registered[i], to_alice[i]) for i in range(n)
        if times[i][2] > 0]
show("submit", [t[1] - t[0] for t, a, r, b in rows])
show("deliver-in", [a - t[1] for t, a, r, b in rows])
show("to-case", [r - a for t, a, r, b in rows])
show("to-ack-out", [b - r for t, a, r, b in rows])
show("seen", [t[2] - b for t, a, r, b in rows])
EOF
