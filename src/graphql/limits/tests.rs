//! Unit tests of the document limits.

use super::*;

fn limits() -> Limits {
    Limits {
        max_depth: 10,
        max_complexity: 1_000_000,
        max_aliases: 3,
        max_root_fields: 3,
        max_fields: 100,
        introspection: false,
        default_page_weight: 20,
        max_page_weight: 100,
    }
}

fn message(reason: Reason) -> String {
    match reason {
        Reason::OverLimit(message) => message,
        other => format!("{other:?}"),
    }
}

fn check_with(limits: &Limits, query: &str) -> Result<(), String> {
    limits.check_text(query).map_err(message)?;
    let doc = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
    limits
        .check_document(&doc, &Variables::default(), &shape())
        .map_err(message)
}

fn check(query: &str) -> Result<(), String> {
    check_with(&limits(), query)
}

/// A schema with a connection, `Query.list`, of `Item`s that have one too.
fn shape() -> Shape {
    Shape::from_sdl(
        "interface Thing { name: String! }
         type Query { list(first: Int, last: Int): ItemConnection! item: Item thing: Thing x: Int y: Int z: Int w: Int a: Query b: Int }
         type ItemConnection { nodes: [Item!]! }
         type Item implements Thing { name: String! children(first: Int, after: String, last: Int): ItemConnection! }",
    )
}

#[test]
fn nesting_is_counted_outside_strings_and_comments() {
    let limits = limits();
    let deep = "{".repeat(MAX_NESTING + 1);
    assert!(limits.check_text(&deep).is_err());
    assert!(limits.check_text(&"{".repeat(MAX_NESTING)).is_ok());
    let quoted = format!("{{ a(s: \"{deep}\") }}");
    assert!(limits.check_text(&quoted).is_ok());
    let block = format!("{{ a(s: \"\"\"{deep} \\\"\"\" \"\"\") }}");
    assert!(limits.check_text(&block).is_ok());
    let commented = format!("# {deep}\n{{ a }}");
    assert!(limits.check_text(&commented).is_ok());
    let escaped = format!("{{ a(s: \"\\\"{deep}\") }}");
    assert!(limits.check_text(&escaped).is_ok());
}

#[test]
fn aliases_root_fields_and_expansion_are_limited() {
    assert!(check("{ a: x b: x c: x }").is_ok());
    assert!(check("{ a: x b: x c: x d: x }")
        .unwrap_err()
        .contains("aliases"));
    assert!(check("{ x y z }").is_ok());
    assert!(check("{ x y z w }").unwrap_err().contains("root fields"));
    // Root fields through fragments, and a cycle that validation reports later.
    assert!(check("{ x ...F } fragment F on Query { y z w }").is_err());
    assert!(check("{ x ...F } fragment F on Query { y ...F }").is_ok());
    // A fragment bomb: 2^20 fields once expanded.
    let mut bomb = String::from("{ ...F0 }");
    for i in 0..20 {
        bomb.push_str(&format!(
            " fragment F{i} on Query {{ a {{ ...F{n} ...F{n} }} }}",
            n = i + 1
        ));
    }
    bomb.push_str(" fragment F20 on Query { b }");
    assert!(check(&bomb).unwrap_err().contains("too complex"));
}

#[test]
fn introspection_can_be_refused() {
    assert!(check("{ __typename }").is_ok());
    assert!(check("{ __schema { types { name } } }").is_err());
    assert!(check("{ ...F } fragment F on Query { __type(name: \"X\") { name } }").is_err());
    let open = Limits {
        introspection: true,
        ..limits()
    };
    assert!(check_with(&open, "{ __schema { types { name } } }").is_ok());
}

#[test]
fn the_expanded_field_bound_has_a_floor() {
    let mut settings = Settings::for_database("sqlite::memory:");
    settings.max_complexity = 10;
    assert_eq!(Limits::new(&settings).max_fields, MIN_EXPANDED_FIELDS);
    settings.max_complexity = 50_000;
    assert_eq!(Limits::new(&settings).max_fields, 50_000);
}

#[test]
fn complexity_weighs_pages_by_the_page_size_settings() {
    let measure = |query: &str, variables: serde_json::Value| {
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let variables = Variables::from_json(variables);
        let weights = PageWeights {
            default: 20,
            max: 100,
        };
        measure::measure(&doc, &variables, &shape(), weights)
            .unwrap()
            .operations[0]
            .1
    };
    // nodes { name }: 2; the page counts it once per item.
    let size = measure("{ list { nodes { name } } }", serde_json::json!({}));
    assert_eq!((size.complexity, size.depth, size.fields), (40, 3, 3));
    let size = measure(
        "{ list(first: 5) { nodes { name } } }",
        serde_json::json!({}),
    );
    assert_eq!(size.complexity, 10);
    let size = measure(
        "{ list(last: 1000) { nodes { name } } }",
        serde_json::json!({}),
    );
    assert_eq!(size.complexity, 200, "at most the largest page");
    let size = measure(
        "query($n: Int = 3, $m: Int) { list(first: $n) { nodes { children(first: $m) { nodes { name } } } } }",
        serde_json::json!({ "m": 2 }),
    );
    // children: 2 × (nodes + name = 2) = 4; nodes: 5; list: 3 × 5.
    assert_eq!(size.complexity, 15);
    // Through fragments and inline fragments, on the types they name.
    let size = measure(
        "{ ...Q } fragment Q on Query { list(first: 2) { nodes { ... on Item { name } } } }",
        serde_json::json!({}),
    );
    assert_eq!((size.complexity, size.roots), (4, 1));
    // A fragment on an object type, inside an interface-typed field, is weighed on
    // the object type.
    let size = measure(
        "{ thing { ... on Item { children(first: 50) { nodes { name } } } } }",
        serde_json::json!({}),
    );
    assert_eq!(size.complexity, 101);
}

#[test]
fn depth_and_selection_nesting_are_limited() {
    let deep = format!("{{ {} x {} }}", "a { ".repeat(10), "}".repeat(10));
    assert!(check_with(
        &Limits {
            max_root_fields: 30,
            ..limits()
        },
        &deep
    )
    .unwrap_err()
    .contains("nested too deep"));
    let fine = format!("{{ {} x {} }}", "a { ".repeat(9), "}".repeat(9));
    assert!(check(&fine).is_ok());
    // Inline fragments open selection sets without fields: bounded too.
    let inline = format!("{{ {} x {} }}", "... { ".repeat(40), "}".repeat(40));
    assert!(check(&inline).unwrap_err().contains("nest more than"));
}

#[test]
fn a_paged_selection_over_the_complexity_limit_is_refused() {
    let limits = Limits {
        max_complexity: 1_000,
        ..limits()
    };
    let nested = "{ list(first: 100) { nodes { children(first: 100) { nodes { name } } } } }";
    assert!(check_with(&limits, nested)
        .unwrap_err()
        .contains("too complex"));
    let small = "{ list(first: 10) { nodes { children(first: 10) { nodes { name } } } } }";
    assert!(check_with(&limits, small).is_ok());
}
