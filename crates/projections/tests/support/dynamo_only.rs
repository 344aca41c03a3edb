//! DynamoDB-only checks: the physical layout the module documents, reserved attribute names,
//! table prefixes that look alike, malformed items, cursors, and an unreachable endpoint.

use aws_sdk_dynamodb::types::{AttributeValue, BillingMode, KeyType, ProjectionType};
use holdfast_projections::store::dynamo::DynamoStore;
use holdfast_projections::store::dynamo::{DynamoSettings, client};
use holdfast_projections::store::{
    Cursor, Index, ReadStore, ReadStoreError, SortKey, Table, TableRef, encode_version,
};
use serde_json::json;

use crate::support::{Harness, Kind, attrs, key, pos, query, remove, run, set};

fn dynamo(h: &Harness) -> (aws_sdk_dynamodb::Client, String) {
    h.dynamo().cloned().expect("a DynamoDB harness")
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

#[tokio::test]
async fn the_physical_layout_is_as_documented() {
    run(Kind::Dynamo, |h| async move {
        let (client, prefix) = dynamo(&h);
        let t = TableRef::new(Table::Calendar, 3);
        h.store.create_table(t).await.unwrap();
        let name = format!("{prefix}calendar_g3");
        let described = client
            .describe_table()
            .table_name(&name)
            .send()
            .await
            .unwrap();
        let table = described.table().unwrap();
        let schema: Vec<_> = table
            .key_schema()
            .iter()
            .map(|k| (k.attribute_name().to_owned(), k.key_type().clone()))
            .collect();
        assert_eq!(
            schema,
            [
                ("pk".to_owned(), KeyType::Hash),
                ("sk".to_owned(), KeyType::Range)
            ]
        );
        assert_eq!(
            table.billing_mode_summary().and_then(|b| b.billing_mode()),
            Some(&BillingMode::PayPerRequest)
        );
        let gsis = table.global_secondary_indexes();
        assert_eq!(gsis.len(), 1);
        assert_eq!(gsis[0].index_name(), Some("gsi1"));
        let gsi_schema: Vec<_> = gsis[0]
            .key_schema()
            .iter()
            .map(|k| k.attribute_name().to_owned())
            .collect();
        assert_eq!(gsi_schema, ["gsi1pk", "gsi1sk"]);
        assert_eq!(
            gsis[0].projection().and_then(|p| p.projection_type()),
            Some(&ProjectionType::All)
        );

        h.patch(
            t,
            pos(4, 2),
            set(key("P", "S"), attrs([("count", json!(3))])),
        )
        .await;
        let raw = client
            .get_item()
            .table_name(&name)
            .key("pk", s("P"))
            .key("sk", s("S"))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        assert_eq!(raw["v"], s(&encode_version(pos(4, 2))));
        assert_eq!(raw["count"], AttributeValue::N("3".to_owned()));
        assert_eq!(raw.len(), 4);

        h.store.set_alias(Table::Calendar, 3).await.unwrap();
        h.store.save_checkpoint(t, pos(4, 2)).await.unwrap();
        let meta = format!("{prefix}meta");
        let get = |pk: &'static str, sk: &'static str| {
            let (client, meta) = (client.clone(), meta.clone());
            async move {
                client
                    .get_item()
                    .table_name(meta)
                    .key("pk", s(pk))
                    .key("sk", s(sk))
                    .send()
                    .await
                    .unwrap()
                    .item
                    .unwrap()
            }
        };
        assert_eq!(
            get("alias", "calendar").await["generation"],
            AttributeValue::N("3".to_owned())
        );
        assert_eq!(
            get("checkpoint", "calendar_g3").await["v"],
            s(&encode_version(pos(4, 2)))
        );
    })
    .await;
}

#[tokio::test]
async fn reserved_attribute_names_are_refused() {
    run(Kind::Dynamo, |h| async move {
        let t = h.table(1).await;
        for name in ["pk", "sk", "v"] {
            let err = h
                .store
                .apply(
                    t,
                    pos(1, 0),
                    vec![set(key("p", "s"), attrs([(name, json!(1))]))],
                )
                .await
                .unwrap_err();
            assert!(
                matches!(&err, ReadStoreError::Request(m) if m.contains(name)),
                "{err}"
            );
            let err = h
                .store
                .apply(t, pos(1, 0), vec![remove(key("p", "s"), &[name])])
                .await
                .unwrap_err();
            assert!(matches!(err, ReadStoreError::Request(_)));
        }
        assert!(h.store.scan(t).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn tables_of_look_alike_prefixes_are_not_generations() {
    run(Kind::Dynamo, |h| async move {
        let (client, prefix) = dynamo(&h);
        let other = DynamoStore::new(client.clone(), format!("{prefix}x_"));
        let nested = DynamoStore::new(client, format!("{prefix}calendar_g1_"));
        other
            .create_table(TableRef::new(Table::Calendar, 2))
            .await
            .unwrap();
        nested
            .create_table(TableRef::new(Table::Calendar, 5))
            .await
            .unwrap();
        assert_eq!(
            h.store.generations(Table::Calendar).await.unwrap(),
            Vec::<u32>::new()
        );
        h.table(1).await;
        assert_eq!(h.store.generations(Table::Calendar).await.unwrap(), vec![1]);
        assert_eq!(other.generations(Table::Calendar).await.unwrap(), vec![2]);
        assert_eq!(nested.generations(Table::Calendar).await.unwrap(), vec![5]);
        // Aliases and checkpoints are per prefix too.
        other.set_alias(Table::Calendar, 2).await.unwrap();
        assert_eq!(h.store.alias(Table::Calendar).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn an_item_with_a_malformed_version_reads_as_corrupt() {
    run(Kind::Dynamo, |h| async move {
        let (client, prefix) = dynamo(&h);
        let t = h.table(1).await;
        client
            .put_item()
            .table_name(format!("{prefix}calendar_g1"))
            .item("pk", s("p"))
            .item("sk", s("s"))
            .item("v", s("not a version"))
            .send()
            .await
            .unwrap();
        match h.store.get(t, &key("p", "s")).await {
            Err(ReadStoreError::Corrupt { key: k, .. }) => assert_eq!(k, key("p", "s")),
            other => panic!("expected Corrupt, got {other:?}"),
        }
        assert!(matches!(
            h.store.scan(t).await,
            Err(ReadStoreError::Corrupt { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn a_gsi1_cursor_must_carry_the_index_sort_key() {
    run(Kind::Dynamo, |h| async move {
        let t = h.table(1).await;
        let mut q = query(Index::Gsi1, "G", SortKey::All, true, 5);
        q.after = Some(Cursor {
            key: key("p", "s"),
            index_sk: None,
        });
        assert!(matches!(
            h.store.query(t, &q).await,
            Err(ReadStoreError::Request(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transient_unavailable() {
    let settings = DynamoSettings {
        endpoint: Some("http://127.0.0.1:9".to_owned()),
        region: None,
    };
    let store = DynamoStore::new(client(&settings).await.unwrap(), "unreachable_");
    let t = TableRef::new(Table::Calendar, 1);
    let errors = [
        store.get(t, &key("p", "s")).await.map(drop).unwrap_err(),
        store
            .apply(t, pos(1, 0), vec![set(key("p", "s"), attrs([]))])
            .await
            .map(drop)
            .unwrap_err(),
        store.create_table(t).await.unwrap_err(),
        store
            .generations(Table::Calendar)
            .await
            .map(drop)
            .unwrap_err(),
        store.checkpoint(t).await.map(drop).unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, ReadStoreError::Unavailable(_)), "{err:?}");
        assert!(err.is_transient());
        let message = err.to_string();
        assert!(!message.contains('\n'), "one line: {message}");
    }
}
