# bench/lib.sh: shared set-up for the benchmarks. Source it from bash after
# setting BENCH_NAME. It finds the programs, starts the private mail stack
# (tests/integration/mailstack.sh), writes a configuration and prints the
# machine the figures come from.
#
# Environment:
#	BENCH_BUILDDIR	build directory with memberdeskd and memberdesk
#			(default: the current directory when it holds them,
#			else /tmp/build-bench-O2). Build it with optimisation
#			and without sanitizers, e.g.
#			  configure CFLAGS='-O2 -g' && make memberdeskd memberdesk
#	BENCH_COMPARE	a second build directory, run alternately with
#			BENCH_BUILDDIR in the same command (ingest, notices,
#			memory, cli)
#	BENCH_KEEP=1	keep the work directory afterwards
#	BENCH_RUNS	repetitions (each script has its own default)

BENCH_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_SRCDIR="$(cd "$BENCH_HERE/.." && pwd)"
if [ -z "${BENCH_BUILDDIR:-}" ]; then
	if [ -x "$PWD/memberdeskd" ]; then
		BENCH_BUILDDIR="$PWD"
	else
		BENCH_BUILDDIR=/tmp/build-bench-O2
	fi
fi
MEMBERDESKD="$BENCH_BUILDDIR/memberdeskd"
MEMBERDESK="$BENCH_BUILDDIR/memberdesk"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
MS_PYTHON="$PYTHON"

for p in "$MEMBERDESKD" "$MEMBERDESK"; do
	if [ ! -x "$p" ]; then
		echo "bench: $p not found; set BENCH_BUILDDIR to an optimised build" >&2
		exit 2
	fi
done
if grep -q '^MD_SAN_CFLAGS = .*-fsanitize' "$BENCH_BUILDDIR/Makefile" 2>/dev/null; then
	echo "bench: $BENCH_BUILDDIR is a sanitizer build; figures would be meaningless" >&2
	exit 2
fi

. "$BENCH_SRCDIR/tests/integration/mailstack.sh"

BENCH_SINK_PID=""

bench_log()
{
	printf '%s: %s\n' "${BENCH_NAME:-bench}" "$*" >&2
}

# The machine, the build and the commit, printed with every result.
bench_machine()
{
	local commit dirty

	commit="$(git -C "$BENCH_SRCDIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	dirty="$(git -C "$BENCH_SRCDIR" status --porcelain --untracked-files=no 2>/dev/null |
	    wc -l)"
	echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit:  $commit (source tree: $BENCH_SRCDIR, $dirty modified tracked files)"
	src="$(sed -n 's/^abs_top_srcdir = //p' "$BENCH_BUILDDIR/Makefile" 2>/dev/null)"
	echo "build:   $BENCH_BUILDDIR ($(sed -n "s/^CFLAGS = //p" "$BENCH_BUILDDIR/Makefile" 2>/dev/null)) from $src"
	# A build from an exported tree: the exporter notes what it holds.
	[ -f "$src/BENCH_SOURCE" ] && echo "source:  $(cat "$src/BENCH_SOURCE")"
	echo "cpu:     $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "memory:  $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel:  $(uname -sr)"
	echo "disk:    $(df -hT "${BENCH_WORK:-/tmp}" | awk 'NR == 2 { print $1, $2 }')"
	echo "sqlite:  $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
	echo "load:    $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_setup: work directory under /tmp (root filesystem: the same disk as
