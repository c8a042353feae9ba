# common.sh: shared set-up for the fault-injection scenarios. Source after
# tests/integration/mailstack.sh and tests/faults/stackctl.sh.
#
# One mail stack serves every scenario; each scenario gets its own IMAP
# user (its chamber mailbox), its own database and configuration under
# $WORK/<name>, so scenarios cannot see each other's mail.

FX_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRCDIR="${MD_TOP_SRCDIR:-$FX_HERE/../..}"
BUILDDIR="${MD_TOP_BUILDDIR:-$PWD}"
MEMBERDESKD="$BUILDDIR/memberdeskd"
MEMBERDESK="$BUILDDIR/memberdesk"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
FXLIB="$FX_HERE/faultlib.py"
FX_FAILED=0
FX_DPID=""
FX_SINK_PID=""
FX_MOUNTS=""

fx_log()
{
	printf '# %s\n' "$*"
}

fx_fail()
{
	FX_FAILED=$((FX_FAILED + 1))
	printf 'FAIL - %s\n' "$1"
	shift
	[ $# -gt 0 ] && printf '       %s\n' "$@"
	return 0
}

fx_ok()
{
	printf 'ok   - %s\n' "$1"
}

# fx_row SCENARIO RUNS MESSAGES LOST DUPLICATED [NOTE]: one summary line.
fx_row()
{
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >> "$WORK/summary.tsv"
	if [ "$4" != 0 ] || [ "$5" != 0 ]; then
		fx_fail "$1: $4 lost, $5 duplicated"
	fi
}

fx_summary()
{
	echo
	printf '%-28s %5s %9s %5s %11s  %s\n' scenario runs messages lost duplicated note
	printf '%-28s %5s %9s %5s %11s  %s\n' -------- ---- -------- ---- ---------- ----
	while IFS="$(printf '\t')" read -r s r m l d n; do
		printf '%-28s %5s %9s %5s %11s  %s\n' "$s" "$r" "$m" "$l" "$d" "$n"
	done < "$WORK/summary.tsv"
	echo
}

fx_setup()
{
	WORK="$(mktemp -d /tmp/faults.XXXXXX)"
	chmod 0755 "$WORK"
	: > "$WORK/summary.tsv"
	trap fx_cleanup EXIT
	mailstack_start "$WORK/stack" || exit 99
	mailstack_fast_dovecot || exit 99
	"$PYTHON" "$FXLIB" members --out "$WORK/members.csv" --n 100
}

fx_cleanup()
{
	local m

	fx_daemon_kill
	fx_sink_stop
	for m in $FX_MOUNTS; do
		mountpoint -q "$m" && umount -l "$m"
	done
	mailstack_stop
	if [ "$FX_FAILED" = 0 ] && [ -z "${MD_KEEP:-}" ]; then
		rm -rf "$WORK"
	else
		echo "kept $WORK for inspection"
	fi
}

# fx_env NAME [DBDIR]: a scenario's IMAP user (NAME), directory, config and
# database (in DBDIR when given), with the member list imported. Sets D,
# CONF, DB, USER_BOX. SMTP goes to port $FX_SMTP_PORT (default: a closed one).
fx_env()
{
	local name="$1" dbdir="${2:-$WORK/$1}"

	D="$WORK/$name"
	mkdir -p "$D" "$dbdir"
	USER_BOX="$name"
	mailstack_add_user "$name" "$name-pw"
	DB="$dbdir/memberdesk.db"
	CONF="$D/memberdesk.conf"
	cat > "$CONF" <<CONF
chamber_name = "测试商会"
case_prefix = "MD"
timezone = "Asia/Shanghai"
language = "zh"
database = "$DB"
template_dir = "$SRCDIR/templates"
calendar_dir = "$SRCDIR/contrib/calendar"
filter_dir = "$SRCDIR/filters"
poll_interval = ${FX_POLL:-2}
imap {
	host = "127.0.0.1"
	port = $MS_IMAP_PORT
	tls = "none"
	user = "$name"
	password = "$name-pw"
	mailbox = "${FX_BOX:-INBOX}"
	processed_folder = "Processed"
	timeout = 10
}
smtp {
	host = "127.0.0.1"
	port = ${FX_SMTP_PORT:-1}
	tls = "none"
	from = "chamber@chamber.test"
	from_name = "测试商会秘书处"
	timeout = 10
}
outbox {
	max_attempts = 100
	retry_max = 2
}
rate_limits {
	per_recipient_hour = 100000
	per_case_day = 100000
}
staff "staff1@chamber.test" {
	name = "王秘书"
}
CONF
	MEMBERDESK_CONF="$CONF" "$MEMBERDESK" init >/dev/null ||
	    { fx_fail "$name: memberdesk init"; return 1; }
	MEMBERDESK_CONF="$CONF" "$MEMBERDESK" member import "$WORK/members.csv" >/dev/null ||
	    { fx_fail "$name: member import"; return 1; }
}

fx_sql()
{
	"$PYTHON" - "$DB" "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=30)
rows = con.execute(sys.argv[2]).fetchall()
con.commit()
print("\n".join("|".join("" if v is None else str(v) for v in r) for r in rows))
PY
}

fx_count()	# MAILBOX
{
	"$PYTHON" "$FXLIB" count --port "$MS_IMAP_PORT" --user "$USER_BOX" --box "$1"
}

fx_append()	# DIR [START [END]]
{
	"$PYTHON" "$FXLIB" append --port "$MS_IMAP_PORT" --user "$USER_BOX" --dir "$1" \
	    --box "${FX_BOX:-INBOX}" \
	    --start "${2:-0}" --end "${3:--1}" >/dev/null
}

fx_gen()	# DIR N SEED [gen options...]
{
	local dir="$1" n="$2" seed="$3"
	shift 3
	"$PYTHON" "$FXLIB" gen --dir "$dir" --n "$n" --seed "$seed" "$@"
}

# fx_wait_count MAILBOX N SECONDS: poll until MAILBOX holds N messages.
fx_wait_count()
{
	local box="$1" want="$2" i got

	for i in $(seq 1 $(($3 * 5))); do
		got=$(fx_count "$box" 2>/dev/null)
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	echo "$box holds $got, wanted $want" >&2
	return 1
}

# fx_daemon_start LOG [options]: the daemon in the foreground, in the background.
fx_daemon_start()
{
	local log="$1"
	shift
	"$MEMBERDESKD" -c "$CONF" -f -v "$@" 2>>"$log" &
	FX_DPID=$!
	echo "$FX_DPID" > "$D/daemon.pid"
}

fx_daemon_kill()
{
	[ -n "$FX_DPID" ] || return 0
	kill -KILL "$FX_DPID" 2>/dev/null
	wait "$FX_DPID" 2>/dev/null
	FX_DPID=""
}

# fx_daemon_term: SIGTERM; sets FX_TOOK (seconds) and returns its exit status.
# Not for $(...): the daemon is a child of this shell, not of a subshell.
fx_daemon_term()
{
	local rc t0 t1

	t0=$(date +%s.%N)
	kill -TERM "$FX_DPID" 2>/dev/null
	wait "$FX_DPID"
	rc=$?
	t1=$(date +%s.%N)
	FX_DPID=""
	FX_TOOK=$("$PYTHON" -c "print('%.2f' % ($t1 - $t0))")
	return $rc
}

# fx_once: one undisturbed run; 0, or 75 when notices must wait (rate limits).
fx_once()
{
	local rc

	"$MEMBERDESKD" -c "$CONF" -v --once 2>>"$D/daemon.log"
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 75 ] && return 0
	fx_fail "$1: --once exits 0 or 75" "rc=$rc" "$(tail -5 "$D/daemon.log")"
}

