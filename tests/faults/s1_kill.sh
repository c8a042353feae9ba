# Scenario 1: SIGKILL at random moments while the daemon takes in a backlog
# of new requests and replies (UTF-8 and GBK), restarted after every kill.
# After each kill: what is marked processed on the server is recorded, and
# what is recorded is complete (case and acknowledgement). At the end:
# every message exactly once, every acknowledgement delivered, none twice
# unless a kill fell between the sink's acceptance and the bookkeeping.

# scenario_kill_aimed K FIRST COUNT PRESEEDED: K kills at the moment a
# chunk is committed and not yet moved. The daemon reaches Dovecot through
# tests/faults/faultlib.py's imapproxy, which SIGKILLs it at its first
# UID MOVE instead of passing the command on. Each kill must leave the
# chunk's messages recorded and still in INBOX; the final run must then take
# them in as what they are, without a second case or acknowledgement.
scenario_kill_aimed()
{
	local k="$1" first="$2" count="$3" pre="$4" j from to proxy port i unmarked

	for j in $(seq 1 "$k"); do
		from=$((first + (j - 1) * count / k))
		to=$((first + j * count / k))
		fx_append "$D/mail" "$from" "$to"
		rm -f "$D/proxy.port"
		"$PYTHON" "$FXLIB" imapproxy --port-file "$D/proxy.port" --upstream "$MS_IMAP_PORT" \
		    --kill-pid-file "$D/daemon.pid" --kill-log "$D/kills.txt" 2>>"$D/proxy.log" &
		proxy=$!
		for i in $(seq 1 100); do
			[ -s "$D/proxy.port" ] && break
			sleep 0.05
		done
		port=$(cat "$D/proxy.port" 2>/dev/null)
		sed -i "s/^\tport = $MS_IMAP_PORT\$/\tport = $port/" "$CONF"
		fx_daemon_start "$D/daemon.log"
		for i in $(seq 1 300); do
			kill -0 "$FX_DPID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$FX_DPID" 2>/dev/null; then
			fx_fail "scenario 1: aimed kill $j: the daemon never sent a move within 30 s"
		fi
		fx_daemon_kill
		kill -TERM "$proxy" 2>/dev/null
		wait "$proxy" 2>/dev/null
		sed -i "s/^\tport = $port\$/\tport = $MS_IMAP_PORT/" "$CONF"
		if ! fx_check "$D/mail/manifest.json" --partial --preseeded "$pre" \
		    > "$D/aimed.$j" 2>&1; then
			fx_fail "scenario 1: after aimed kill $j" "$(cat "$D/aimed.$j")"
		fi
		unmarked=$(sed -n 's/^ *# unmarked //p' "$D/aimed.$j")
		if [ "${unmarked:-0}" -lt 1 ]; then
			fx_fail "scenario 1: aimed kill $j left nothing committed and unmoved" \
			    "$(cat "$D/aimed.$j")"
		fi
		printf '# aimed kill %d: %s committed, not moved\n' "$j" "${unmarked:-0}"
	done
}

scenario_kill()
{
	local n="${FX_KILL_MESSAGES:-500}" kills="${FX_KILL_POINTS:-25}" seed="${FX_SEED:-$$}"
	local i kt delay pending unmarked busy=0 between=0 slice gap trickle start pre=20 t0 t1
	local aimed=3 held=30 last end

	fx_log "scenario 1: $n messages, $kills kills, seed $seed"
	fx_sink_start "$WORK/kill-sink.log" 0
	fx_env fxkill || return
	# Cases that replies in the backlog can refer to by tag.
	fx_gen "$D/pre" "$pre" "$seed" --tag pre --replies 0 >/dev/null
	fx_append "$D/pre"
	fx_once "scenario 1: pre-seeding run"
	fx_sql "SELECT c.number, c.requester_email, m.message_id FROM cases c
	    JOIN messages m ON m.case_id = c.id" > "$D/cases.txt"
	fx_gen "$D/mail" "$n" "$seed" --tag bl --cases "$D/cases.txt" | sed 's/^/# /'

	# 40% of the backlog at once, the rest trickling in while the kills go
	# on, so that kills keep landing in fetches and transactions rather
	# than on an idle daemon (it takes in about 100 messages a second).
	# The last $held messages are kept back for the aimed kills below.
	last=$((n - held))
	start=$((last * 2 / 5))
	fx_append "$D/mail" 0 "$start"
	slice=10
	# Spread the trickle over about 80% of the expected kill phase.
	gap=$(( kills * 1100 * 8 / 10 / ((last - start + slice - 1) / slice) ))
	(
		while [ "$start" -lt "$last" ]; do
			sleep "$(printf '%d.%03d' $((gap / 1000)) $((gap % 1000)))"
			end=$((start + slice > last ? last : start + slice))
			fx_append "$D/mail" "$start" "$end"
			start=$end
		done
	) &
	trickle=$!
	RANDOM=$seed
	: > "$D/kills.txt"
	printf '# kill delays (ms):'
	t0=$(date +%s)
	for i in $(seq 1 "$kills"); do
		delay=$((RANDOM % 1500))
		printf ' %d' "$delay"
		fx_daemon_start "$D/daemon.log"
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		kt=$(date +%s.%N)
		fx_daemon_kill
		echo "$kt $(date +%s.%N) kill $i" >> "$D/kills.txt"
		if ! fx_check "$D/mail/manifest.json" --partial --preseeded "$pre" \
		    > "$D/partial.$i" 2>&1; then
			fx_fail "scenario 1: after kill $i (delay $delay ms)" "$(cat "$D/partial.$i")"
		fi
		echo "$(date +%s.%N) checked $i" >> "$D/timing.txt"
		pending=$(sed -n 's/^ *# pending //p' "$D/partial.$i")
		unmarked=$(sed -n 's/^ *# unmarked //p' "$D/partial.$i")
		[ "${pending:-0}" -gt 0 ] && busy=$((busy + 1))
		[ "${unmarked:-0}" -gt 0 ] && between=$((between + 1))
	done
	echo
	wait "$trickle"
	fx_log "$busy of $kills kills landed with mail waiting in INBOX," \
	    "$between between a commit and the move to Processed"
	scenario_kill_aimed "$aimed" "$last" "$held" "$pre" || return
	# A final undisturbed run takes in the rest and sends what waits.
	fx_once "scenario 1: final run"
	t1=$(date +%s)
	fx_log "kill phase and final run: $((t1 - t0)) s"
	fx_check "$D/mail/manifest.json" --preseeded "$pre" --preseeded-msgs "$pre" \
	    --sink "$WORK/kill-sink.log" --kills "$D/kills.txt"
	fx_row "1 SIGKILL during backlog" "$kills" "$FX_MSGS" "$FX_LOST" "$FX_DUP" \
	    "seed $seed; kills: $busy with mail waiting, $between after commit before move (random), $aimed aimed there"
	# A fetch chunk is one transaction, moved right after its commit: random
	# kills rarely land in that window of a few milliseconds, so the aimed
	# kills above hit it on purpose; the random ones must hit busy moments.
	if [ "$busy" -lt $((kills / 3)) ]; then
		fx_fail "scenario 1: kills must land while mail waits" \
		    "$busy of $kills with mail waiting, $between after commit before move"
	fi
	fx_sink_stop
}
