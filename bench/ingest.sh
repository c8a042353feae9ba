#!/bin/bash
# Ingest benchmark (issue 7, item 1, and the ingest half of item 3).
#
# A backlog of BENCH_COUNT (10,000) generated requests (bench/gen_backlog.py:
# Chinese and English, GBK/GB2312/UTF-8, attachments, 20% replies) is
# APPENDed into the chamber's INBOX on a fresh private Dovecot; then
# `memberdeskd --once` takes it in with SMTP pointed at a closed port, so the
# acknowledgements stay queued and only intake is measured. Repeated
# BENCH_RUNS (3) times, each on a fresh mail stack and database.
#
# Per run: wall time and messages/s of the daemon, CPU seconds per 1,000
# messages and peak RSS (/usr/bin/time -v), the fetch chunks as the
# daemon's -v log shows them (its per-message lines come in one burst after
# each chunk's commit: the bursts are counted and the median time between
# two is one chunk's fetch, intake, commit and move), and baselines in the
# same run: Dovecot's own
# UID FETCH of the same mailbox in the daemon's chunks (python imaplib),
# UID MOVE of the same number of messages in chunks of 100, and a plain
# SQLite insert loop of the same raw messages (WAL, synchronous=FULL), one
# transaction per message and one per 100.
set -u
BENCH_NAME=ingest
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

COUNT="${BENCH_COUNT:-10000}"
RUNS="${BENCH_RUNS:-3}"
bench_setup
bench_machine
echo "messages: $COUNT, runs: $RUNS"

"$PYTHON" "$BENCH_HERE/gen_backlog.py" --count "$COUNT" \
    --members "$BENCH_WORK/members.csv" "$BENCH_WORK/backlog" || exit 1

# Time-stamp each line of the daemon's log as it arrives.
stamp()
{
	"$PYTHON" -u -c '
import sys, time
for line in sys.stdin:
    sys.stdout.write("%.6f %s" % (time.monotonic(), line))'
}

# chunks LOG: the bursts of per-message lines (one per committed chunk):
# how many, and the median time from one to the next.
chunks_log()
{
	"$PYTHON" - "$1" <<'EOF'
import re, statistics, sys
t = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    ts, _, rest = line.partition(" ")
    # One line per message taken in: new case, follow-up, automatic, unfiled.
    if re.search(r"uid \d+: |^memberdeskd: \w+: message \d+ from ", rest):
        t.append(float(ts))
bursts = []
for i, x in enumerate(t):
    # Lines of one burst are written back to back, microseconds apart.
    if i == 0 or x - t[i - 1] > 0.005:
        bursts.append([x, 0])
    bursts[-1][1] += 1
gaps = [b[0] - a[0] for a, b in zip(bursts, bursts[1:])]
sizes = [b[1] for b in bursts]
print("%d %d %.6f %.1f" % (len(t), len(bursts), statistics.median(gaps) if gaps else 0.0,
                           statistics.median(sizes) if sizes else 0.0))
EOF
}

sql()
{
	sqlite3 -batch -noheader "$1" "$2"
}

: > "$BENCH_WORK/results"
# One mail stack for all runs. The backlog is APPENDed once (set-up, not
# measured: Dovecot syncs every appended message, minutes for 10,000 on this
# disk, so syncing is off while appending); between runs the daemon's Processed folder is moved back into INBOX
# with UID MOVE in chunks of 100, which is also the baseline for marking.
bench_stack_start "$BENCH_WORK/stack"
echo "mail_fsync = never" >> "$MS_DIR/dovecot/dovecot.conf"
bench_dovecot_reload
read -r append_s n_app < <("$PYTHON" "$BENCH_HERE/imaptool.py" append \
    "$MS_IMAP_PORT" chamber INBOX "$BENCH_WORK/backlog")
