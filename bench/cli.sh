#!/bin/bash
# Command-line benchmark (issue 7, item 5).
#
# A database of BENCH_CASES (1,000,000) cases is made by `memberdesk init`
# (the real schema and migrations) and bench/gen_cases.sql (one
# transaction; distribution described there). Then hyperfine (median of
# BENCH_RUNS, default 20, after 3 warm-ups) times:
#	memberdesk case list --overdue
#	memberdesk case show NUMBER   (an open case with events and a message)
#	memberdesk case show NUMBER   (a 20-year-old archived case)
# and, as baselines in the same command: `memberdesk case show` of a number
# that does not exist (start-up: configuration, database open, one index
# lookup), and the sqlite3 shell answering the overdue question with one
# index-friendly query per status (what the disk and SQLite need).
# BENCH_COMPARE=DIR adds the same two commands with DIR/memberdesk (e.g. a
# build before a change) to the same hyperfine run, for before/after.
# No mail servers are involved in these commands, so none is started.
set -u
BENCH_NAME=cli
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

N="${BENCH_CASES:-1000000}"
RUNS="${BENCH_RUNS:-20}"
command -v hyperfine >/dev/null || { echo "cli: hyperfine is needed (apt-get install hyperfine)"; exit 2; }
bench_setup
bench_machine
echo "cases: $N"

bench_config "$BENCH_WORK/conf" "$BENCH_WORK/memberdesk.db" 1 1
export MEMBERDESK_CONF="$BENCH_WORK/conf"
bench_init_db "$BENCH_WORK/conf" ""
NOW=$(date +%s)
t0=$(date +%s.%N)
sed "s/@N@/$N/g; s/@NOW@/$NOW/g" "$BENCH_HERE/gen_cases.sql" |
    sqlite3 -batch "$BENCH_WORK/memberdesk.db" >/dev/null || exit 1
t1=$(date +%s.%N)
printf 'generated in %.1f s: %s MB; %s\n' "$(echo "$t1 - $t0" | bc -l)" \
    "$(du -m "$BENCH_WORK/memberdesk.db" | cut -f1)" \
    "$(sqlite3 "$BENCH_WORK/memberdesk.db" "SELECT count(*) || ' cases, ' ||
        (SELECT count(*) FROM case_events) || ' events, ' ||
        (SELECT count(*) FROM messages) || ' messages' FROM cases")"
# The daemon or the CLI may have migrations the file lacks: open it once.
"$MEMBERDESK" case show NOSUCH >/dev/null 2>&1

open_case=$(sqlite3 "$BENCH_WORK/memberdesk.db" "SELECT number FROM cases WHERE status = 'handling' AND id > $N - 20000 ORDER BY id DESC LIMIT 1")
old_case=$(sqlite3 "$BENCH_WORK/memberdesk.db" "SELECT number FROM cases WHERE status = 'archived' ORDER BY id LIMIT 1")
overdue=$("$MEMBERDESK" case list --overdue | wc -l)
echo "case list --overdue prints $overdue lines; open case $open_case, old case $old_case"
"$MEMBERDESK" case show "$open_case" | head -12

# The compare build may predate a migration of the current one, which it
# would refuse to open: it gets its own database, made by its own init
# from the same generator and the same clock, and is checked to answer.
compare=()
if [ -n "${BENCH_COMPARE:-}" ]; then
	bench_config "$BENCH_WORK/conf-cmp" "$BENCH_WORK/cmp.db" 1 1
	MEMBERDESK_CONF="$BENCH_WORK/conf-cmp" "$BENCH_COMPARE/memberdesk" init >/dev/null ||
	    { echo "cli: init with $BENCH_COMPARE/memberdesk failed"; exit 1; }
	sed "s/@N@/$N/g; s/@NOW@/$NOW/g" "$BENCH_HERE/gen_cases.sql" |
	    sqlite3 -batch "$BENCH_WORK/cmp.db" >/dev/null || exit 1
	cmp_overdue=$(MEMBERDESK_CONF="$BENCH_WORK/conf-cmp" "$BENCH_COMPARE/memberdesk" case list --overdue | wc -l)
	MEMBERDESK_CONF="$BENCH_WORK/conf-cmp" "$BENCH_COMPARE/memberdesk" case show "$open_case" >/dev/null ||
	    { echo "cli: $BENCH_COMPARE/memberdesk cannot show $open_case"; exit 1; }
	echo "compare build: its own database, case list --overdue prints $cmp_overdue lines"
	[ "$cmp_overdue" = "$overdue" ] || { echo "cli: the two builds list different overdue cases"; exit 1; }
	compare=(-n "case list --overdue [$BENCH_COMPARE]" "$BENCH_COMPARE/memberdesk -c $BENCH_WORK/conf-cmp case list --overdue"
	    -n "case show (open) [$BENCH_COMPARE]" "$BENCH_COMPARE/memberdesk -c $BENCH_WORK/conf-cmp case show $open_case")
fi

baseline_sql="SELECT count(*) FROM (SELECT id FROM cases WHERE status = 'registered' AND review_due < $NOW UNION ALL SELECT id FROM cases WHERE status = 'handling' AND handling_due < $NOW UNION ALL SELECT id FROM cases WHERE status = 'rehandling' AND rehandling_due < $NOW)"
echo "baseline query: $(sqlite3 "$BENCH_WORK/memberdesk.db" "$baseline_sql") overdue rows"

hyperfine -N -i --warmup 3 --runs "$RUNS" --export-json "$BENCH_WORK/hf.json" \
    "${compare[@]}" \
    -n "case list --overdue" "$MEMBERDESK case list --overdue" \
    -n "case show (open)" "$MEMBERDESK case show $open_case" \
    -n "case show (archived)" "$MEMBERDESK case show $old_case" \
    -n "baseline: start-up (case show NOSUCH)" "$MEMBERDESK case show NOSUCH" \
    -n "baseline: sqlite3 overdue by index" "sqlite3 $BENCH_WORK/memberdesk.db \"$baseline_sql\"" \
    >/dev/null 2>&1 || true
"$PYTHON" - "$BENCH_WORK/hf.json" <<'EOF'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
print()
print("== medians over %d runs (hyperfine)" % len(res[0]["times"]))
for r in res:
    print("%-40s median %7.1f ms  min %7.1f ms  CPU (user+sys, mean) %7.1f ms" %
          (r["command"], r["median"] * 1000, r["min"] * 1000,
           (r["user"] + r["system"]) * 1000))
by_name = {r["command"]: r for r in res}
for r in res:
    if " [" in r["command"]:
        base = r["command"].split(" [")[0]
        if base in by_name:
            a, b = by_name[base], r
            print("%-40s [%s]/this: wall %.2fx, CPU %.2fx" % (base,
                  r["command"].split(" [")[1].rstrip("]"),
                  b["median"] / a["median"], (b["user"] + b["system"]) / (a["user"] + a["system"])))
print("target: < 50 ms each")
EOF
