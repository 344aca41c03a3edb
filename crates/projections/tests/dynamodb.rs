//! The read side talks to the real DynamoDB Local that `scripts/test` starts.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use holdfast_projections::store::dynamo::{DynamoError, DynamoSettings, check_reachable, client};
use holdfast_testkit::{START_SERVICES, dynamodb_endpoint, fresh_table_prefix};

#[tokio::test]
async fn it_reaches_dynamodb_local_and_manages_tables() {
    let settings = DynamoSettings {
        endpoint: Some(dynamodb_endpoint()),
        region: None,
    };
    let dynamo = client(&settings).await.unwrap();
    if let Err(e) = check_reachable(&dynamo, &settings).await {
        panic!("{e}\nTo fix: {START_SERVICES}.");
    }
    let table = format!("{}probe", fresh_table_prefix());
    dynamo
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // DescribeTable, not ListTables: the shared DynamoDB Local holds other tests' tables and
    // ListTables pages at 100.
    let described = dynamo
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.table().and_then(|t| t.table_name()),
        Some(table.as_str())
    );
    dynamo
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_wrong_endpoint_fails_in_one_clear_line() {
    let settings = DynamoSettings {
        endpoint: Some("http://127.0.0.1:9".to_owned()),
        region: None,
    };
    let dynamo = client(&settings).await.unwrap();
    let err = check_reachable(&dynamo, &settings).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, DynamoError::Unreachable { .. }));
    assert!(
        message.starts_with("cannot reach DynamoDB at http://127.0.0.1:9: "),
        "{message}"
    );
    assert!(message.contains("--dynamodb-endpoint"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[tokio::test]
async fn an_endpoint_that_is_not_a_url_is_rejected() {
    let settings = DynamoSettings {
        endpoint: Some("localhost:8000".to_owned()),
        region: None,
    };
    assert!(matches!(
        client(&settings).await,
        Err(DynamoError::InvalidEndpoint(e)) if e == "localhost:8000"
    ));
}
