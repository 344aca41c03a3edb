//! Rebuilding and verifying read models after a test wrote to them: what the projectors kept
//! must be what a fresh pass over the log computes, new kinds of items included.

use holdfast_projections::store::Table;

use crate::support::TestApp;

/// Verifies `tables` against a recompute from the log (no difference), then rebuilds them
/// blue-green and verifies again.
pub async fn rebuilt_and_verified(app: &TestApp, tables: &[Table]) {
    let runtime = app
        .engine
        .projections
        .as_ref()
        .expect("projectors run in tests");
    let head = app.engine.store.log().head().await.unwrap();
    for table in tables {
        assert!(
            runtime
                .wait_for(*table, head, std::time::Duration::from_secs(30))
                .await
                .unwrap(),
            "{table} caught up"
        );
        let report = runtime.verify(*table).await.unwrap();
        assert!(report.is_clean(), "{table}: {:#?}", report.differences);
        assert!(report.checked > 0, "{table} has items");
        let rebuilt = runtime.rebuild(*table, |_| {}).await.unwrap();
        let _ = rebuilt;
        let again = runtime.verify(*table).await.unwrap();
        assert!(
            again.is_clean(),
            "{table} after a rebuild: {:#?}",
            again.differences
        );
        assert_eq!(
            again.checked, report.checked,
            "{table}: the same items after a rebuild"
        );
    }
}
