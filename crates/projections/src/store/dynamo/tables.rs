//! Table lifecycle on DynamoDB: creating a physical table and waiting until it is `ACTIVE`,
//! deleting one and waiting until it is gone, listing the generations of a read model, and the
//! meta table (aliases and checkpoints).

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType, TableStatus,
};
use holdfast_eventstore::Position;

use super::DynamoStore;
use super::codec::{NEWER_THAN_ITEM, PK, SK, VERSION};
use super::errors::{CONDITIONAL_CHECK_FAILED, RESOURCE_IN_USE, RESOURCE_NOT_FOUND, code, map_sdk};
use crate::store::{
    GSI1_PK, GSI1_SK, ReadStoreError, Table, TableRef, decode_version, encode_version,
};

/// The name of the secondary index.
pub(super) const GSI1: &str = "gsi1";
/// How long table creation or deletion may take before the store gives up (real DynamoDB
/// takes seconds to a minute with an index; DynamoDB Local is immediate).
const WAIT_LIMIT: Duration = Duration::from_secs(300);
/// Meta-table partition of aliases.
const ALIAS: &str = "alias";
/// Meta-table partition of checkpoints.
const CHECKPOINT: &str = "checkpoint";
/// Meta-table attribute of an alias's generation.
const GENERATION: &str = "generation";

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

fn key_element(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("name and key type are set")
}

/// Pauses between polls: short at first (DynamoDB Local), up to a second.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((25u64 << attempt.min(6)).min(1000))
}

