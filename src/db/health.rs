//! Whether the database can take this node's work: reachable, and (on
//! PostgreSQL) accepting writes. A primary that turned read-only (a standby
//! after a failover, `default_transaction_read_only`, a full disk guard)
//! makes `/readyz` 503, so the load balancer stops sending traffic to a node
//! whose writes would fail, and each failed write is a 503 (SQLSTATE 25006).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::AnyConnection;
use crate::error::AppError;

/// What a node whose database takes no writes answers.
pub const READ_ONLY: &str =
    "the database accepts no writes right now (a failover or maintenance); nothing was changed, try again shortly";

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

/// Ok when the database answers and, on PostgreSQL, a new transaction may
/// write (`transaction_read_only` is on in recovery and under
/// `default_transaction_read_only`).
pub fn check_ready(conn: &mut AnyConnection) -> Result<(), AppError> {
    match conn {
        AnyConnection::Postgresql(c) => {
            let s: Setting =
                diesel::sql_query("SELECT current_setting('transaction_read_only') AS v")
                    .get_result(c)
                    .map_err(|e| AppError::Unavailable(e.to_string()))?;
            if s.v == "on" {
                return Err(AppError::Busy(READ_ONLY));
            }
            Ok(())
        }
        AnyConnection::Sqlite(c) => c
            .batch_execute("SELECT 1")
            .map_err(|e| AppError::Unavailable(e.to_string())),
    }
}
