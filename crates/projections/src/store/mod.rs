//! Read-model storage: the [`ReadStore`] trait and its two implementations, DynamoDB
//! ([`dynamo`], production) and memory ([`memory`], the embedded
//! default). The same projector code drives both; `tests/store_contract.rs` holds both to one
//! contract.
//!
//! Model: every read model is a **table** ([`Table`]) of items addressed by a [`Key`]
//! (partition key `pk`, sort key `sk`), with JSON-like attributes ([`Attrs`]) and one optional
//! secondary index ([`Index::Gsi1`], on the attributes `gsi1pk`/`gsi1sk`). A table exists in
//! numbered **generations** ([`TableRef`]); readers use the generation an alias names, so a
//! rebuild fills a new generation while the old one serves, then switches the alias.
//!
//! Exactly-once effect: projectors change items only through [`Patch`]es applied at a log
//! [`Position`]. Each item remembers the last position applied to it (its `version`); a patch
//! whose position is not newer than the item's version is skipped. Re-delivering an event,
//! replaying a stream twice or restarting from an older checkpoint therefore changes nothing.

pub mod dynamo;
pub mod memory;

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use holdfast_eventstore::Position;
use serde_json::Value;

/// Attributes of an item: JSON values (strings, numbers, booleans, null, lists, maps).
pub type Attrs = BTreeMap<String, Value>;

/// The read models, one table each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Availability calendar: per inventory and slot.
    Calendar,
    /// Listing search: by region/category (GSI), geohash cell, keyword/tag.
    Search,
    /// Bookings: by id, by guest (GSI), operator day sheet per tenant and local date.
    Bookings,
    /// Coupons: guest wallet, campaign stats.
    Coupons,
}

impl Table {
    /// Every read model.
    pub const ALL: [Table; 4] = [
        Table::Calendar,
        Table::Search,
        Table::Bookings,
        Table::Coupons,
    ];

    /// The table's name (also the projector's name).
    pub fn name(self) -> &'static str {
        match self {
            Table::Calendar => "calendar",
            Table::Search => "search",
            Table::Bookings => "bookings",
            Table::Coupons => "coupons",
        }
    }

    /// The table of a name.
    pub fn parse(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One generation of one table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableRef {
    /// Which read model.
    pub table: Table,
    /// Which generation of it (1, 2, …).
    pub generation: u32,
}

impl TableRef {
    /// Generation `generation` of `table`.
    pub fn new(table: Table, generation: u32) -> Self {
        Self { table, generation }
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_g{}", self.table, self.generation)
    }
}

/// An item's primary key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl Key {
    /// A key from its parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// The secondary index attribute names: an item with both is in [`Index::Gsi1`].
pub const GSI1_PK: &str = "gsi1pk";
/// See [`GSI1_PK`].
pub const GSI1_SK: &str = "gsi1sk";

/// A stored item.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// Its key.
    pub key: Key,
    /// Its attributes (without the key and the version).
    pub attrs: Attrs,
    /// The last log position applied to it.
    pub version: Position,
}

/// A change to one item: set some attributes, remove others. Creates the item if absent.
#[derive(Clone, Debug, PartialEq)]
pub struct Patch {
    /// The item.
    pub key: Key,
    /// Attributes to set (overwriting).
    pub set: Attrs,
    /// Attributes to remove.
    pub remove: Vec<String>,
}

impl Patch {
    /// A patch that sets `set` on the item at `key`.
    pub fn set(key: Key, set: Attrs) -> Self {
        Self {
            key,
            set,
            remove: Vec::new(),
        }
    }
}

/// What [`ReadStore::apply`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Patches written.
    pub written: usize,
    /// Patches skipped because their item had already seen the position.
    pub skipped: usize,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Self) {
        self.written += other.written;
        self.skipped += other.skipped;
    }
}

/// Which index a query reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Index {
    /// The table's primary key.
    #[default]
    Primary,
    /// The secondary index on `gsi1pk` / `gsi1sk`.
    Gsi1,
}

/// The sort-key condition of a query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Every item of the partition.
    #[default]
    All,
    /// Sort keys starting with this prefix.
    BeginsWith(String),
    /// Sort keys in `[from, to]` (both inclusive).
    Between(String, String),
}

/// A query of one partition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyQuery {
    /// Which index.
    pub index: Index,
    /// The partition (of that index).
    pub pk: String,
    /// Which sort keys.
    pub sk: SortKey,
    /// Ascending sort key order if true, else descending.
    pub ascending: bool,
    /// At most this many items (the store may return fewer, with a cursor).
    pub limit: usize,
    /// Continue after this cursor (from a previous [`Page::next`]).
    pub after: Option<Cursor>,
}

/// Where a page ended: opaque to callers, stable across calls to the same store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The last item's primary key.
    pub key: Key,
    /// Its `gsi1sk`, when the page came from [`Index::Gsi1`].
    pub index_sk: Option<String>,
}

/// A page of query results.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// The items, in the asked order.
    pub items: Vec<Item>,
    /// Set when more items may follow.
    pub next: Option<Cursor>,
}

