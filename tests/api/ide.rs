//! The IDEs (GraphiQL, Playground) and tools such as codegen load the schema with
//! graphql-js's standard introspection query; the default limits must let it through.

use serde_json::json;

use crate::helpers::{data, Backend, TestApp};

/// graphql-js's `getIntrospectionQuery()` with every option on.
const INTROSPECTION: &str = include_str!("introspection.graphql");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_introspection_query_passes_the_default_limits() {
    let db = crate::helpers::TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_on(db, |s| {
        // The defaults a user runs with, not the raised test ones.
        let defaults = premiere::Settings::for_database("sqlite::memory:");
        s.max_depth = defaults.max_depth;
        s.max_complexity = defaults.max_complexity;
    })
    .await;
    let resp = app.query(INTROSPECTION, json!({})).await;
    let types = data(&resp)["__schema"]["types"]
        .as_array()
        .expect("types")
        .clone();
    for name in ["Series", "Installment", "ReleaseEvent", "Subscription"] {
        assert!(
            types.iter().any(|t| t["name"] == name),
            "{name} missing from introspection"
        );
    }
}
