//! Whether the database can take this node's work: reachable, and (on
//! PostgreSQL) accepting writes. A primary that turned read-only (a standby
//! after a failover, `default_transaction_read_only`, a full disk guard)
//! makes `/readyz` 503, so the load balancer stops sending traffic to a node
//! whose writes would fail, and each failed write is a 503 (SQLSTATE 25006).

use diesel::connection::SimpleConnection;
use diesel::result::DatabaseErrorKind;

use super::AnyConnection;
use crate::error::AppError;

/// What a node whose database takes no writes answers.
pub const READ_ONLY: &str =
    "the database accepts no writes right now (a failover or maintenance); nothing was changed, try again shortly";

/// One simple-protocol statement, as cheap as `SELECT 1` (no statement to
/// prepare): fails with SQLSTATE 25006 when a new transaction is read-only.
const WRITABLE: &str = "DO $$ BEGIN \
    IF current_setting('transaction_read_only') = 'on' THEN \
      RAISE SQLSTATE '25006' USING MESSAGE = 'the database is read-only'; \
    END IF; END $$";

/// Ok when the database answers and, on PostgreSQL, a new transaction may
/// write (`transaction_read_only` is on in recovery and under
/// `default_transaction_read_only`).
pub fn check_ready(conn: &mut AnyConnection) -> Result<(), AppError> {
    let sql = match conn {
        AnyConnection::Postgresql(_) => WRITABLE,
        AnyConnection::Sqlite(_) => "SELECT 1",
    };
    conn.batch_execute(sql).map_err(|e| match e {
        diesel::result::Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => {
            AppError::Busy(READ_ONLY)
        }
        e => AppError::Unavailable(e.to_string()),
    })
}
