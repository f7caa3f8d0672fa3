//! The token cache file: the old name of the token file store,
//! [`crate::store::file`], kept so that code written against it keeps
//! compiling and meaning the same.

pub use crate::store::file::{
    create_private_dirs, entries, forget, load, normalize_base_url, parse, render, save, unix_now,
    Entry,
};
