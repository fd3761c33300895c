#!/usr/bin/env bash
# TutorMax database backup: pg_dump in PostgreSQL's custom format (compressed,
# restorable table by table with pg_restore), to a folder with retention of
# the last N local copies, or to stdout for piping elsewhere (object storage).
#
#   scripts/backup.sh                          # DATABASE_URL → $BACKUP_DIR (./backups), keep 7
#   scripts/backup.sh --dir /var/backups/tm --keep 14
#   scripts/backup.sh --stdout | aws s3 cp - s3://bucket/tutormax-$(date -u +%F).dump
#
# Options (each also from the environment):
#   --database-url URL   DATABASE_URL   the database to dump (required)
#   --dir DIR            BACKUP_DIR     where dumps go (default ./backups)
#   --keep N             BACKUP_KEEP    local copies kept, newest first (default 7; 0 keeps all)
#   --stdout                            write the dump to stdout instead (no retention)
#
# Files are named tutormax-<database>-<UTC time>.dump and written under a
# temporary name first, so a failed dump never replaces a good one or counts
# towards retention. pg_dump must be the server's major version or newer.
set -euo pipefail

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
fail() { printf 'backup: %s\n' "$*" >&2; exit 1; }

url=${DATABASE_URL:-}
dir=${BACKUP_DIR:-./backups}
keep=${BACKUP_KEEP:-7}
to_stdout=false
while [ $# -gt 0 ]; do
  case $1 in
    --database-url) url=${2:?}; shift 2 ;;
    --dir) dir=${2:?}; shift 2 ;;
    --keep) keep=${2:?}; shift 2 ;;
    --stdout) to_stdout=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) fail "unknown argument $1 (see --help)" ;;
  esac
done

[ -n "$url" ] || fail "no database: set DATABASE_URL or pass --database-url"
[[ $keep =~ ^[0-9]+$ ]] || fail "--keep must be a whole number (got $keep)"
command -v pg_dump >/dev/null || fail "pg_dump is not installed (Debian/Ubuntu: apt-get install postgresql-client-15)"

# The URL without its password, for messages.
shown=$(printf '%s' "$url" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')

if $to_stdout; then
  exec pg_dump --format=custom --compress=6 --dbname="$url"
fi

db=$(printf '%s' "$url" | sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#')
[ -n "$db" ] || db=postgres
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$dir/tutormax-$db-$stamp.dump"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

started=$(date +%s)
pg_dump --format=custom --compress=6 --dbname="$url" --file="$partial" \
  || fail "pg_dump of $shown failed"
mv "$partial" "$file"
size=$(du -h "$file" | cut -f1)
printf 'backup: %s → %s (%s, %ss)\n' "$shown" "$file" "$size" "$(($(date +%s) - started))"

if [ "$keep" -gt 0 ]; then
  # Names sort by time; drop all but the newest $keep of this database.
  mapfile -t old < <(ls -1 "$dir"/tutormax-"$db"-*.dump 2>/dev/null | sort -r | tail -n +$((keep + 1)))
  for f in "${old[@]}"; do
    rm -f -- "$f"
    printf 'backup: removed old copy %s\n' "$f"
  done
fi
