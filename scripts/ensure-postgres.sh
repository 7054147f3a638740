#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth for user postgres:
# start the machine's cluster if it is down, install it with apt where it is absent.
# Never skips silently: if it still can't be reached, it says so and fails.
set -euo pipefail
HOST=127.0.0.1 PORT=5432

ready() {
  if command -v pg_isready >/dev/null; then pg_isready -q -h "$HOST" -p "$PORT"; else
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; fi
}

wait_ready() {
  for _ in $(seq 1 30); do ready && return 0; sleep 1; done
  return 1
}

ready && exit 0

if [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "PostgreSQL is not installed: installing it with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  # Tests connect as postgres over TCP without a password, as on the project's machines.
  sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
  sed -i -E 's/^(local\s+all\s+postgres\s+)\S+/\1trust/' "$hba"
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
echo "PostgreSQL is down: starting cluster $version/main" >&2
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
if ! wait_ready; then
  echo "error: PostgreSQL does not answer on $HOST:$PORT; the PostgreSQL tests cannot run." >&2
  exit 1
fi
