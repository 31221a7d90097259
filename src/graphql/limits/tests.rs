//! Unit tests of the document limits.

use super::*;

fn limits() -> Limits {
    Limits {
        max_aliases: 3,
        max_root_fields: 3,
        max_fields: 100,
        introspection: false,
    }
}

fn check(query: &str) -> Result<(), String> {
    let limits = limits();
    limits.check_text(query).map_err(|e| e.message)?;
    let doc = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
    limits.check_document(&doc).map_err(|e| e.message)
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
    let doc = async_graphql::parser::parse_query("{ __schema { types { name } } }").unwrap();
    assert!(open.check_document(&doc).is_ok());
}

#[test]
fn the_expanded_field_bound_has_a_floor() {
    let mut settings = Settings::for_database("sqlite::memory:");
    settings.max_complexity = 10;
    assert_eq!(Limits::new(&settings).max_fields, MIN_EXPANDED_FIELDS);
    settings.max_complexity = 50_000;
    assert_eq!(Limits::new(&settings).max_fields, 50_000);
}
