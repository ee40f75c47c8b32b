//! The room's files: each upload kept as its uploader described it, until a message carries
//! it; then as long as that message. The bytes are in R2 (`live::files`), under the room's id
//! and the file's; what is to leave R2 stays marked (`doomed`) until R2 confirms it went.

use serde::Deserialize;

use super::{sql, History};
use crate::domain::files::FileView;
use crate::domain::{FileId, UserId};
use crate::error::ApiError;
use crate::live::protocol::{Denied, NewFile};

/// A file as the room keeps it.
#[derive(Debug, Deserialize)]
struct FileRow {
    file_id: String,
    user_id: String,
    name: String,
    #[serde(rename = "type")]
    media_type: String,
    size: i64,
    message_seq: Option<i64>,
    doomed: i64,
}

#[derive(Deserialize)]
struct FileIdRow {
    file_id: String,
}

impl History {
    /// An upload, once R2 has it.
    pub fn add_file(&self, file: &NewFile, now: i64) -> Result<(), ApiError> {
        let args = vec![
            file.file_id.to_string().into(),
            file.user_id.to_string().into(),
            file.name.as_str().into(),
            file.media_type.as_str().into(),
            i64::try_from(file.size).map_err(ApiError::internal)?.into(),
            now.into(),
        ];
        self.run(sql::ADD_FILE, args)
    }

    /// The files a post names, as its message will show them, if each is the poster's own
    /// upload that no message carries yet; else refused.
    pub fn attachable(&self, files: &[FileId], poster: &UserId) -> Result<Result<Vec<FileView>, Denied>, ApiError> {
        if files.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let ids: Vec<String> = files.iter().map(ToString::to_string).collect();
        let json = serde_json::to_string(&ids).map_err(ApiError::internal)?;
        let rows: Vec<FileRow> = self.rows(sql::FILES_NAMED, vec![json.into()])?;
        let poster = poster.to_string();
        let mut views = Vec::with_capacity(ids.len());
        for id in &ids {
            let Some(row) = rows.iter().find(|row| row.file_id == *id) else { return Ok(Err(Denied::NotYourFile)) };
            if row.user_id != poster || row.message_seq.is_some() || row.doomed != 0 {
                return Ok(Err(Denied::NotYourFile));
            }
            views.push(view(row)?);
        }
        Ok(Ok(views))
    }

    /// The message `seq` carries these files, in this order.
    pub fn attach(&self, files: &[FileView], seq: i64) -> Result<(), ApiError> {
        for (position, file) in files.iter().enumerate() {
            let position = i64::try_from(position).map_err(ApiError::internal)?;
            self.run(sql::ATTACH_FILE, vec![seq.into(), position.into(), file.file_id.to_string().into()])?;
        }
        Ok(())
    }

    /// A deleted message's files are to leave R2; whether it had any.
    pub fn doom_files_of(&self, seq: i64) -> Result<(), ApiError> {
        self.run(sql::DOOM_FILES_OF, vec![seq.into()])
    }

    /// Uploads no message took by `before` are to leave R2.
    pub fn doom_unattached(&self, before: i64) -> Result<(), ApiError> {
        self.run(sql::DOOM_UNATTACHED, vec![before.into()])
    }

    /// Up to `limit` files that are to leave R2.
    pub fn doomed_files(&self, limit: i64) -> Result<Vec<String>, ApiError> {
        Ok(self.rows::<FileIdRow>(sql::DOOMED_FILES, vec![limit.into()])?.into_iter().map(|row| row.file_id).collect())
    }

    /// Up to `limit` of the room's files, whatever they are (for its deletion).
    pub fn all_files(&self, limit: i64) -> Result<Vec<String>, ApiError> {
        Ok(self.rows::<FileIdRow>(sql::EVERY_FILE, vec![limit.into()])?.into_iter().map(|row| row.file_id).collect())
    }

    /// R2 let these go: the room forgets them.
    pub fn forget_files(&self, ids: &[String]) -> Result<(), ApiError> {
        let json = serde_json::to_string(ids).map_err(ApiError::internal)?;
        self.run(sql::FORGET_FILES, vec![json.into()])
    }

    /// When the oldest upload no message took was uploaded, if there is one.
    pub fn oldest_unattached(&self) -> Result<Option<i64>, ApiError> {
        let oldest = self.number(sql::OLDEST_UNATTACHED, vec![])?;
        Ok((oldest > 0).then_some(oldest))
    }
}

fn view(row: &FileRow) -> Result<FileView, ApiError> {
    let corrupt = |field: &str| ApiError::internal(format!("room storage: a file's malformed {field}"));
    Ok(FileView {
        file_id: FileId::parse(&row.file_id).map_err(|_| corrupt("file_id"))?,
        name: crate::domain::FileName::parse(&row.name).map_err(|_| corrupt("name"))?,
        media_type: crate::domain::MediaType::parse(Some(&row.media_type)).map_err(|_| corrupt("type"))?,
        size: u64::try_from(row.size).map_err(|_| corrupt("size"))?,
    })
}