# a real installation would use), reachable by the mail servers' users.
bench_setup()
{
	BENCH_WORK="$(mktemp -d "/tmp/bench-${BENCH_NAME:-x}.XXXXXX")"
	chmod 0755 "$BENCH_WORK"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup()
{
	bench_sink_stop
	mailstack_stop
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "kept $BENCH_WORK" >&2
	else
		rm -rf "$BENCH_WORK"
	fi
}

# bench_stack_start DIR: a fresh mail stack (servers' state from scratch).
bench_stack_start()
{
	mailstack_start "$1" 2>>"$BENCH_WORK/mailstack.log" || {
		bench_log "mail stack did not start"
		exit 1
	}
}

# bench_dovecot_ready: wait (up to 15 s) until the chamber can log in over
# IMAP. A SIGHUP that reaches Dovecot while its services still start kills
# its anvil for good (every later LOGIN then fails with "Internal error"),
# so bench_dovecot_reload waits for this before and after reloading.
bench_dovecot_ready()
{
	local i
	for i in $(seq 1 30); do
		"$PYTHON" "$BENCH_HERE/imaptool.py" count "$MS_IMAP_PORT" chamber INBOX \
		    >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	bench_log "Dovecot does not accept the chamber's LOGIN"
	exit 1
}

# bench_dovecot_reload: make Dovecot read its changed configuration.
bench_dovecot_reload()
{
	bench_dovecot_ready
	kill -HUP "$MS_DOVECOT_PID"
	sleep 1
	bench_dovecot_ready
}

bench_stack_stop()
{
	mailstack_stop
}

# bench_free_port: a TCP port on 127.0.0.1 that nothing listens on.
bench_free_port()
{
	ms_free_ports 1
}

# bench_sink_start PORT: the aiosmtpd discard sink (accepts and drops).
bench_sink_start()
{
	setsid "$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$1" >/dev/null 2>&1 </dev/null &
	BENCH_SINK_PID=$!
	ms_wait_ports "$1" || { bench_log "SMTP sink did not start"; exit 1; }
}

bench_sink_stop()
{
	if [ -n "$BENCH_SINK_PID" ]; then
		kill -TERM -- "-$BENCH_SINK_PID" 2>/dev/null
		wait "$BENCH_SINK_PID" 2>/dev/null
		BENCH_SINK_PID=""
	fi
	return 0
}

# bench_config FILE DB IMAP_PORT SMTP_PORT: a daemon configuration for the
# benchmark: plain IMAP and SMTP on loopback (TLS would measure GnuTLS),
# default limits, rate limits out of the way (one sender per message).
bench_config()
{
	cat > "$1" <<CONF
chamber_name = "测试商会"
case_prefix = "MD"
timezone = "Asia/Shanghai"
language = "zh"
database = "$2"
template_dir = "$BENCH_SRCDIR/templates"
calendar_dir = "$BENCH_SRCDIR/contrib/calendar"
filter_dir = "$BENCH_SRCDIR/filters"
poll_interval = 60
imap {
	host = "127.0.0.1"
	port = $3
	tls = "none"
	user = "chamber"
	password = "chamber-pw"
	processed_folder = "Processed"
	timeout = 60
}
smtp {
	host = "127.0.0.1"
	port = $4
	tls = "none"
	from = "chamber@chamber.test"
	from_name = "测试商会秘书处"
	timeout = 10
}
outbox {
	max_attempts = 1000
	retry_max = 60
}
rate_limits {
	per_recipient_hour = 100000
	per_case_day = 100000
}
staff "staff1@chamber.test" {
	name = "王秘书"
}
staff "leader1@chamber.test" {
	name = "李会长"
	role = "leadership"
}
CONF
}

# bench_init_db CONF MEMBERS_CSV: create the database and import members.
bench_init_db()
{
	MEMBERDESK_CONF="$1" "$MEMBERDESK" init >/dev/null || { bench_log "init failed"; exit 1; }
	if [ -n "${2:-}" ]; then
		MEMBERDESK_CONF="$1" "$MEMBERDESK" member import "$2" >/dev/null ||
		    { bench_log "member import failed"; exit 1; }
	fi
}

# bench_stats: read numbers, one per line; print n, median, p95, min, max.
bench_stats()
{
	"$PYTHON" -c '
import sys, statistics
v = sorted(float(x) for x in sys.stdin.read().split())
if not v:
    print("n=0"); sys.exit()
p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
print("n=%d median=%.4g p95=%.4g min=%.4g max=%.4g" % (len(v), statistics.median(v), p95, v[0], v[-1]))'
}

# bench_median: read numbers, one per line; print the median alone.
bench_median()
{
	"$PYTHON" -c '
import sys, statistics
v = [float(x) for x in sys.stdin.read().split()]
print("%.6g" % statistics.median(v) if v else "nan")'
}

# bench_builds: the builds every run goes through, alternating:
# BENCH_BUILDDIR, then BENCH_COMPARE=DIR when set (a build with a change, or
# before one), so that load on the machine falls on both alike.
bench_builds()
{
	echo "$BENCH_BUILDDIR${BENCH_COMPARE:+ $BENCH_COMPARE}"
}

# bench_run_dir RUN BUILD: set tag (bench_tag BUILD), MEMBERDESK to BUILD's
# (each build makes its own database: a newer schema is refused by older
# code) and R to the run's new directory.
bench_run_dir()
{
	tag=$(bench_tag "$2")
	MEMBERDESK="$2/memberdesk"
	R="$BENCH_WORK/run$1-$tag"
	mkdir -p "$R"
}

# bench_time FILE: "user sys maxrss" (seconds, seconds, KiB) from the
# report of /usr/bin/time -v -o FILE.
bench_time()
{
	sed -n -e 's/.*User time (seconds): //p' -e 's/.*System time (seconds): //p' \
	    -e 's/.*Maximum resident set size (kbytes): //p' "$1" | paste -sd' '
}

# bench_record TAG LINE: keep one run's figures (space-separated) for bench_col.
bench_record()
{
	echo "$2" >> "$BENCH_WORK/results.$1"
}

# bench_col TAG N: the median of field N over TAG's recorded runs.
bench_col()
{
	awk -v c="$2" '{ print $c }' "$BENCH_WORK/results.$1" | bench_median
}

# bench_medians_header TAG WHAT: the heading of one build's medians.
bench_medians_header()
{
	echo
	echo "== [$1] medians over $RUNS runs of $COUNT $2"
}

# bench_tag DIR: a short name for a build directory in results. Builds are
# often DIR/build; two of them would both be "build", so the parent is kept.
bench_tag()
{
	local b
	b=$(basename "$1")
	[ "$b" = build ] && b="$(basename "$(dirname "$1")")-$b"
	echo "$b"
}
