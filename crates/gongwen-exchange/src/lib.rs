//! The city exchange server (being written). See `storage` for the storage trait.
pub mod storage;