sed -i '/^mail_fsync = never$/d' "$MS_DIR/dovecot/dovecot.conf"
bench_dovecot_reload
printf 'set-up: APPEND of %d messages over one connection: %.1f s\n' "$n_app" "$append_s"
BUILDS="$(bench_builds)"
for run in $(seq 1 "$RUNS"); do
for build in $BUILDS; do
	bench_run_dir "$run" "$build"
	closed_port="$(bench_free_port)"
	bench_config "$R/conf" "$R/memberdesk.db" "$MS_IMAP_PORT" "$closed_port"
	bench_init_db "$R/conf" "$BENCH_WORK/members.csv"

	read -r fetch_s n_fetch fetch_bytes < <("$PYTHON" "$BENCH_HERE/imaptool.py" fetch \
	    "$MS_IMAP_PORT" chamber INBOX)
	sync

	t0=$(date +%s.%N)
	# BENCH_WRAP: a profiler in front of the daemon, e.g. "strace -c -f -o FILE".
	/usr/bin/time -v -o "$R/time" ${BENCH_WRAP:-} "$build/memberdeskd" -f -v -c "$R/conf" --once \
	    2> >(stamp > "$R/log")
	rc=$?
	t1=$(date +%s.%N)
	sleep 0.2	# let the stamping process finish writing
	wall=$(echo "$t1 - $t0" | bc -l)
	read -r user sys rss < <(bench_time "$R/time")

	cases=$(sql "$R/memberdesk.db" "SELECT count(*) FROM cases")
	msgs=$(sql "$R/memberdesk.db" "SELECT count(*) FROM messages WHERE direction = 'in'")
	filed=$(sql "$R/memberdesk.db" "SELECT count(*) FROM messages WHERE direction = 'in' AND case_id IS NOT NULL")
	queued=$(sql "$R/memberdesk.db" "SELECT count(*) FROM outbox WHERE status = 'queued'")
	inbox=$("$PYTHON" "$BENCH_HERE/imaptool.py" count "$MS_IMAP_PORT" chamber INBOX)
	processed=$("$PYTHON" "$BENCH_HERE/imaptool.py" count "$MS_IMAP_PORT" chamber Processed)
	read -r n_logged n_chunks chunk_s chunk_msgs < <(chunks_log "$R/log")
	read -r move_s n_move < <("$PYTHON" "$BENCH_HERE/imaptool.py" move \
	    "$MS_IMAP_PORT" chamber Processed INBOX)
	read -r sq1_s sq100_s < <("$PYTHON" "$BENCH_HERE/sqlite_baseline.py" \
	    "$BENCH_WORK/backlog" "$R/baseline.db")

	rate=$(echo "$COUNT / $wall" | bc -l)
	cpu_k=$(echo "($user + $sys) * 1000 / $COUNT" | bc -l)
	printf '[%s] run %d: exit %d, %.2f s, %.0f msg/s, CPU %.2f s/1000 (user %s sys %s), max RSS %d KiB\n' \
	    "$tag" "$run" "$rc" "$wall" "$rate" "$cpu_k" "$user" "$sys" "$rss"
	printf '       %d recorded, %d cases, %d follow-ups, %d acks queued; INBOX %s, Processed %s\n' \
	    "$msgs" "$cases" "$((filed - cases))" "$queued" "$inbox" "$processed"
	printf '       chunks: %d committed (median %.0f messages), median %.1f ms from one to the next (%.2f ms/msg)\n' \
	    "$n_chunks" "$chunk_msgs" "$(echo "$chunk_s * 1000" | bc -l)" \
	    "$(echo "$chunk_s * 1000 / ($chunk_msgs + ($chunk_msgs == 0))" | bc -l)"
	printf '       baselines: Dovecot UID FETCH %.2f s (%.1f MB); UID MOVE %.2f s; sqlite insert txn/msg %.2f s, txn/100 %.2f s\n' \
	    "$fetch_s" "$(echo "$fetch_bytes / 1000000" | bc -l)" "$move_s" "$sq1_s" "$sq100_s"
	bench_record "$tag" "$wall $rate $cpu_k $rss $fetch_s $move_s $sq1_s $sq100_s $n_chunks $chunk_s"
	if [ "$rc" != 0 ] && [ "$rc" != 75 ]; then
		echo "       daemon log tail:"; tail -5 "$R/log" | sed 's/^/         /'
	fi
	[ -n "${BENCH_KEEP:-}" ] || rm -f "$R/memberdesk.db" "$R/memberdesk.db-wal" "$R/baseline.db"*
done
done

col()
{
	bench_col "$tag" "$1"
}
for build in $BUILDS; do
tag=$(bench_tag "$build")
bench_medians_header "$tag" messages
m_wall=$(col 1); m_rate=$(col 2); m_cpu=$(col 3); m_rss=$(col 4)
m_fetch=$(col 5); m_move=$(col 6); m_sq1=$(col 7); m_sq100=$(col 8)
printf 'memberdeskd --once:        %.2f s, %.0f msg/s (target >= 2000)\n' "$m_wall" "$m_rate"
printf 'CPU per 1,000 messages:    %.2f s\n' "$m_cpu"
printf 'peak RSS:                  %.1f MiB (target < 32)\n' "$(echo "$m_rss / 1024" | bc -l)"
printf 'fetch chunks:              %.0f, median %.1f ms each\n' "$(col 9)" "$(echo "$(col 10) * 1000" | bc -l)"
printf 'Dovecot UID FETCH alone:   %.2f s  (daemon / fetch = %.1fx)\n' "$m_fetch" \
    "$(echo "$m_wall / $m_fetch" | bc -l)"
printf 'Dovecot UID MOVE alone:    %.2f s\n' "$m_move"
printf 'sqlite, 1 txn per message: %.2f s  (daemon / this = %.1fx)\n' "$m_sq1" \
    "$(echo "$m_wall / $m_sq1" | bc -l)"
printf 'sqlite, 1 txn per 100:     %.2f s\n' "$m_sq100"
printf 'floor (fetch + move + sqlite txn/msg): %.2f s = %.0f msg/s\n' \
    "$(echo "$m_fetch + $m_move + $m_sq1" | bc -l)" \
    "$(echo "$COUNT / ($m_fetch + $m_move + $m_sq1)" | bc -l)"
# The daemon commits once per fetch chunk (of 100): this is its floor.
printf 'floor (fetch + move + sqlite txn/100): %.2f s = %.0f msg/s\n' \
    "$(echo "$m_fetch + $m_move + $m_sq100" | bc -l)" \
    "$(echo "$COUNT / ($m_fetch + $m_move + $m_sq100)" | bc -l)"
done
