# Shared by scripts/api-fuzz and scripts/injection-scan (sourced, not run).
#
#   scan_engines LIST                         LIST, less postgres if asked to skip it
#   scan_tools                                the scanners' virtual environment (sets SCAN_PY)
#   scan_binary                               SENSATE_BIN, or builds the debug binary
#   scan_server_start ENGINE [NAME=VALUE...]  `sensate serve --demo` on a fresh database of
#                                             ENGINE (sqlite or postgres), on 127.0.0.1 at a port
#                                             the kernel picks, with extra environment; waits for
#                                             /readyz and sets SCAN_URL
#   scan_server_stop                          stops it, keeps its log as SCAN_WORK/ENGINE-server.log,
#                                             drops its database and data directory
#
# Needs: ROOT (the repository), SCAN_WORK (a directory for data and logs),
# SENSATE_TEST_POSTGRES_URL (the PostgreSQL server on which a database is created and dropped).

SCAN_ENGINE=""

# The engines to scan: $1 (a list), less PostgreSQL when a developer asked to skip it
# (SENSATE_TEST_SKIP_POSTGRES=1, refused under CI=true, as in scripts/test).
scan_engines() {
	local engines=$1
	if [[ "${SENSATE_TEST_SKIP_POSTGRES:-}" == "1" ]]; then
		if [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; then
			scan_die "SENSATE_TEST_SKIP_POSTGRES=1 is refused when CI=true: CI scans both engines"
		fi
		printf '    !!! SENSATE_TEST_SKIP_POSTGRES=1: PostgreSQL is NOT scanned !!!\n' >&2
		engines=${engines//postgres/}
	fi
	echo $engines
}

scan_tools() {
	local venv="$ROOT/target/scans-venv"
	command -v python3 >/dev/null || scan_die "python3 is needed for the scanners."
	if [[ ! -x "$venv/bin/python" ]]; then
		python3 -m venv "$venv" || scan_die "python3 -m venv failed (Debian: apt-get install -y python3-venv)."
	fi
	# Exactly the versions in the requirements file; pip does nothing when they are installed.
	"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/tests/scans/requirements.txt"
	SCAN_PY="$venv/bin/python"
}

scan_binary() {
	if [[ -z "${SENSATE_BIN:-}" ]]; then
		(cd "$ROOT" && nice -n 10 cargo build --quiet -p sensate)
		SENSATE_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/sensate"
	fi
	[[ -x "$SENSATE_BIN" ]] || scan_die "SENSATE_BIN=$SENSATE_BIN is not an executable file"
	export SENSATE_BIN
}

SCAN_URL=""
SCAN_PID=""
SCAN_DATA=""
SCAN_DB=""
SCAN_LOG=""

scan_die() {
	printf '\nERROR: %s\n' "$*" >&2
	exit 1
}

# The admin URL with its database name replaced (query parameters kept).
scan_postgres_url_for() {
	local admin=$1 name=$2
	local scheme=${admin%%://*} rest=${admin#*://}
	local authority=${rest%%/*} query=""
	[[ "$rest" == *\?* ]] && query="?${rest#*\?}"
	printf '%s://%s/%s%s' "$scheme" "$authority" "$name" "$query"
}

scan_server_start() {
	local engine=$1
	shift
	SCAN_ENGINE=$engine
	mkdir -p "$SCAN_WORK"
	SCAN_DATA=$(mktemp -d "$SCAN_WORK/$engine.XXXXXX")
	SCAN_LOG="$SCAN_DATA/server.log"
	local database_url
	case "$engine" in
	sqlite) database_url="sqlite://$SCAN_DATA/sensate.db" ;;
	postgres)
		# Hex only, so the name needs no quoting.
		SCAN_DB="sensate_scan_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
		psql "$SENSATE_TEST_POSTGRES_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $SCAN_DB" >/dev/null ||
			scan_die "cannot create database $SCAN_DB on $SENSATE_TEST_POSTGRES_URL"
		database_url=$(scan_postgres_url_for "$SENSATE_TEST_POSTGRES_URL" "$SCAN_DB")
		;;
	*) scan_die "unknown engine $engine (sqlite or postgres)" ;;
	esac
	# Port 0: the kernel picks a free port and the server prints the address it got.
	env "$@" SENSATE_CONFIG=/dev/null "$SENSATE_BIN" serve --demo --listen 127.0.0.1:0 \
		--data-dir "$SCAN_DATA" --database-url "$database_url" >"$SCAN_LOG" 2>&1 &
	SCAN_PID=$!
	local deadline=$((SECONDS + 90))
	SCAN_URL=""
	while ((SECONDS < deadline)); do
		kill -0 "$SCAN_PID" 2>/dev/null || scan_die "sensate exited before it was ready; its log:
$(tail -n 40 "$SCAN_LOG")"
		if [[ -z "$SCAN_URL" ]]; then
			SCAN_URL=$(sed -n 's/^Sensate is listening on \(http:[^ ]*\)$/\1/p' "$SCAN_LOG" | head -n 1)
		fi
		if [[ -n "$SCAN_URL" ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' "$SCAN_URL/readyz") == 200 ]]; then
			return 0
		fi
		sleep 0.3
	done
	scan_die "sensate was not ready within 90 s; its log:
$(tail -n 40 "$SCAN_LOG")"
}

scan_server_stop() {
	if [[ -n "$SCAN_PID" ]]; then
		kill -INT "$SCAN_PID" 2>/dev/null || true
		local waited=0
		while kill -0 "$SCAN_PID" 2>/dev/null && ((waited < 50)); do
			sleep 0.2
			waited=$((waited + 1))
		done
		kill -KILL "$SCAN_PID" 2>/dev/null || true
		wait "$SCAN_PID" 2>/dev/null || true
		SCAN_PID=""
	fi
	if [[ -n "$SCAN_DB" ]]; then
		psql "$SENSATE_TEST_POSTGRES_URL" -X -q -v ON_ERROR_STOP=1 \
			-c "DROP DATABASE IF EXISTS $SCAN_DB WITH (FORCE)" >/dev/null || true
		SCAN_DB=""
	fi
	if [[ -n "$SCAN_DATA" ]]; then
		cp "$SCAN_LOG" "$SCAN_WORK/$SCAN_ENGINE-server.log" 2>/dev/null || true
		rm -rf "$SCAN_DATA"
		SCAN_DATA=""
	fi
}
