#!/bin/bash
# Memory benchmark (issue 7, item 3; the ingest run's peak is in ingest.sh).
#
# Peak RSS (/usr/bin/time -v, VmHWM) of `memberdeskd --once` taking in one
# message just under the default 25 MiB limit: a Chinese request with a
# base64 attachment of about 18 MB (24.4 MiB on the wire). BENCH_RUNS (3)
# runs, each on a fresh database with the message moved back into INBOX.
# Baseline in the same command: the daemon's peak on an empty mailbox
# (start-up: libraries, rules, model, calendars). SMTP points at a closed
# port (the acknowledgement stays queued). Target: under 32 MiB.
# BENCH_COMPARE=DIR: the same runs with DIR's programs in the same command;
# every run checks the stored raw message, attachment and SHA-256
# (memory_check.py).
# BENCH_WRAP: a profiler in front of the daemon for the big message, e.g.
# "valgrind --tool=massif --massif-out-file=/tmp/massif.out".
set -u
BENCH_NAME=memory
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

RUNS="${BENCH_RUNS:-3}"
bench_setup
bench_machine

"$PYTHON" - "$BENCH_WORK/big" <<'EOF'
import base64, random, sys
r = random.Random(25)
target = 25 * 1024 * 1024 - 600 * 1024          # just under the limit, headers included
payload = r.randbytes(int(target / 1.37))       # base64 with CRLF every 76: x1.37
body = "您好：\n附件是我公司的全部合同扫描件，请查收。\n华东精密机械有限公司 张伟\n"
b64 = base64.encodebytes(payload).replace(b"\n", b"\r\n")
msg = (b"From: =?UTF-8?B?5byg5Lyf?= <alice@members.test>\r\n"
       b"To: chamber@chamber.test\r\n"
       b"Subject: =?UTF-8?B?" + base64.b64encode("合同纠纷材料（大附件）".encode()) + b"?=\r\n"
       b"Date: Sat, 28 Nov 2026 10:00:00 +0800\r\n"
       b"Message-ID: <big-1@members.test>\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
       b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
       base64.encodebytes(body.encode()).replace(b"\n", b"\r\n") +
       b"--b1\r\nContent-Type: application/pdf; name=\"contracts.pdf\"\r\n"
       b"Content-Transfer-Encoding: base64\r\n"
       b"Content-Disposition: attachment; filename=\"contracts.pdf\"\r\n\r\n" + b64 +
       b"--b1--\r\n")
with open(sys.argv[1], "wb") as f:
    f.write(b"%d\n" % len(msg))
    f.write(msg)
print("message: %d bytes (%.2f MiB), attachment %d bytes" % (len(msg), len(msg) / 1048576, len(payload)))
EOF

bench_stack_start "$BENCH_WORK/stack"
read -r append_s n < <("$PYTHON" "$BENCH_HERE/imaptool.py" append "$MS_IMAP_PORT" chamber \
    INBOX "$BENCH_WORK/big")
cat > "$BENCH_WORK/members.csv" <<'CSV'
kind,name,unit_name,addresses,phone
unit,张伟,华东精密机械有限公司,alice@members.test,021-5555-0101
CSV

peak()
{
	bench_time "$1" | cut -d' ' -f3
}

BUILDS="$(bench_builds)"
for run in $(seq 1 "$RUNS"); do
for build in $BUILDS; do
	bench_run_dir "$run" "$build"
	bench_config "$R/conf" "$R/memberdesk.db" "$MS_IMAP_PORT" "$(bench_free_port)"
	bench_init_db "$R/conf" "$BENCH_WORK/members.csv"
	# Empty mailbox first: the start-up peak.
	"$PYTHON" "$BENCH_HERE/imaptool.py" move "$MS_IMAP_PORT" chamber INBOX Hold >/dev/null
	/usr/bin/time -v -o "$R/time0" "$build/memberdeskd" -f -c "$R/conf" --once 2>/dev/null
	"$PYTHON" "$BENCH_HERE/imaptool.py" move "$MS_IMAP_PORT" chamber Hold INBOX >/dev/null
	t0=$(date +%s.%N)
	/usr/bin/time -v -o "$R/time" ${BENCH_WRAP:-} "$build/memberdeskd" -f -v -c "$R/conf" --once 2>"$R/log"
	t1=$(date +%s.%N)
	read -r user sys rss < <(bench_time "$R/time")
	cpu=$(echo "$user + $sys" | bc -l)
	outcome=$("$PYTHON" "$BENCH_HERE/memory_check.py" "$R/memberdesk.db" "$BENCH_WORK/big" 2>&1)
	printf '[%s] run %d: start-up peak %d KiB; 25 MB message peak %d KiB in %.2f s (CPU %.2f s); %s\n' \
	    "$tag" "$run" "$(peak "$R/time0")" "$rss" "$(echo "$t1 - $t0" | bc -l)" \
	    "$cpu" "$outcome"
	bench_record "$tag" "$(peak "$R/time0") $rss $(echo "$t1 - $t0" | bc -l) $cpu"
	"$PYTHON" "$BENCH_HERE/imaptool.py" move "$MS_IMAP_PORT" chamber Processed INBOX >/dev/null
done
done
echo
echo "== medians over $RUNS runs"
base=""
for build in $BUILDS; do
	tag=$(bench_tag "$build")
	s0=$(bench_col "$tag" 1)
	s1=$(bench_col "$tag" 2)
	printf '[%s] start-up (empty mailbox): %.1f MiB; 25 MB message: %.1f MiB (target < 32), %.2f s, CPU %.2f s' \
	    "$tag" "$(echo "$s0 / 1024" | bc -l)" "$(echo "$s1 / 1024" | bc -l)" \
	    "$(bench_col "$tag" 3)" "$(bench_col "$tag" 4)"
	if [ -n "$base" ]; then
		printf '; peak ratio %s/%s: %.2f' "$first" "$tag" "$(echo "$base / $s1" | bc -l)"
	else
		base=$s1
		first=$tag
	fi
	echo
done
