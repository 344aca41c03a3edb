//! [`DynamoStore`]: read models on DynamoDB (production).
//!
//! Layout:
//! - every table generation is one physical table `{prefix}{table}_g{generation}` (e.g.
//!   `holdfast_calendar_g3`): key `pk` (S, HASH) + `sk` (S, RANGE), on-demand capacity, and one
//!   global secondary index `gsi1` on `gsi1pk` (S, HASH) + `gsi1sk` (S, RANGE), projecting
//!   every attribute;
//! - an item stores `pk`, `sk`, its version `v` ([`encode_version`](crate::store::encode_version)
//!   of the last position applied, text whose byte order is log order) and its attributes. The
//!   names in [`RESERVED_ATTRIBUTES`] therefore cannot be item attributes: a patch that sets
//!   or removes one fails with [`ReadStoreError::Request`];
//! - one meta table `{prefix}meta` holds aliases (`pk = "alias"`, `sk = <table>`,
//!   `generation` N) and checkpoints (`pk = "checkpoint"`, `sk = <table>_g<N>`, `v`). It is
//!   created on first write ([`DynamoStore::ensure_meta`], called by `create_table`,
//!   `set_alias` and `save_checkpoint`); reading an alias or checkpoint before it exists
//!   reads "none".
//!
//! Writes are guarded by `attribute_not_exists(pk) OR v < :v`: a patch (or checkpoint) at a
//! position the item has already seen fails the condition and is counted as skipped, with no
//! read before the write. `apply` sends one `UpdateItem` per patch, up to 16 at once.
//! `apply_many` sends up to [`TRANSACT_ITEMS`] patches per `TransactWriteItems`, each with its
//! own version condition (several requests at once): one round trip for a hundred items. A
//! transaction is all or nothing, so one item already at a newer position (a re-delivered
//! event) cancels it: DynamoDB answers `TransactionCanceledException` with one reason per item,
//! the items whose reason is `ConditionalCheckFailed` are counted as skipped (versions never go
//! back, so they stay skipped) and the others are written one `UpdateItem` each, guarded as
//! usual. (A transactional write costs twice the write capacity of a plain one; measured on
//! DynamoDB Local, 1,000 items took 2.5–4× less time this way, directly and behind a 10 ms
//! delay: `tests/runtime_write_timing.rs`.) If a call fails part-way, some of its patches may be written, and applying the call
//! again is safe.
//!
//! Reads of items, primary-key queries and scans are strongly consistent; `gsi1` queries are
//! eventually consistent (DynamoDB offers nothing else on a global index). A query asks for one
//! item more than its limit, so `Page::next` is set only when more items follow (or when
//! DynamoDB cut the page at 1 MB). Sort-key conditions no item can match (an inverted or empty
//! range, an empty partition key) return an empty page without a request; an empty prefix
//! matches everything.
//!
//! Values: attributes go through `serde_dynamo` (JSON numbers ↔ `N`, maps ↔ `M`, lists ↔ `L`,
//! null ↔ `NULL`). Integers (up to `u64`/`i64`) come back as integers; a float with an
//! integral value (`2.0`) comes back as the integer `2`; DynamoDB numbers have 38 digits of
//! precision and a magnitude up to 1e125. `gsi1pk`/`gsi1sk`, when present, must be non-empty
//! strings (DynamoDB refuses the write otherwise), and keys must be non-empty.

mod client;
mod codec;
mod data;
mod errors;
mod tables;

pub use client::{DynamoError, DynamoSettings, check_reachable, client};
pub use data::TRANSACT_ITEMS;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use holdfast_eventstore::Position;
use tokio::sync::OnceCell;

use super::{
    Applied, Item, Key, KeyQuery, Page, Patch, ReadStore, ReadStoreError, Table, TableRef,
};

/// Attribute names the store uses itself: the key (`pk`, `sk`) and the version (`v`).
pub const RESERVED_ATTRIBUTES: [&str; 3] = [codec::PK, codec::SK, codec::VERSION];

/// Read models in DynamoDB tables named `{prefix}…`.
#[derive(Debug)]
pub struct DynamoStore {
    client: Client,
    prefix: String,
    meta_ready: OnceCell<()>,
}

impl DynamoStore {
    /// A store whose tables are named `{table_prefix}{table}_g{generation}` and
    /// `{table_prefix}meta`. Makes no request.
    pub fn new(client: Client, table_prefix: impl Into<String>) -> Self {
        Self {
            client,
            prefix: table_prefix.into(),
            meta_ready: OnceCell::new(),
        }
    }

    /// The table name prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The physical DynamoDB table of a table generation.
    pub fn table_name(&self, table: TableRef) -> String {
        format!("{}{table}", self.prefix)
    }

    /// The physical DynamoDB table of aliases and checkpoints.
    pub fn meta_table_name(&self) -> String {
        format!("{}meta", self.prefix)
    }

    /// Creates the meta table unless it exists and waits until it is usable. Idempotent;
    /// after the first success in this process it makes no request.
    pub async fn ensure_meta(&self) -> Result<(), ReadStoreError> {
        self.meta_ready
            .get_or_try_init(|| async {
                self.create_physical(&self.meta_table_name(), false).await
            })
            .await
            .map(|_| ())
    }
}

#[async_trait]
impl ReadStore for DynamoStore {
    async fn create_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        self.ensure_meta().await?;
        self.create_physical(&self.table_name(table), true).await
    }

    async fn drop_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        self.delete_physical(&self.table_name(table)).await?;
        // After the table is gone: a crash in between leaves a checkpoint of a missing table
        // (harmless, dropped again next time), never a table without its history.
        self.delete_checkpoint(table).await
    }

    async fn generations(&self, table: Table) -> Result<Vec<u32>, ReadStoreError> {
        self.list_generations(table).await
    }

    async fn apply(
        &self,
        table: TableRef,
        position: Position,
        patches: Vec<Patch>,
    ) -> Result<Applied, ReadStoreError> {
        self.apply_patches(table, position, patches).await
    }

    async fn apply_many(
        &self,
        table: TableRef,
        writes: Vec<(Position, Patch)>,
    ) -> Result<Applied, ReadStoreError> {
        self.transact_patches(table, writes).await
    }

    async fn get(&self, table: TableRef, key: &Key) -> Result<Option<Item>, ReadStoreError> {
        self.get_item(table, key).await
    }

    async fn query(&self, table: TableRef, query: &KeyQuery) -> Result<Page, ReadStoreError> {
        self.query_page(table, query).await
    }

    async fn put_items(&self, table: TableRef, items: Vec<Item>) -> Result<(), ReadStoreError> {
        self.batch_put(table, items).await
    }

    async fn scan(&self, table: TableRef) -> Result<Vec<Item>, ReadStoreError> {
        self.scan_all(table).await
    }

    async fn alias(&self, table: Table) -> Result<Option<u32>, ReadStoreError> {
        self.read_alias(table).await
    }

    async fn set_alias(&self, table: Table, generation: u32) -> Result<(), ReadStoreError> {
        self.write_alias(table, generation).await
    }

    async fn checkpoint(&self, table: TableRef) -> Result<Option<Position>, ReadStoreError> {
        self.read_checkpoint(table).await
    }

    async fn save_checkpoint(
        &self,
        table: TableRef,
        position: Position,
    ) -> Result<(), ReadStoreError> {
        self.write_checkpoint(table, position).await
    }
}
