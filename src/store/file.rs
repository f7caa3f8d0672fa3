//! The token file store: [`crate::token_cache`]'s file (so files written by
//! `etna_save_token` stay readable), with its missing folders created
//! owner-only before the first write.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::token_cache::{self, create_private_dirs, Entry};

pub(super) fn load(path: &Path, base_url: &str, username: &str) -> Result<Option<Entry>, Error> {
    token_cache::load(path, base_url, username, 0)
}

pub(super) fn save(path: &Path, entry: &Entry) -> Result<(), Error> {
    create_private_dirs(&folder(path))?;
    token_cache::save(path, entry.clone())
}

pub(super) fn forget(path: &Path, base_url: &str, username: &str) -> Result<(), Error> {
    token_cache::forget(path, base_url, username)
}

pub(super) fn entries(path: &Path) -> Result<Vec<Entry>, Error> {
    token_cache::entries(path)
}

pub(super) fn folder(path: &Path) -> PathBuf {
    super::folder_of(path)
}

/// The file's name, the prefix of its login lock files.
pub(super) fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tokens".to_owned())
}
