//! What the native tests share: an in-memory SQLite database with every migration applied, in
//! order, as D1 would have it.

use std::path::Path;

/// A fresh in-memory database with the migrated schema and foreign keys on, as in D1.
pub fn migrated() -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let mut migrations: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    migrations.sort();
    for migration in migrations {
        db.execute_batch(&std::fs::read_to_string(&migration).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", migration.display()));
    }
    db
}
