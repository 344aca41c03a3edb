//! Item operations on DynamoDB: guarded patches (`UpdateItem` with a version condition, run
//! concurrently, or many per `TransactWriteItems`), consistent `GetItem`, `Query` pages on the
//! primary key or `gsi1`, and `Scan`.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, TransactWriteItem, Update, WriteRequest,
};
use futures::StreamExt;
use holdfast_eventstore::Position;

use super::DynamoStore;
use super::codec::{
    NEWER_THAN_ITEM, PK, SK, cursor_from_last_key, cursor_of, decode_item, encode_item, key_map,
    start_key, update,
};
use super::errors::{CONDITIONAL_CHECK_FAILED, code, map_sdk};
use super::tables::GSI1;
use crate::store::{
    Applied, GSI1_PK, GSI1_SK, Index, Item, Key, KeyQuery, Page, Patch, ReadStoreError, SortKey,
    TableRef, encode_version,
};

/// How many `UpdateItem` calls of one `apply` run at once.
const APPLY_CONCURRENCY: usize = 16;
/// Items per `TransactWriteItems` (DynamoDB's maximum).
pub const TRANSACT_ITEMS: usize = 100;
/// How many `TransactWriteItems` calls of one `apply_many` run at once.
const TRANSACT_CONCURRENCY: usize = 8;
/// The cancellation reason of an item whose condition failed.
const CONDITION_FAILED_REASON: &str = "ConditionalCheckFailed";
/// Segments of a parallel `Scan` (read concurrently). DynamoDB Local's scan slows down with
/// the size of what one request walks: 300,000 items took 77 s sequentially, 16.8 s in 4
/// segments, 6.4 s in 16 (and a 4-segment page of a 280,000-item table hit the 10 s timeout).
const SCAN_SEGMENTS: i32 = 16;
/// Items per `BatchWriteItem` (DynamoDB's maximum).
const BATCH_ITEMS: usize = 25;
/// How many `BatchWriteItem` calls of one `put_items` run at once.
const BATCH_CONCURRENCY: usize = 8;
/// The largest `Limit` passed to DynamoDB (it takes an `i32`; pages stop at 1 MB anyway).
const MAX_LIMIT: usize = 10_000;

/// Whether a patch was written or skipped as already applied.
enum Outcome {
    Written,
    Skipped,
}

/// The guarded update of `patch` at the encoded `version` in the physical table `name` (the
/// same for `UpdateItem` and `TransactWriteItems`).
fn guarded_update(name: &str, version: &str, patch: &Patch) -> Result<Update, ReadStoreError> {
    let parts = update(patch, version.to_owned())?;
    Update::builder()
        .table_name(name)
        .set_key(Some(key_map(&patch.key)))
        .update_expression(parts.expression)
        .condition_expression(NEWER_THAN_ITEM)
        .set_expression_attribute_names(Some(parts.names))
        .set_expression_attribute_values(Some(parts.values))
        .build()
        .map_err(|e| ReadStoreError::Request(e.to_string()))
}

