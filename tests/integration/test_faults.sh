#!/bin/bash
# Crash safety proven by fault injection (issue 6): the daemon against the
# private mail stack while it is killed, its IMAP and SMTP servers go away,
# its mailbox is recreated, its database is busy, full or read-only, and it
# is asked to stop. Prints a summary table (scenario, runs, messages, lost,
# duplicated) and exits non-zero on any loss, duplication or failed check.
#
# MD_FAULTS_LONG=1: the long variant (1000+ messages, 100 kills).
# MD_FAULTS_ONLY="1 4": run only these scenarios.
# MD_FAULTS_SEED=N: the seed for messages and kill delays (printed).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FAULTS="$HERE/../faults"
. "$HERE/mailstack.sh"
. "$FAULTS/stackctl.sh"
. "$FAULTS/common.sh"
for f in "$FAULTS"/s[0-9]_*.sh; do
	. "$f"
done

FX_SEED="${MD_FAULTS_SEED:-$(date +%s)}"
if [ "${MD_FAULTS_LONG:-0}" = 1 ]; then
	FX_KILL_MESSAGES=1200
	FX_KILL_POINTS=100
fi
ONLY="${MD_FAULTS_ONLY:-1 2 3 4 5 6 7 8}"

fx_setup
fx_log "seed $FX_SEED (MD_FAULTS_SEED=$FX_SEED repeats this run)"
T0=$(date +%s)
for s in $ONLY; do
	TS=$(date +%s)
	case "$s" in
	1) scenario_kill ;;
	2) scenario_imap_down ;;
	3) scenario_uidvalidity ;;
	4) scenario_smtp_down ;;
	5) scenario_smtp_refusal ;;
	6) scenario_db_busy ;;
	7) scenario_disk ;;
	8) scenario_sigterm ;;
	*) fx_fail "unknown scenario $s" ;;
	esac
	fx_daemon_kill
	fx_sink_stop
	fx_log "scenario $s took $(( $(date +%s) - TS )) s"
done
# A sanitizer build reports into the daemon's log; any report is a failure.
if grep -l 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' \
    "$WORK"/*/daemon.log >/dev/null 2>&1; then
	fx_fail "sanitizer reports in the daemon's logs" \
	    "$(grep -h -A3 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' \
	    "$WORK"/*/daemon.log | head -20)"
fi
fx_summary
fx_log "total $(( $(date +%s) - T0 )) s; $FX_FAILED failed check(s)"
[ "$FX_FAILED" = 0 ]
