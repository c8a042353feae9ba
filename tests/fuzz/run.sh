#!/usr/bin/env bash
# Build every libFuzzer harness (clang, ASan/UBSan) in its own build tree and
# run each for SECONDS (default 20), seeded from the project's fixtures and
# from the shared mail corpus ($MD_CORPUS). A crash fails the run; the
# crashing input is left in $build/crashes/ to become a regression test.
set -euo pipefail

seconds=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${MD_FUZZ_BUILD:-$top/build-fuzz}
corpus=${MD_CORPUS:-$top/../shared/corpus}

if ! command -v clang >/dev/null; then
	echo "fuzz: clang is not installed" >&2
	exit 1
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	"$top/configure" CC=clang --enable-fuzzers >/dev/null
fi
make -j"$(nproc)" libmd.a >/dev/null
harnesses=$(cd "$top/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
for h in $harnesses; do
	make "tests/fuzz/$h" >/dev/null
done

# Seeds: per-harness fixtures, copied so that libFuzzer may add to them.
seeds_for()
{
	case "$1" in
	fuzz_message) echo "$top/tests/data/mail $top/tests/data/auto $corpus/mime/malformed $corpus/mime/rfc $corpus/mime/thirdparty $corpus/bounces" ;;
	fuzz_template) echo "$top/templates/zh $top/templates/en" ;;
	fuzz_calendar) echo "$top/contrib/calendar" ;;
	fuzz_rules) echo "$top/filters" ;;
	*) echo "$top/tests/fuzz/seeds/${1#fuzz_}" ;;
	esac
}

mkdir -p crashes
status=0
for h in $harnesses; do
	work="corpus-$h"
	rm -rf "$work"
	mkdir -p "$work"
	for d in $(seeds_for "$h") "$top/tests/fuzz/regressions/${h#fuzz_}"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f -size -1M -exec cp {} "$work/" \; 2>/dev/null
	done
	log="$h.fuzz.log"
	# A fixed seed makes a finding reproducible from the printed log.
	if "tests/fuzz/$h" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="crashes/$h-" -print_final_stats=1 "$work" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz: $h: ${runs:-?} runs in ${seconds}s, no crash"
	else
		echo "fuzz: $h FAILED; last lines of $build/$log:"
		tail -n 30 "$log"
		status=1
	fi
done
exit "$status"
