#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine, as root:
#   installs the packages, builds with -Werror and ASan/UBSan, runs the unit
#   and integration tests (real Dovecot and Exim on 127.0.0.1), checks the
#   distribution tarball, and runs each fuzzer for a short, bounded time.
# Set MD_SKIP_DEPS=1 to skip the package installation, MD_FUZZ_SECONDS to
# change the fuzzing time per harness (0 skips fuzzing).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${MD_BUILD_DIR:-$top/build-tests}
fuzz_seconds=${MD_FUZZ_SECONDS:-15}
jobs=$(nproc 2>/dev/null || echo 2)

if [ "${MD_SKIP_DEPS:-0}" != 1 ]; then
	"$top/contrib/install-deps.sh"
fi

cd "$top"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi

rm -rf "$build"
mkdir -p "$build"
cd "$build"
"$top/configure" --enable-werror --enable-sanitizers >/dev/null
make -j"$jobs" >/dev/null

# ASan/UBSan: fail on the first error, report leaks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export MD_REQUIRE_INTEGRATION=1

status=0
make -j"$jobs" check || status=$?

passed=0 failed=0 skipped=0
if [ -f test-suite.log ]; then
	passed=$(sed -n 's/^# PASS: *//p' test-suite.log | head -1)
	failed=$(( $(sed -n 's/^# FAIL: *//p' test-suite.log | head -1) + \
		$(sed -n 's/^# ERROR: *//p' test-suite.log | head -1) + \
		$(sed -n 's/^# XPASS: *//p' test-suite.log | head -1) ))
	skipped=$(sed -n 's/^# SKIP: *//p' test-suite.log | head -1)
fi
if [ "$status" -ne 0 ]; then
	for log in $(find . -name '*.log' -newer Makefile | grep -v test-suite.log); do
		trs=${log%.log}.trs
		if [ -f "$trs" ] && grep -qE '^:test-result: (FAIL|ERROR)' "$trs"; then
			echo "===== $log"
			tail -n 60 "$log"
		fi
	done
fi

if [ "$status" -eq 0 ] && [ -x "$top/tests/fuzz/run.sh" ] && [ "$fuzz_seconds" -gt 0 ]; then
	"$top/tests/fuzz/run.sh" "$fuzz_seconds" || { status=1; failed=$((failed + 1)); }
fi

if [ "$status" -eq 0 ] && [ "${MD_SKIP_DISTCHECK:-0}" != 1 ]; then
	distdir=$top/build-distcheck
	rm -rf "$distdir"
	mkdir -p "$distdir"
	# The tarball's own check repeats the unit tests; the integration tests
	# ran above against the same sources and are skipped there.
	( cd "$distdir" && "$top/configure" >/dev/null && \
	  MD_REQUIRE_INTEGRATION=0 MD_SKIP_INTEGRATION=1 \
	  make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >distcheck.log 2>&1 ) || {
		tail -n 40 "$distdir/distcheck.log"
		echo "distcheck failed"
		status=1
		failed=$((failed + 1))
	}
	[ "$status" -eq 0 ] && echo "distcheck passed"
fi

echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
