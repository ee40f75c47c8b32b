//! Users: accounts and their password hashes.

use serde::Deserialize;

use super::{int, text, Db};
use crate::domain::{UserId, Username};
use crate::error::ApiError;
use crate::store::sessions::NewSession;

#[derive(Debug, Deserialize)]
pub struct UserRow {
    pub username: String,
}

/// Creates the user and its first session row in one transaction.
pub async fn create(
    db: &Db,
    user_id: &UserId,
    username: &Username,
    password_hash: &str,
    session: &NewSession,
) -> Result<(), ApiError> {
    let user_id = user_id.as_string();
    let insert_user = db.prepare(
        "INSERT INTO users (user_id, username, password, created_at) VALUES (?1, ?2, ?3, ?4)",
        &[text(&user_id), text(username.as_str()), text(password_hash), int(session.created_at)],
    )?;
    db.batch(vec![insert_user, session.insert_row(db)?]).await?;
    Ok(())
}

pub async fn find(db: &Db, user_id: &UserId) -> Result<Option<UserRow>, ApiError> {
    let statement = db.prepare("SELECT username FROM users WHERE user_id = ?1", &[text(&user_id.as_string())])?;
    db.first(statement).await
}

/// The stored password hash, in its self-describing form.
pub async fn password_hash(db: &Db, user_id: &UserId) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        password: String,
    }
    let statement = db.prepare("SELECT password FROM users WHERE user_id = ?1", &[text(&user_id.as_string())])?;
    Ok(db.first::<Row>(statement).await?.map(|row| row.password))
}

/// Records a new session row, and the re-hashed password when the iteration count changed,
/// in one transaction.
pub async fn log_in(
    db: &Db,
    user_id: &UserId,
    rehashed_password: Option<&str>,
    session: &NewSession,
) -> Result<(), ApiError> {
    let mut statements = vec![session.insert_row(db)?];
    if let Some(hash) = rehashed_password {
        statements.push(db.prepare(
            "UPDATE users SET password = ?2 WHERE user_id = ?1",
            &[text(&user_id.as_string()), text(hash)],
        )?);
    }
    db.batch(statements).await?;
    Ok(())
}