impl DynamoStore {
    async fn apply_one(
        &self,
        name: &str,
        version: &str,
        patch: Patch,
    ) -> Result<Outcome, ReadStoreError> {
        let update = guarded_update(name, version, &patch)?;
        let result = self
            .client
            .update_item()
            .table_name(name)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Outcome::Written),
            Err(e) if code(&e) == Some(CONDITIONAL_CHECK_FAILED) => Ok(Outcome::Skipped),
            Err(e) => Err(map_sdk("UpdateItem", name, e)),
        }
    }

    /// One `UpdateItem` per patch (each at its encoded version), [`APPLY_CONCURRENCY`] at once.
    async fn apply_each(
        &self,
        name: &str,
        writes: Vec<(String, Patch)>,
    ) -> Result<Applied, ReadStoreError> {
        let mut outcomes = futures::stream::iter(writes)
            .map(|(version, patch)| async move { self.apply_one(name, &version, patch).await })
            .buffer_unordered(APPLY_CONCURRENCY);
        let mut applied = Applied::default();
        while let Some(outcome) = outcomes.next().await {
            match outcome? {
                Outcome::Written => applied.written += 1,
                Outcome::Skipped => applied.skipped += 1,
            }
        }
        Ok(applied)
    }

    pub(super) async fn apply_patches(
        &self,
        table: TableRef,
        position: Position,
        patches: Vec<Patch>,
    ) -> Result<Applied, ReadStoreError> {
        let version = encode_version(position);
        let writes = patches.into_iter().map(|p| (version.clone(), p)).collect();
        self.apply_each(&self.table_name(table), writes).await
    }

    /// `apply_many`: [`TRANSACT_ITEMS`] guarded updates per `TransactWriteItems`,
    /// [`TRANSACT_CONCURRENCY`] requests at once (see the module docs for a cancelled one).
    pub(super) async fn transact_patches(
        &self,
        table: TableRef,
        writes: Vec<(Position, Patch)>,
    ) -> Result<Applied, ReadStoreError> {
        let name = self.table_name(table);
        let mut chunks = Vec::with_capacity(writes.len().div_ceil(TRANSACT_ITEMS));
        let mut writes = writes.into_iter().peekable();
        while writes.peek().is_some() {
            chunks.push(
                writes
                    .by_ref()
                    .take(TRANSACT_ITEMS)
                    .map(|(position, patch)| (encode_version(position), patch))
                    .collect::<Vec<_>>(),
            );
        }
        let mut outcomes = futures::stream::iter(chunks)
            .map(|chunk| self.transact_chunk(&name, chunk))
            .buffer_unordered(TRANSACT_CONCURRENCY);
        let mut applied = Applied::default();
        while let Some(outcome) = outcomes.next().await {
            applied += outcome?;
        }
        Ok(applied)
    }

    async fn transact_chunk(
        &self,
        name: &str,
        writes: Vec<(String, Patch)>,
    ) -> Result<Applied, ReadStoreError> {
        if writes.len() < 2 {
            return self.apply_each(name, writes).await;
        }
        let mut items = Vec::with_capacity(writes.len());
        for (version, patch) in &writes {
            let update = guarded_update(name, version, patch)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => {
                return Ok(Applied {
                    written: writes.len(),
                    skipped: 0,
                });
            }
            Err(e) => e,
        };
        let reasons: Vec<Option<String>> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().map(str::to_owned))
                .collect(),
            _ => match map_sdk("TransactWriteItems", name, err) {
                // Refused as a whole (e.g. over 4 MB): each item on its own says what is wrong.
                ReadStoreError::Request(_) => Vec::new(),
                other => return Err(other),
            },
        };
        let mut applied = Applied::default();
        let mut rest = Vec::new();
        for (i, write) in writes.into_iter().enumerate() {
            if reasons.get(i).and_then(Option::as_deref) == Some(CONDITION_FAILED_REASON) {
                applied.skipped += 1;
            } else {
                rest.push(write);
            }
        }
        applied += self.apply_each(name, rest).await?;
        Ok(applied)
    }

    /// Bulk load (see `ReadStore::put_items`): `BatchWriteItem`s of 25 puts, several at once;
    /// items DynamoDB leaves unprocessed (throttling) are sent again after a short pause.
    pub(super) async fn batch_put(
        &self,
        table: TableRef,
        items: Vec<Item>,
    ) -> Result<(), ReadStoreError> {
        let name = self.table_name(table);
        let mut requests = Vec::with_capacity(items.len());
        for item in &items {
            requests.push(
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(encode_item(item)?))
                            .build()
                            .map_err(|e| ReadStoreError::Request(e.to_string()))?,
                    )
                    .build(),
            );
        }
        drop(items);
        let chunks: Vec<Vec<WriteRequest>> = requests
            .chunks(BATCH_ITEMS)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        let mut calls = futures::stream::iter(chunks)
            .map(|chunk| self.batch_write_chunk(&name, chunk))
            .buffer_unordered(BATCH_CONCURRENCY);
        while let Some(done) = calls.next().await {
            done?;
        }
        Ok(())
    }

    async fn batch_write_chunk(
        &self,
        name: &str,
        mut chunk: Vec<WriteRequest>,
    ) -> Result<(), ReadStoreError> {
        let mut pause = std::time::Duration::from_millis(10);
        loop {
            let out = self
                .client
                .batch_write_item()
                .request_items(name, chunk)
                .send()
                .await
                .map_err(|e| map_sdk("BatchWriteItem", name, e))?;
            chunk = out
                .unprocessed_items
                .and_then(|mut left| left.remove(name))
                .unwrap_or_default();
            if chunk.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_secs(1));
        }
    }

    pub(super) async fn get_item(
        &self,
        table: TableRef,
        key: &Key,
    ) -> Result<Option<Item>, ReadStoreError> {
        let name = self.table_name(table);
        let out = self
            .client
            .get_item()
            .table_name(&name)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| map_sdk("GetItem", &name, e))?;
        out.item.map(|raw| decode_item(&name, raw)).transpose()
    }

    /// One page. Asks DynamoDB for one item more than `limit`, so `next` is set exactly when
    /// more items follow (or when DynamoDB stopped early at its 1 MB page size).
    pub(super) async fn query_page(
        &self,
        table: TableRef,
        query: &KeyQuery,
    ) -> Result<Page, ReadStoreError> {
        let name = self.table_name(table);
        let (pk_name, sk_name) = match query.index {
            Index::Primary => (PK, SK),
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
        };
        // DynamoDB rejects empty key values and inverted ranges; no item can match them.
        if query.pk.is_empty() {
            return Ok(Page::default());
        }
        let mut condition = "#k = :k".to_owned();
        let mut request = self
            .client
            .query()
            .table_name(&name)
            .expression_attribute_names("#k", pk_name)
            .expression_attribute_values(":k", AttributeValue::S(query.pk.clone()));
        match &query.sk {
            SortKey::All => {}
            SortKey::BeginsWith(prefix) if prefix.is_empty() => {}
            SortKey::BeginsWith(prefix) => {
                condition.push_str(" AND begins_with(#s, :p)");
                request = request
                    .expression_attribute_names("#s", sk_name)
                    .expression_attribute_values(":p", AttributeValue::S(prefix.clone()));
            }
            SortKey::Between(from, to) if from > to || to.is_empty() => {
                return Ok(Page::default());
            }
            SortKey::Between(from, to) if from.is_empty() => {
                condition.push_str(" AND #s <= :b");
                request = request
                    .expression_attribute_names("#s", sk_name)
                    .expression_attribute_values(":b", AttributeValue::S(to.clone()));
            }
            SortKey::Between(from, to) => {
                condition.push_str(" AND #s BETWEEN :a AND :b");
                request = request
                    .expression_attribute_names("#s", sk_name)
                    .expression_attribute_values(":a", AttributeValue::S(from.clone()))
                    .expression_attribute_values(":b", AttributeValue::S(to.clone()));
            }
        }
        let limit = query.limit.clamp(1, MAX_LIMIT);
        request = request
            .key_condition_expression(condition)
            .scan_index_forward(query.ascending)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start_key(query)?);
        request = match query.index {
            Index::Primary => request.consistent_read(true),
            Index::Gsi1 => request.index_name(GSI1),
        };
        let out = request
            .send()
            .await
            .map_err(|e| map_sdk("Query", &name, e))?;
        let mut items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|raw| decode_item(&name, raw))
            .collect::<Result<Vec<_>, _>>()?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|item| cursor_of(item, query.index))
        } else {
            match out.last_evaluated_key {
                Some(raw) if !raw.is_empty() => {
                    Some(cursor_from_last_key(&name, raw, query.index)?)
                }
                _ => None,
            }
        };
        Ok(Page { items, next })
    }

    /// Every item: a parallel scan of [`SCAN_SEGMENTS`] segments, read concurrently.
    pub(super) async fn scan_all(&self, table: TableRef) -> Result<Vec<Item>, ReadStoreError> {
        let name = self.table_name(table);
        let segments: Vec<Vec<Item>> = futures::future::try_join_all(
            (0..SCAN_SEGMENTS).map(|segment| self.scan_segment(&name, segment)),
        )
        .await?;
        Ok(segments.into_iter().flatten().collect())
    }

    async fn scan_segment(&self, name: &str, segment: i32) -> Result<Vec<Item>, ReadStoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(name)
                .consistent_read(true)
                .segment(segment)
                .total_segments(SCAN_SEGMENTS)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| map_sdk("Scan", name, e))?;
            for raw in out.items.unwrap_or_default() {
                items.push(decode_item(name, raw)?);
            }
            match out.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        Ok(items)
    }
}
