//! The committed SDL (`crates/api/schema.graphql`) is the schema's contract with frontends:
//! this test fails when the code's schema drifts from it. After an intended change, regenerate
//! it with `HOLDFAST_UPDATE_SCHEMA=1 cargo test -p holdfast-api --test schema` (or
//! `holdfast schema > crates/api/schema.graphql`) and commit the diff.

#[test]
fn the_committed_sdl_matches_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let sdl = holdfast_api::schema::sdl();
    if std::env::var("HOLDFAST_UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(path, &sdl).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == sdl,
        "schema.graphql is out of date: regenerate it with HOLDFAST_UPDATE_SCHEMA=1 cargo test -p holdfast-api --test schema and review the diff"
    );
}

/// Every document the suites send as clients (`holdfast_testkit::graphql`) is valid against
/// the schema: it parses, validates, and names only fields and types that exist.
#[test]
fn the_shared_client_documents_validate_against_the_schema() {
    for (name, document) in holdfast_testkit::graphql::ALL {
        let problems = holdfast_api::schema::validate(document);
        assert!(
            problems.is_empty(),
            "{name} does not validate: {problems:?}"
        );
    }
    // The check itself refuses a document that names a field the schema lacks.
    assert!(!holdfast_api::schema::validate("mutation { noSuchField }").is_empty());
}
