//! SQLite has no statement timeout. A progress handler, installed on every
//! SQLite connection this process opens, stops the running statement (SQLite
//! answers "interrupted") once the current thread's read deadline has passed.
//! `db::run` sets the deadline around a request's reads; writes, imports and
//! startup work run without one. The deadline is thread-local because a
//! statement runs on the thread that steps it (a blocking-pool thread).
//!
//! The crate's only unsafe code: diesel offers no progress handler and no raw
//! handle, so SQLite's auto-extension hook hands us each new connection.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::sync::Once;
use std::time::Instant;

use libsqlite3_sys as ffi;

/// Virtual machine instructions between two looks at the clock: a few
/// microseconds of work, so a stop lands well within a millisecond.
const CHECK_EVERY: c_int = 2000;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Registers the hook once per process; call before opening SQLite connections.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `on_open` has exactly the entry-point signature SQLite expects,
        // is a plain function (valid for the whole process), and does not unwind.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
        if rc != ffi::SQLITE_OK {
            tracing::error!(rc, "cannot install the SQLite read timeout hook");
        }
    });
}

/// Called by SQLite for each connection it opens: installs the read-timeout
/// progress handler and turns on the query planner stability guarantee.
///
/// QPSG: without it SQLite marks every statement whose plan could depend on a
/// bound value (`LIMIT ?` and `OFFSET ?`, which diesel binds on every page
/// query, and `LIKE ?`) as expired each time that value is bound, so each
/// execution prepared the statement a second time (`sqlite3Reprepare`): about
/// a tenth of an uncached list's CPU in the profile (docs/PERFORMANCE.md). With
/// it, a statement keeps the plan it was prepared with, which the indexes make
/// the same plan for any value here.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _err: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening, valid during this call;
    // the handler takes no user data (null) and is a plain function.
    unsafe {
        ffi::sqlite3_progress_handler(db, CHECK_EVERY, Some(past_deadline), std::ptr::null_mut())
    };
    // SAFETY: as above; ENABLE_QPSG takes an int and an int* (null: no readback).
    let rc = unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    };
    if rc != ffi::SQLITE_OK {
        tracing::warn!(
            rc,
            "cannot enable SQLite's query planner stability guarantee"
        );
    }
    ffi::SQLITE_OK
}

/// Non-zero stops the statement. Never panics (it runs inside SQLite).
unsafe extern "C" fn past_deadline(_: *mut c_void) -> c_int {
    let late = DEADLINE
        .try_with(|d| d.get().is_some_and(|t| Instant::now() >= t))
        .unwrap_or(false);
    c_int::from(late)
}

/// Restores the previous deadline when dropped.
#[must_use = "the deadline is lifted again when this is dropped"]
pub struct DeadlineGuard(Option<Instant>);

/// Sets this thread's deadline (`None`: no bound) until the guard drops.
pub fn set_deadline(deadline: Option<Instant>) -> DeadlineGuard {
    DeadlineGuard(DEADLINE.with(|d| d.replace(deadline)))
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        let previous = self.0;
        let _ = DEADLINE.try_with(|d| d.set(previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_keep_their_plans_when_values_are_bound() {
        install();
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        // SAFETY: a fresh in-memory connection (the hook runs on open), queried
        // for the QPSG flag through an int out-pointer, then closed.
        let (open, rc, enabled) = unsafe {
            let open = ffi::sqlite3_open(c":memory:".as_ptr(), &mut db);
            let mut enabled: c_int = -1;
            let rc = ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as c_int,
                &mut enabled as *mut c_int,
            );
            ffi::sqlite3_close(db);
            (open, rc, enabled)
        };
        assert_eq!((open, rc), (ffi::SQLITE_OK, ffi::SQLITE_OK));
        assert_eq!(enabled, 1, "every SQLite connection runs with QPSG on");
    }
}
