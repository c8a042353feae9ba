# Scenario 6: the command line works on the database while the daemon takes
# in a backlog. No command fails, and the daemon's throughput does not
# collapse (measured against the same backlog without the commands).

fx_cli_loop()	# STOPFILE COUNTFILE: case list and member import until told to stop
{
	local runs=0 fails=0

	while [ ! -e "$1" ]; do
		MEMBERDESK_CONF="$CONF" "$MEMBERDESK" case list >/dev/null 2>>"$D/cli.err" ||
		    fails=$((fails + 1))
		MEMBERDESK_CONF="$CONF" "$MEMBERDESK" member import "$WORK/members.csv" \
		    >/dev/null 2>>"$D/cli.err" || fails=$((fails + 1))
		runs=$((runs + 2))
	done
	echo "$runs $fails" > "$2"
}

scenario_db_busy()
{
	local n=100 t0 t1 base loaded runs fails pid rate_b rate_l ok

	fx_log "scenario 6: database busy with command-line work"
	fx_sink_start "$WORK/busy-sink.log" 0
	fx_env fxbusy || return
	fx_gen "$D/mail" $((2 * n)) "${FX_SEED:-1}" --tag db --replies 0 >/dev/null
	fx_append "$D/mail" 0 "$n"
	t0=$(date +%s.%N)
	fx_once "scenario 6: baseline run"
	t1=$(date +%s.%N)
	base=$("$PYTHON" -c "print('%.2f' % ($t1 - $t0))")
	fx_append "$D/mail" "$n" $((2 * n))
	rm -f "$D/stop"
	fx_cli_loop "$D/stop" "$D/cli.count" &
	pid=$!
	sleep 0.5
	t0=$(date +%s.%N)
	fx_once "scenario 6: run under load"
	t1=$(date +%s.%N)
	touch "$D/stop"
	wait "$pid"
	loaded=$("$PYTHON" -c "print('%.2f' % ($t1 - $t0))")
	read -r runs fails < "$D/cli.count"
	rate_b=$("$PYTHON" -c "print('%.0f' % ($n / $base))")
	rate_l=$("$PYTHON" -c "print('%.0f' % ($n / $loaded))")
	fx_log "scenario 6: $n messages in $base s alone ($rate_b/s), in $loaded s" \
	    "beside $runs commands ($rate_l/s); $fails command(s) failed"
	[ "$fails" = 0 ] && [ "$runs" -gt 0 ] && fx_ok "scenario 6: no command failed ($runs run)" ||
	    fx_fail "scenario 6: no command fails" "$fails of $runs" "$(head -5 "$D/cli.err")"
	ok=$("$PYTHON" -c "print(int($rate_l * 4 >= $rate_b))")
	[ "$ok" = 1 ] && fx_ok "scenario 6: throughput under load at least a quarter of alone" ||
	    fx_fail "scenario 6: throughput does not collapse" "$rate_b/s alone, $rate_l/s loaded"
	grep -q 'IMAP.*retrying' "$D/daemon.log" &&
	    fx_fail "scenario 6: a busy database is not an IMAP outage" \
	    "$(grep 'retrying' "$D/daemon.log" | head -3)"
	fx_check "$D/mail/manifest.json" --sink "$WORK/busy-sink.log"
	fx_row "6 database busy" 2 "$FX_MSGS" "$FX_LOST" "$FX_DUP" \
	    "$rate_b msg/s alone, $rate_l msg/s beside $runs commands ($fails failed)"
	fx_sink_stop
}
