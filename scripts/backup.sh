#!/usr/bin/env bash
# Back up a production Parcours deployment: the PostgreSQL database (pg_dump custom format) and the
# files of PARCOURS_HOME that live outside the database (consultation log, warehouse snapshots).
# A backup is one folder with a SHA-256 manifest, so that a damaged or altered copy is refused on restore.
#
# Usage: DATABASE_URL=postgresql+psycopg://user@host:5432/parcours PARCOURS_HOME=/var/lib/parcours \
#          scripts/backup.sh /var/backups/parcours
# Prints the path of the backup folder it wrote (DEST/parcours-YYYYMMDDTHHMMSSZ).
set -euo pipefail

dest_root=${1:?usage: backup.sh DEST_DIR}
: "${DATABASE_URL:?DATABASE_URL must point at the PostgreSQL database}"
home=${PARCOURS_HOME:?PARCOURS_HOME must be set}

# libpq does not know SQLAlchemy's driver suffix: postgresql+psycopg:// -> postgresql://
pg_url=${DATABASE_URL/postgresql+psycopg:/postgresql:}
case $pg_url in
  postgresql://*|postgres://*) ;;
  *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL (the embedded SQLite deployment is backed up by copying PARCOURS_HOME)" >&2; exit 2 ;;
esac

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$dest_root/parcours-$stamp"
umask 077  # the backup holds personal data: readable by its owner only
mkdir -p "$out"

# Custom format: compressed, restorable table by table, independent of the server's owner names.
pg_dump --format=custom --no-owner --no-privileges --file="$out/database.dump" "$pg_url"

# Only the folders the database does not hold; the inbox is transient and rejects are re-creatable.
folders=()
for d in log warehouse; do
  [ -d "$home/$d" ] && folders+=("$d")
done
if [ ${#folders[@]} -gt 0 ]; then
  tar -C "$home" -czf "$out/home.tar.gz" "${folders[@]}"
else
  tar -C "$home" -czf "$out/home.tar.gz" --files-from /dev/null
fi

(cd "$out" && sha256sum database.dump home.tar.gz > SHA256SUMS)
echo "$out"
