#!/usr/bin/env bash
# Restore a backup written by scripts/backup.sh into an EMPTY PostgreSQL database and an empty
# PARCOURS_HOME. Refuses a backup whose checksums do not match, and a target that already holds tables
# or a consultation log (a restore never merges into live data).
# After a restore, run `parcours trail verify` (the hash-chained trail must still verify).
#
# Usage: DATABASE_URL=postgresql+psycopg://user@host:5432/parcours_new PARCOURS_HOME=/var/lib/parcours \
#          scripts/restore.sh /var/backups/parcours/parcours-20261127T060000Z
set -euo pipefail

src=${1:?usage: restore.sh BACKUP_DIR}
: "${DATABASE_URL:?DATABASE_URL must point at the (empty) PostgreSQL database}"
home=${PARCOURS_HOME:?PARCOURS_HOME must be set}
pg_url=${DATABASE_URL/postgresql+psycopg:/postgresql:}

if ! (cd "$src" && sha256sum --quiet --check SHA256SUMS); then
  echo "restore.sh: checksums of $src do not match: backup damaged or altered, nothing restored" >&2
  exit 3
fi

tables=$(psql "$pg_url" -Atc "select count(*) from pg_tables where schemaname not in ('pg_catalog','information_schema')")
if [ "$tables" != "0" ]; then
  echo "restore.sh: the target database already holds $tables table(s); restore into an empty database" >&2
  exit 4
fi
for d in log warehouse; do
  if [ -d "$home/$d" ] && [ -n "$(ls -A "$home/$d")" ]; then
    echo "restore.sh: $home/$d is not empty; restore into an empty PARCOURS_HOME" >&2
    exit 4
  fi
done

# One transaction: either the whole database is restored or nothing is.
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$pg_url" "$src/database.dump"
mkdir -p "$home"
tar -C "$home" -xzf "$src/home.tar.gz"
echo "restored $src into the database and $home"
