#!/usr/bin/env bash
# TutorMax database restore: pg_restore of a scripts/backup.sh dump into an
# EMPTY database, then a replay of the GDPR erasure ledger, so that nobody
# erased after the backup was taken comes back.
#
#   createdb tutormax_restored
#   scripts/restore.sh --database-url postgres://…/tutormax_restored backups/tutormax-….dump
#   scripts/restore.sh --yes --database-url … - < dump        # dump on stdin (needs --yes)
#
# Options:
#   --database-url URL   target database (default DATABASE_URL); must exist and be empty
#   --ledger FILE        erasure ledger to replay (default: ERASURE_LEDGER_PATH, else the CLI's default)
#   --yes                do not ask for confirmation
#
# It refuses a database that already has tables, sequences or views: restore
# into a new database, check it, then point DATABASE_URL at it. After
# pg_restore it runs `node dist/src/cli/erasure-replay.js --database-url URL
# [--ledger FILE]` (the compliance module's CLI; build with npm run build).
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
fail() { printf 'restore: %s\n' "$*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
url=${DATABASE_URL:-}
ledger=${ERASURE_LEDGER_PATH:-}
yes=false
file=
while [ $# -gt 0 ]; do
  case $1 in
    --database-url) url=${2:?}; shift 2 ;;
    --ledger) ledger=${2:?}; shift 2 ;;
    --yes | -y) yes=true; shift ;;
    -h | --help) usage; exit 0 ;;
    -) file=-; shift ;;
    -*) fail "unknown option $1 (see --help)" ;;
    *) [ -z "$file" ] || fail "one dump file only"; file=$1; shift ;;
  esac
done

[ -n "$file" ] || fail "name the dump file (or - for stdin); see --help"
[ -n "$url" ] || fail "no target: set DATABASE_URL or pass --database-url"
[ "$file" = - ] || [ -r "$file" ] || fail "cannot read $file"
command -v pg_restore >/dev/null || fail "pg_restore is not installed (Debian/Ubuntu: apt-get install postgresql-client-15)"
command -v psql >/dev/null || fail "psql is not installed"

shown=$(printf '%s' "$url" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')
db=$(printf '%s' "$url" | sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#')

# The target must exist and hold nothing of its own.
objects=$(psql "$url" -v ON_ERROR_STOP=1 -XtAc "
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'" 2>&1) \
  || fail "cannot reach the target $shown: $objects (create it first: createdb $db)"
if [ "$objects" != 0 ]; then
  fail "refusing to restore into $shown: it is not empty ($objects tables, views or sequences). Restore into a new database (createdb) and switch DATABASE_URL once it is checked."
fi

if ! $yes; then
  [ "$file" != - ] || fail "reading the dump from stdin needs --yes"
  printf 'Restore %s into %s? Type the database name (%s) to go on: ' "$file" "$shown" "$db" >&2
  answer=
  read -r answer || true
  [ "$answer" = "$db" ] || fail "not confirmed; nothing was changed"
fi

started=$(date +%s)
args=(--no-owner --no-acl --exit-on-error --single-transaction --dbname="$url")
if [ "$file" = - ]; then
  pg_restore "${args[@]}" || fail "pg_restore failed; the target is left as it was (one transaction)"
else
  pg_restore "${args[@]}" "$file" || fail "pg_restore failed; the target is left as it was (one transaction)"
fi
tables=$(psql "$url" -XtAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
printf 'restore: %s restored into %s (%s tables, %ss)\n' "$file" "$shown" "$tables" "$(($(date +%s) - started))"

replay="$root/dist/src/cli/erasure-replay.js"
if [ -f "$replay" ]; then
  replay_args=(--database-url "$url")
  [ -z "$ledger" ] || replay_args+=(--ledger "$ledger")
  node "$replay" "${replay_args[@]}" || fail "the erasure ledger replay failed: do not use this database until it succeeds (run: node $replay --database-url … )"
  printf 'restore: erasure ledger replayed\n'
else
  printf 'restore: WARNING: %s not found (run npm run build): the erasure ledger was NOT replayed; people erased after this backup may be back. Replay it before using the database.\n' "$replay" >&2
fi