/// Errors of a read store.
#[derive(Debug, thiserror::Error)]
pub enum ReadStoreError {
    /// The backing service did not answer (retry later).
    #[error("read store unavailable: {0}")]
    Unavailable(String),
    /// The table (generation) does not exist.
    #[error("read model table {0} does not exist")]
    NoSuchTable(String),
    /// A stored item could not be decoded.
    #[error("read model item {key:?} in {table} is malformed: {reason}")]
    Corrupt {
        /// The table.
        table: String,
        /// The item.
        key: Key,
        /// What was wrong.
        reason: String,
    },
    /// Any other failure of the backing service.
    #[error("read store request failed: {0}")]
    Request(String),
}

impl ReadStoreError {
    /// Whether retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, ReadStoreError::Unavailable(_))
    }
}

/// Storage of read models. Both implementations pass `tests/store_contract.rs`.
#[async_trait]
pub trait ReadStore: Send + Sync {
    /// Creates generation `table.generation` of a table if it does not exist (idempotent),
    /// and waits until it can be used.
    async fn create_table(&self, table: TableRef) -> Result<(), ReadStoreError>;

    /// Deletes a generation (idempotent).
    async fn drop_table(&self, table: TableRef) -> Result<(), ReadStoreError>;

    /// The generations that exist of `table`, ascending.
    async fn generations(&self, table: Table) -> Result<Vec<u32>, ReadStoreError>;

    /// Applies `patches` at `position`: each patch is written only if its item's version is
    /// older than `position` (or the item does not exist); the item's version becomes
    /// `position`. Patches of one call may be written in any order or concurrently, so one call
    /// must not patch the same key twice (merge them first).
    async fn apply(
        &self,
        table: TableRef,
        position: Position,
        patches: Vec<Patch>,
    ) -> Result<Applied, ReadStoreError>;

    /// Applies each patch at its own position, with the same guard as [`Self::apply`]; no key
    /// may appear twice in one call. Writes of one call may land in any order. DynamoDB writes
    /// them [`dynamo::TRANSACT_ITEMS`] to a `TransactWriteItems` request; the default applies
    /// them position by position through [`Self::apply`].
    async fn apply_many(
        &self,
        table: TableRef,
        writes: Vec<(Position, Patch)>,
    ) -> Result<Applied, ReadStoreError> {
        let mut by_position: BTreeMap<Position, Vec<Patch>> = BTreeMap::new();
        for (position, patch) in writes {
            by_position.entry(position).or_default().push(patch);
        }
        let mut applied = Applied::default();
        for (position, patches) in by_position {
            applied += self.apply(table, position, patches).await?;
        }
        Ok(applied)
    }

    /// Bulk load: writes whole items (attributes and version) into a generation that no
    /// projector writes to yet — a rebuild's new generation — replacing any item with the same
    /// key, without version conditions (`BatchWriteItem` on DynamoDB, 25 items per request).
    /// Never used on a generation readers or a live projector use.
    async fn put_items(&self, table: TableRef, items: Vec<Item>) -> Result<(), ReadStoreError>;

    /// One item.
    async fn get(&self, table: TableRef, key: &Key) -> Result<Option<Item>, ReadStoreError>;

    /// Items of one partition, in sort-key order.
    async fn query(&self, table: TableRef, query: &KeyQuery) -> Result<Page, ReadStoreError>;

    /// Every item of a table (for verification), in no particular order.
    async fn scan(&self, table: TableRef) -> Result<Vec<Item>, ReadStoreError>;

    /// The generation readers use (`None` before the first is switched on).
    async fn alias(&self, table: Table) -> Result<Option<u32>, ReadStoreError>;

    /// Points readers at `generation`.
    async fn set_alias(&self, table: Table, generation: u32) -> Result<(), ReadStoreError>;

    /// The position up to which a projector has applied everything to a table generation.
    async fn checkpoint(&self, table: TableRef) -> Result<Option<Position>, ReadStoreError>;

    /// Records a projector's progress (never moves backwards: an older position is ignored).
    async fn save_checkpoint(
        &self,
        table: TableRef,
        position: Position,
    ) -> Result<(), ReadStoreError>;
}

/// The version attribute's encoding: positions as fixed-width text, so that text order is log
/// order (DynamoDB compares strings byte-wise in condition expressions).
pub fn encode_version(position: Position) -> String {
    format!("{:020}.{:020}", position.tx, position.index)
}

/// Inverse of [`encode_version`].
pub fn decode_version(text: &str) -> Option<Position> {
    let (tx, index) = text.split_once('.')?;
    Some(Position::new(tx.parse().ok()?, index.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_text_in_log_order() {
        let positions = [
            Position::new(0, 9),
            Position::new(0, 10),
            Position::new(7, 1),
            Position::new(12, 0),
            Position::new(u64::MAX, u64::MAX),
        ];
        let encoded: Vec<_> = positions.iter().map(|p| encode_version(*p)).collect();
        let mut sorted = encoded.clone();
        sorted.sort();
        assert_eq!(encoded, sorted);
        for p in positions {
            assert_eq!(decode_version(&encode_version(p)), Some(p));
        }
    }
}
