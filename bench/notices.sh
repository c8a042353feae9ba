#!/bin/bash
# Notice benchmark (issue 7, item 4).
#
# BENCH_COUNT (10,000) queued notices, inserted into the outbox directly
# (each a rendered acknowledgement of about 2 KB, UTF-8, one of 2,000 member
# addresses), are flushed by `memberdeskd --once` into the aiosmtpd discard
# sink with libcurl's reused connection. IMAP points at the private Dovecot
# with an empty INBOX, so the run is the daemon's real pass. Repeated
# BENCH_RUNS (3) times on a fresh database; in the same run, the baseline:
# python smtplib sending the same messages over one connection into the same
# sink, and the daemon's start-up (an empty outbox) subtracted as overhead.
set -u
BENCH_NAME=notices
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

COUNT="${BENCH_COUNT:-10000}"
RUNS="${BENCH_RUNS:-3}"
bench_setup
bench_machine
echo "notices: $COUNT, runs: $RUNS"

bench_stack_start "$BENCH_WORK/stack"
SINK_PORT="$(bench_free_port)"
bench_sink_start "$SINK_PORT"

# fill_outbox DB N: N queued notices, due now, in one transaction. From
# schema 7 (outbox.message_row) each is stored as notify.c stores a case's
# notice: the bytes in an outgoing messages row, the outbox row pointing at it.
fill_outbox()
{
	"$PYTHON" - "$1" "$2" <<'EOF'
import base64, hashlib, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
now = int(time.time())
body = ("张伟 您好：\n\n您于2026年11月27日 10:15提交的诉求已登记，编号 MD-2026-%04d。\n"
        "我们将在2个工作日内完成审核并告知您结果。\n\n此致\n测试商会秘书处\n")
con = sqlite3.connect(db, isolation_level=None)
once = any(r[1] == "message_row" for r in con.execute("PRAGMA table_info(outbox)"))
con.execute("BEGIN")
for i in range(n):
    rcpt = "m%04d@members.test" % (i % 2000)
    mid = "bench-notice-%06d@chamber.test" % i
    subj = "=?UTF-8?B?%s?=" % base64.b64encode(
        ("[MD-2026-%04d] 诉求已登记：关于高新技术企业税收优惠政策的咨询" % i).encode()).decode()
    data = ("From: =?UTF-8?B?5rWL6K+V5ZWG5Lya56eY5Lmm5aSE?= <chamber@chamber.test>\r\n"
            "To: %s\r\nSubject: %s\r\nDate: Sat, 28 Nov 2026 10:00:00 +0800\r\n"
            "Message-ID: <%s>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            % (rcpt, subj, mid)).encode() + base64.encodebytes(
                ((body % i) * 3).encode()).replace(b"\n", b"\r\n")
    if not once:
        con.execute("INSERT INTO outbox (case_id, kind, message_id, mail_from, rcpt, data,"
                    " status, attempts, next_attempt_at, created_at)"
                    " VALUES (NULL, 'ack', ?, 'chamber@chamber.test', ?, ?, 'queued', 0, ?, ?)",
                    (mid, rcpt, data, now - 1, now - 1))
        continue
    row = con.execute("INSERT INTO messages (message_id, sha256, raw, from_addr, direction,"
                      " received_at) VALUES (?, ?, ?, 'chamber@chamber.test', 'out', ?)",
                      (mid, hashlib.sha256(data).hexdigest(), data, now - 1)).lastrowid
    con.execute("INSERT INTO outbox (case_id, kind, message_id, mail_from, rcpt, data,"
                " status, attempts, next_attempt_at, created_at, message_row)"
                " VALUES (NULL, 'ack', ?, 'chamber@chamber.test', ?, x'', 'queued', 0, ?, ?, ?)",
                (mid, rcpt, now - 1, now - 1, row))
con.execute("COMMIT")
EOF
}

# smtplib_baseline DB PORT: the same messages over one python connection.
smtplib_baseline()
{
	"$PYTHON" - "$1" "$2" <<'EOF'
import smtplib, sqlite3, sys, time
con = sqlite3.connect(sys.argv[1])
view = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'outbox_bytes'").fetchone()[0]
rows = con.execute("SELECT o.mail_from, o.rcpt, b.data FROM outbox o JOIN outbox_bytes b USING (id)"
                   " ORDER BY o.id" if view else
                   "SELECT mail_from, rcpt, data FROM outbox ORDER BY id").fetchall()
t = time.monotonic()
with smtplib.SMTP("127.0.0.1", int(sys.argv[2]), timeout=30) as s:
    for f, r, d in rows:
        s.sendmail(f, [r], d)
print("%.3f" % (time.monotonic() - t))
EOF
}

BUILDS="$(bench_builds)"
for run in $(seq 1 "$RUNS"); do
for build in $BUILDS; do
	bench_run_dir "$run" "$build"
	bench_config "$R/conf" "$R/memberdesk.db" "$MS_IMAP_PORT" "$SINK_PORT"
	bench_init_db "$R/conf" ""
	# Start-up and an empty pass: the overhead that is not sending.
	t0=$(date +%s.%N)
	"$build/memberdeskd" -f -c "$R/conf" --once 2>/dev/null
	t1=$(date +%s.%N)
	empty=$(echo "$t1 - $t0" | bc -l)

	fill_outbox "$R/memberdesk.db" "$COUNT" || exit 1
	sync
	t0=$(date +%s.%N)
	/usr/bin/time -v -o "$R/time" ${BENCH_WRAP:-} "$build/memberdeskd" -f -c "$R/conf" --once \
	    2>"$R/log"
	rc=$?
	t1=$(date +%s.%N)
	wall=$(echo "$t1 - $t0" | bc -l)
	read -r user sys rss < <(bench_time "$R/time")
	sent=$(sqlite3 "$R/memberdesk.db" "SELECT count(*) FROM outbox WHERE status = 'sent'")
	base=$(smtplib_baseline "$R/memberdesk.db" "$SINK_PORT")
	net=$(echo "$wall - $empty" | bc -l)
	rate=$(echo "$sent / $net" | bc -l)
	brate=$(echo "$COUNT / $base" | bc -l)
	printf '[%s] run %d: exit %d, %d sent in %.2f s (start-up %.2f s): %.0f notices/s; CPU %.2f s/1000 (user %s sys %s); max RSS %d KiB\n' \
	    "$tag" "$run" "$rc" "$sent" "$wall" "$empty" "$rate" \
	    "$(echo "($user + $sys) * 1000 / $COUNT" | bc -l)" "$user" "$sys" "$rss"
	printf '       baseline python smtplib, one connection: %.2f s, %.0f msg/s; daemon/baseline rate %.2f\n' \
	    "$base" "$brate" "$(echo "$rate / $brate" | bc -l)"
	[ "$sent" = "$COUNT" ] || tail -3 "$R/log"
	bench_record "$tag" "$rate $brate $(echo "$rate / $brate" | bc -l) $rss"
done
done

col()
{
	bench_col "$tag" "$1"
}
for build in $BUILDS; do
tag=$(bench_tag "$build")
bench_medians_header "$tag" notices
printf 'memberdeskd flush:         %.0f notices/s (target >= 1000)\n' "$(col 1)"
printf 'python smtplib baseline:   %.0f msg/s\n' "$(col 2)"
printf 'ratio daemon/baseline:     %.2f\n' "$(col 3)"
printf 'peak RSS:                  %.1f MiB\n' "$(echo "$(col 4) / 1024" | bc -l)"
done
