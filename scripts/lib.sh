# shellcheck shell=bash
# Shell helpers shared by the test and benchmark scripts (sourced, not run; defines functions only).
#   ledger_rows RUN   every row of the generate run RUN's ledgers (RUN/ledger/rank-*.sqlite), one line
#                     "k config_hash status finished_at shard" each, in k order, read through Python's
#                     sqlite3; fails (naming the file) when a ledger does not pass PRAGMA integrity_check.

ledger_rows() {
  python3 - "$1" <<'EOF'
import glob, sqlite3, sys
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/ledger/rank-*.sqlite")):
    db = sqlite3.connect(f)
    ok = db.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        sys.exit(f"{f}: integrity_check: {ok}")
    rows += db.execute("SELECT k, config_hash, status, finished_at, shard FROM candidates").fetchall()
    db.close()
for k, h, st, t, shard in sorted(rows):
    print(k, h, st, repr(t), shard)
EOF
}
