//! No statement the service sends scans a table: each one's `EXPLAIN QUERY PLAN`, against the
//! schema the migrations build, searches indexes only. (SQLite's own planner, natively; D1 is
//! SQLite too.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
mod common;

use chatrooms::store::sql::ALL;

/// The plan's lines, as SQLite words them ("SEARCH members USING INDEX ...").
fn plan(db: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut statement =
        db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap_or_else(|error| panic!("{error}: {sql}"));
    // Every parameter NULL: the plan does not depend on the values.
    let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
    let rows = statement.query_map(rusqlite::params_from_iter(nulls), |row| row.get::<_, String>(3)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn tables(db: &rusqlite::Connection) -> BTreeSet<String> {
    let mut statement = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
    let rows = statement.query_map([], |row| row.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

/// A scan of a real table (by its name or an alias of it), not of a CTE or a subquery's result.
fn scans_a_table(line: &str, tables: &BTreeSet<String>, aliases: &BTreeSet<String>) -> bool {
    let Some(rest) = line.strip_prefix("SCAN ") else { return false };
    let name = rest.split_whitespace().next().unwrap_or_default();
    tables.contains(name) || aliases.contains(name)
}

/// `FROM rooms AS r`, `JOIN members AS m`...: the aliases of real tables in a statement.
fn aliases(sql: &str, tables: &BTreeSet<String>) -> BTreeSet<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    words
        .windows(3)
        .filter(|window| tables.contains(window[0]) && window[1].eq_ignore_ascii_case("AS"))
        .map(|window| window[2].trim_matches(|c: char| !c.is_alphanumeric() && c != '_').to_string())
        .collect()
}

#[test]
fn no_statement_scans_a_table() {
    let db = common::migrated();
    let tables = tables(&db);
    let mut scanning = Vec::new();
    for (name, sql) in ALL {
        let lines = plan(&db, sql);
        let aliases = aliases(sql, &tables);
        if lines.iter().any(|line| scans_a_table(line, &tables, &aliases)) {
            scanning.push(format!("{name}:\n    {}", lines.join("\n    ")));
        }
    }
    assert!(scanning.is_empty(), "statements that scan a table:\n{}", scanning.join("\n"));
}

#[test]
fn the_plans_are_printed_for_review() {
    let db = common::migrated();
    for (name, sql) in ALL {
        println!("{name}\n    {}", plan(&db, sql).join("\n    "));
    }
}

#[test]
fn a_scan_is_recognised_by_table_or_alias_but_not_a_cte() {
    let tables: BTreeSet<String> = ["rooms".to_string()].into();
    let aliases: BTreeSet<String> = ["r".to_string()].into();
    assert!(scans_a_table("SCAN rooms", &tables, &aliases));
    assert!(scans_a_table("SCAN r USING INDEX rooms_directory", &tables, &aliases));
    assert!(!scans_a_table("SCAN blocks", &tables, &aliases));
    assert!(!scans_a_table("SEARCH rooms USING PRIMARY KEY (room_id=?)", &tables, &aliases));
}