impl DynamoStore {
    /// Creates the physical table `name` (with the `gsi1` index if `with_gsi`) unless it
    /// exists, and waits until it and its index are `ACTIVE`.
    pub(super) async fn create_physical(
        &self,
        name: &str,
        with_gsi: bool,
    ) -> Result<(), ReadStoreError> {
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut create = true;
        for attempt in 0.. {
            if create {
                let mut request = self
                    .client
                    .create_table()
                    .table_name(name)
                    .billing_mode(BillingMode::PayPerRequest)
                    .attribute_definitions(string_attribute(PK))
                    .attribute_definitions(string_attribute(SK))
                    .key_schema(key_element(PK, KeyType::Hash))
                    .key_schema(key_element(SK, KeyType::Range));
                if with_gsi {
                    request = request
                        .attribute_definitions(string_attribute(GSI1_PK))
                        .attribute_definitions(string_attribute(GSI1_SK))
                        .global_secondary_indexes(
                            GlobalSecondaryIndex::builder()
                                .index_name(GSI1)
                                .key_schema(key_element(GSI1_PK, KeyType::Hash))
                                .key_schema(key_element(GSI1_SK, KeyType::Range))
                                .projection(
                                    Projection::builder()
                                        .projection_type(ProjectionType::All)
                                        .build(),
                                )
                                .build()
                                .expect("name, key schema and projection are set"),
                        );
                }
                match request.send().await {
                    Ok(_) => {}
                    Err(e) if code(&e) == Some(RESOURCE_IN_USE) => {}
                    Err(e) => return Err(map_sdk("CreateTable", name, e)),
                }
                create = false;
            }
            match self.client.describe_table().table_name(name).send().await {
                Ok(out) => {
                    let table = out.table();
                    let status = table.and_then(|t| t.table_status());
                    let indexes_active = table.is_some_and(|t| {
                        t.global_secondary_indexes()
                            .iter()
                            .all(|i| i.index_status() == Some(&IndexStatus::Active))
                    });
                    if status == Some(&TableStatus::Active) && indexes_active {
                        return Ok(());
                    }
                }
                // Deleted meanwhile (it was being dropped when we asked): create it again.
                Err(e) if code(&e) == Some(RESOURCE_NOT_FOUND) => create = true,
                Err(e) => return Err(map_sdk("DescribeTable", name, e)),
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(ReadStoreError::Unavailable(format!(
            "table {name} did not become ACTIVE within {}s",
            WAIT_LIMIT.as_secs()
        )))
    }

    /// Deletes the physical table `name` if it exists and waits until it is gone.
    pub(super) async fn delete_physical(&self, name: &str) -> Result<(), ReadStoreError> {
        let deadline = Instant::now() + WAIT_LIMIT;
        for attempt in 0.. {
            match self.client.describe_table().table_name(name).send().await {
                Err(e) if code(&e) == Some(RESOURCE_NOT_FOUND) => return Ok(()),
                Err(e) => return Err(map_sdk("DescribeTable", name, e)),
                Ok(out) => {
                    let status = out.table().and_then(|t| t.table_status());
                    if status != Some(&TableStatus::Deleting) {
                        match self.client.delete_table().table_name(name).send().await {
                            Ok(_) => {}
                            // Gone already, or still being created: look again.
                            Err(e)
                                if matches!(
                                    code(&e),
                                    Some(RESOURCE_NOT_FOUND) | Some(RESOURCE_IN_USE)
                                ) => {}
                            Err(e) => return Err(map_sdk("DeleteTable", name, e)),
                        }
                    }
                }
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(ReadStoreError::Unavailable(format!(
            "table {name} was not deleted within {}s",
            WAIT_LIMIT.as_secs()
        )))
    }

    /// The generations of `table`: every `{prefix}{table}_g{N}` that ListTables shows.
    pub(super) async fn list_generations(&self, table: Table) -> Result<Vec<u32>, ReadStoreError> {
        let stem = format!("{}{}_g", self.prefix, table.name());
        let mut generations = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let out = self
                .client
                .list_tables()
                .set_exclusive_start_table_name(start.take())
                .send()
                .await
                .map_err(|e| map_sdk("ListTables", &stem, e))?;
            generations.extend(
                out.table_names()
                    .iter()
                    .filter_map(|name| parse_generation(&stem, name)),
            );
            match out.last_evaluated_table_name() {
                Some(last) => start = Some(last.to_owned()),
                None => break,
            }
        }
        generations.sort_unstable();
        generations.dedup();
        Ok(generations)
    }

    /// Reads the meta item (`pk`, `sk`); a missing meta table reads as no item.
    async fn meta_get(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<super::codec::Raw>, ReadStoreError> {
        let meta = self.meta_table_name();
        match self
            .client
            .get_item()
            .table_name(&meta)
            .key(PK, AttributeValue::S(pk.to_owned()))
            .key(SK, AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
        {
            Ok(out) => Ok(out.item),
            Err(e) if code(&e) == Some(RESOURCE_NOT_FOUND) => Ok(None),
            Err(e) => Err(map_sdk("GetItem", &meta, e)),
        }
    }

    pub(super) async fn read_alias(&self, table: Table) -> Result<Option<u32>, ReadStoreError> {
        let Some(item) = self.meta_get(ALIAS, table.name()).await? else {
            return Ok(None);
        };
        match item.get(GENERATION) {
            Some(AttributeValue::N(n)) => n.parse().map(Some).map_err(|_| ()),
            _ => Err(()),
        }
        .map_err(|()| ReadStoreError::Corrupt {
            table: self.meta_table_name(),
            key: crate::store::Key::new(ALIAS, table.name()),
            reason: format!("`{GENERATION}` is missing or not a u32"),
        })
    }

    pub(super) async fn write_alias(
        &self,
        table: Table,
        generation: u32,
    ) -> Result<(), ReadStoreError> {
        self.ensure_meta().await?;
        let meta = self.meta_table_name();
        self.client
            .put_item()
            .table_name(&meta)
            .item(PK, AttributeValue::S(ALIAS.to_owned()))
            .item(SK, AttributeValue::S(table.name().to_owned()))
            .item(GENERATION, AttributeValue::N(generation.to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| map_sdk("PutItem", &meta, e))
    }

    pub(super) async fn read_checkpoint(
        &self,
        table: TableRef,
    ) -> Result<Option<Position>, ReadStoreError> {
        let sk = table.to_string();
        let Some(item) = self.meta_get(CHECKPOINT, &sk).await? else {
            return Ok(None);
        };
        match item.get(VERSION) {
            Some(AttributeValue::S(v)) => decode_version(v).map(Some),
            _ => None,
        }
        .ok_or_else(|| ReadStoreError::Corrupt {
            table: self.meta_table_name(),
            key: crate::store::Key::new(CHECKPOINT, sk),
            reason: format!("`{VERSION}` is missing or malformed"),
        })
    }

    pub(super) async fn write_checkpoint(
        &self,
        table: TableRef,
        position: Position,
    ) -> Result<(), ReadStoreError> {
        self.ensure_meta().await?;
        let meta = self.meta_table_name();
        match self
            .client
            .put_item()
            .table_name(&meta)
            .item(PK, AttributeValue::S(CHECKPOINT.to_owned()))
            .item(SK, AttributeValue::S(table.to_string()))
            .item(VERSION, AttributeValue::S(encode_version(position)))
            .condition_expression(NEWER_THAN_ITEM)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#v", VERSION)
            .expression_attribute_values(":v", AttributeValue::S(encode_version(position)))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // An equal or newer checkpoint is stored: keep it.
            Err(e) if code(&e) == Some(CONDITIONAL_CHECK_FAILED) => Ok(()),
            Err(e) => Err(map_sdk("PutItem", &meta, e)),
        }
    }

    pub(super) async fn delete_checkpoint(&self, table: TableRef) -> Result<(), ReadStoreError> {
        let meta = self.meta_table_name();
        match self
            .client
            .delete_item()
            .table_name(&meta)
            .key(PK, AttributeValue::S(CHECKPOINT.to_owned()))
            .key(SK, AttributeValue::S(table.to_string()))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some(RESOURCE_NOT_FOUND) => Ok(()),
            Err(e) => Err(map_sdk("DeleteItem", &meta, e)),
        }
    }
}

/// The generation of the physical table `name` if it is `{stem}{N}` (N canonical decimal).
fn parse_generation(stem: &str, name: &str) -> Option<u32> {
    let digits = name.strip_prefix(stem)?;
    let generation: u32 = digits.parse().ok()?;
    (generation.to_string() == digits).then_some(generation)
}

#[cfg(test)]
mod tests {
    use super::parse_generation;

    #[test]
    fn only_this_prefix_and_table_count_as_generations() {
        let stem = "holdfast_calendar_g";
        assert_eq!(parse_generation(stem, "holdfast_calendar_g1"), Some(1));
        assert_eq!(parse_generation(stem, "holdfast_calendar_g12"), Some(12));
        assert_eq!(parse_generation(stem, "holdfast_x_calendar_g1"), None);
        assert_eq!(
            parse_generation(stem, "holdfast_calendar_g1_calendar_g2"),
            None
        );
        assert_eq!(parse_generation(stem, "holdfast_calendar_g"), None);
        assert_eq!(parse_generation(stem, "holdfast_calendar_g01"), None);
        assert_eq!(parse_generation(stem, "holdfast_calendar_g+1"), None);
        assert_eq!(parse_generation(stem, "holdfast_search_g1"), None);
    }
}