# fx_sink_start LOG [PORT [sink options]]: the recording SMTP sink; sets FX_SMTP_PORT.
fx_sink_start()
{
	local log="$1" port="${2:-0}" i
	shift 2 2>/dev/null || shift $#
	rm -f "$WORK/sink.port"
	"$PYTHON" "$FXLIB" sink --port-file "$WORK/sink.port" --log "$log" --port "$port" "$@" &
	FX_SINK_PID=$!
	for i in $(seq 1 100); do
		[ -s "$WORK/sink.port" ] && break
		sleep 0.05
	done
	FX_SMTP_PORT=$(cat "$WORK/sink.port")
}

fx_sink_stop()
{
	[ -n "$FX_SINK_PID" ] || return 0
	kill -TERM "$FX_SINK_PID" 2>/dev/null
	wait "$FX_SINK_PID" 2>/dev/null
	FX_SINK_PID=""
}

fx_free_port()
{
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# fx_check MANIFEST [check options]: run the invariant check, print its
# findings; sets FX_MSGS FX_LOST FX_DUP from its RESULT line.
fx_check()
{
	local manifest="$1" out rc
	shift
	out=$("$PYTHON" "$FXLIB" check --db "$DB" --manifest "$manifest" \
	    --port "$MS_IMAP_PORT" --user "$USER_BOX" --box "${FX_BOX:-INBOX}" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^RESULT' | sed 's/^/  /'
	read -r _ FX_MSGS FX_LOST FX_DUP <<EOF
$(printf '%s\n' "$out" | grep '^RESULT' || echo "RESULT 0 -1 -1")
EOF
	return $rc
}
