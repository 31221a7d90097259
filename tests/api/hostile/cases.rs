//! The hostile requests, one [`Case`] each: what is sent and the status and
//! `extensions.code` it must get.
//!
//! Over 400 lines because it is one table: each case is a few lines, read in order
//! (body and media type, then documents, then arguments); split, it would no longer
//! read as the list of what the server refuses.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::gid;

/// One hostile request and what it must get.
pub struct Case {
    pub name: String,
    pub method: Method,
    /// Appended to `/graphql` (a query string for GET).
    pub path: String,
    pub content_type: Option<&'static str>,
    pub accept: Option<&'static str>,
    pub body: Vec<u8>,
    pub admin: bool,
    pub status: StatusCode,
    pub code: &'static str,
}

impl Case {
    /// A well-formed POST of `query` and `variables`.
    fn gql(name: &str, query: impl Into<String>, variables: Value) -> Case {
        let body = json!({ "query": query.into(), "variables": variables }).to_string();
        Case::raw(name, Some("application/json"), body.into_bytes())
    }

    fn raw(name: &str, content_type: Option<&'static str>, body: Vec<u8>) -> Case {
        Case {
            name: name.to_string(),
            method: Method::POST,
            path: String::new(),
            content_type,
            accept: None,
            body,
            admin: false,
            status: StatusCode::OK,
            code: "BAD_USER_INPUT",
        }
    }

    fn get(name: &str, query_string: &str) -> Case {
        Case {
            method: Method::GET,
            path: format!("?{query_string}"),
            content_type: None,
            accept: Some("application/json"),
            ..Case::raw(name, None, Vec::new())
        }
    }

    fn admin(mut self) -> Case {
        self.admin = true;
        self
    }

    fn accept(mut self, accept: &'static str) -> Case {
        self.accept = Some(accept);
        self
    }

    fn expect(mut self, status: u16, code: &'static str) -> Case {
        self.status = StatusCode::from_u16(status).expect("status");
        self.code = code;
        self
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn cases() -> Vec<Case> {
    let series = gid("Series", 1);
    let installment = gid("Installment", 1);
    let nested_500 = format!("{}{}", "{ node(id: \"x\") ".repeat(500), "}".repeat(500));
    let too_deep = "{ allSeries { nodes { installments { nodes { series { installments { nodes { \
                    series { installments { nodes { series { installments { nodes { id } } } } } \
                    } } } } } } } } }";
    let too_complex = "{ allSeries(first: 100) { nodes { installments(first: 100) { nodes { \
                       credits(first: 100) { nodes { id character } } } } } } }";
    let aliases = format!(
        "{{ {} }}",
        (0..1000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let root_fields = format!("{{ {} }}", "__typename ".repeat(30));
    let mut bomb = String::from("query { ...F0 }\n");
    for i in 0..30 {
        bomb.push_str(&format!(
            "fragment F{i} on Query {{ ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    bomb.push_str("fragment F30 on Query { __typename }\n");
    let big_query = format!("{{ __typename }}{}", " ".repeat(5 * 1024 * 1024));
    let create_series =
        "mutation($input: CreateSeriesInput!) { createSeries(input: $input) { id } }";
    let create_installment =
        "mutation($input: CreateInstallmentInput!) { createInstallment(input: $input) { id } }";
    let series_input = |extra: Value| {
        let mut input = json!({ "slug": "fresh-slug", "title": "Fresh" });
        if let Value::Object(fields) = extra {
            for (k, v) in fields {
                input[k] = v;
            }
        }
        json!({ "input": input })
    };
    let installment_input = |extra: Value| {
        let mut input = json!({ "seriesId": series, "number": 40 });
        if let Value::Object(fields) = extra {
            for (k, v) in fields {
                input[k] = v;
            }
        }
        json!({ "input": input })
    };
    let publish =
        "mutation($id: ID!, $at: DateTime) { publishInstallment(id: $id, at: $at) { id } }";
    let deep_json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let batch_11 =
        serde_json::to_vec(&vec![json!({ "query": "{ __typename }" }); 11]).expect("json");

    vec![
        // The HTTP envelope.
        Case::raw(
            "invalid JSON",
            Some("application/json"),
            b"{\"query\": ".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "JSON string body",
            Some("application/json"),
            b"\"{ __typename }\"".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw("JSON number body", Some("application/json"), b"42".to_vec())
            .expect(400, "BAD_USER_INPUT"),
        Case::raw("JSON null body", Some("application/json"), b"null".to_vec())
            .expect(400, "BAD_USER_INPUT"),
        Case::raw("empty body", Some("application/json"), Vec::new()).expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "whitespace body",
            Some("application/json"),
            b" \n\t ".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw("empty batch", Some("application/json"), b"[]".to_vec())
            .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "batch of numbers",
            Some("application/json"),
            b"[1, 2]".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw("batch over the limit", Some("application/json"), batch_11)
            .expect(400, "QUERY_TOO_COMPLEX"),
        Case::raw(
            "text/plain",
            Some("text/plain"),
            b"{\"query\":\"{ __typename }\"}".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "no content type",
            None,
            b"{\"query\":\"{ __typename }\"}".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "form encoded",
            Some("application/x-www-form-urlencoded"),
            b"query=%7B__typename%7D".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "multipart",
            Some("multipart/form-data; boundary=x"),
            b"--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--x--"
                .to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "latin-1 charset",
            Some("application/json; charset=iso-8859-1"),
            b"{\"query\":\"{ __typename }\"}".to_vec(),
        )
        .expect(415, "BAD_USER_INPUT"),
        Case::raw(
            "invalid UTF-8",
            Some("application/json"),
            b"{\"query\":\"{ seriesBySlug(slug: \\\"\xff\xfe\\\") { id } }\"}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::gql("a 5 MB query", big_query, json!({})).expect(413, "QUERY_TOO_COMPLEX"),
        Case::gql("unacceptable Accept", "{ __typename }", json!({}))
            .accept("text/plain")
            .expect(406, "BAD_USER_INPUT"),
        Case::raw(
            "no query",
            Some("application/json"),
            b"{\"variables\":{}}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "numeric query",
            Some("application/json"),
            b"{\"query\":1}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "string variables",
            Some("application/json"),
            b"{\"query\":\"{ __typename }\",\"variables\":\"{}\"}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "array operationName",
            Some("application/json"),
            b"{\"query\":\"{ __typename }\",\"operationName\":[\"a\"]}".to_vec(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::raw(
            "variables nested 10,000 deep",
            Some("application/json"),
            format!("{{\"query\":\"{{ __typename }}\",\"variables\":{{\"v\":{deep_json}}}}}")
                .into_bytes(),
        )
        .expect(400, "BAD_USER_INPUT"),
        Case::get("GET without query", "variables=%7B%7D").expect(400, "BAD_USER_INPUT"),
        Case::get(
            "GET mutation",
            &format!("query={}", enc("mutation { deleteSeries(id: \"x\") }")),
        )
        .admin()
        .expect(405, "BAD_USER_INPUT"),
        Case::get(
            "GET with non-JSON variables",
            &format!("query={}&variables=%7Bnope", enc("{ __typename }")),
        )
        .expect(400, "BAD_USER_INPUT"),
        // Documents.
        Case::gql("unterminated document", "{", json!({})),
        Case::gql("empty document", "", json!({})),
        Case::gql("parse error under graphql-response+json", "{", json!({}))
            .accept("application/graphql-response+json")
            .expect(400, "BAD_USER_INPUT"),
        Case::gql("500-level nesting", nested_500, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("depth over the limit", too_deep, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("complexity over the limit", too_complex, json!({}))
            .expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("1,000 aliases", aliases, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("30 root fields", root_fields, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql("fragment bomb", bomb, json!({})).expect(200, "QUERY_TOO_COMPLEX"),
        Case::gql(
            "unknown field",
            "{ allSeries { nodes { password } } }",
            json!({}),
        ),
        Case::gql(
            "unknown argument",
            "{ allSeries(limit: 5) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "unknown enum value",
            "{ allInstallments(filter: { status: LIVE }) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "null for a non-null argument",
            "{ seriesBySlug(slug: null) { id } }",
            json!({}),
        ),
        Case::gql(
            "wrong variable type",
            "query($n: Int) { allSeries(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
        ),
        Case::gql(
            "missing required variable",
            "query($slug: String!) { seriesBySlug(slug: $slug) { id } }",
            json!({}),
        ),
        Case::gql(
            "variable coercion under graphql-response+json",
            "query($slug: String!) { seriesBySlug(slug: $slug) { id } }",
            json!({ "slug": null }),
        )
        .accept("application/graphql-response+json")
        .expect(400, "BAD_USER_INPUT"),
        Case::gql(
            "two operations, no operationName",
            "query A { __typename } query B { __typename }",
            json!({}),
        ),
        Case::gql(
            "subscription over HTTP",
            "subscription { releaseAlerts { cursor } }",
            json!({}),
        ),
        // IDs.
        Case::gql(
            "malformed ID",
            "{ node(id: \"!!!not base64\") { id } }",
            json!({}),
        ),
        Case::gql(
            "ID of an unknown type",
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid("Password", 1) }),
        ),
        Case::gql(
            "negative row in an ID",
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": gid("Series", -1) }),
        ),
        Case::gql(
            "wrong-type ID",
            "mutation($id: ID!) { updateSeries(id: $id, input: { title: \"x\" }) { id } }",
            json!({ "id": installment }),
        )
        .admin(),
        Case::gql(
            "ID of nothing",
            "mutation($id: ID!) { updateSeries(id: $id, input: { title: \"x\" }) { id } }",
            json!({ "id": gid("Series", 999_999) }),
        )
        .admin()
        .expect(200, "NOT_FOUND"),
        Case::gql(
            "numeric ID overflow",
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": URL_SAFE_NO_PAD.encode(format!("Series:{}", "9".repeat(40))) }),
        ),
        // Dates and numbers.
        Case::gql(
            "February 30th",
            publish,
            json!({ "id": installment, "at": "2031-02-30T10:00:00Z" }),
        )
        .admin(),
        Case::gql(
            "date without an offset",
            publish,
            json!({ "id": installment, "at": "2031-01-01T10:00:00" }),
        )
        .admin(),
        Case::gql(
            "hour 25",
            publish,
            json!({ "id": installment, "at": "2031-01-01T25:00:00Z" }),
        )
        .admin(),
        Case::gql(
            "negative first",
            "{ allSeries(first: -1) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "first over the page size",
            "{ allSeries(first: 101) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "Int overflow",
            "{ allSeries(first: 99999999999) { totalCount } }",
            json!({}),
        ),
        Case::gql(
            "float for an Int",
            create_installment,
            installment_input(json!({ "number": 1.5 })),
        )
        .admin(),
        Case::gql(
            "negative installment number",
            create_installment,
            installment_input(json!({ "number": -2 })),
        )
        .admin(),
        Case::gql(
            "huge episode count",
            create_installment,
            installment_input(json!({ "episodeCount": 2_147_483_647 })),
        )
        .admin(),
        Case::gql(
            "number beyond 64 bits",
            create_installment,
            installment_input(json!({ "number": 1e30 })),
        )
        .admin(),
        // Strings.
        Case::gql(
            "oversized title",
            create_series,
            series_input(json!({ "title": "x".repeat(201) })),
        )
        .admin(),
        Case::gql(
            "oversized synopsis",
            create_series,
            series_input(json!({ "synopsis": "🎬".repeat(10_001) })),
        )
        .admin(),
        Case::gql(
            "control characters",
            create_series,
            series_input(json!({ "title": "bell\u{7}\u{0}" })),
        )
        .admin(),
        Case::gql(
            "blank title",
            create_series,
            series_input(json!({ "title": "   " })),
        )
        .admin(),
        Case::gql(
            "slug with SQL",
            create_series,
            series_input(json!({ "slug": "x'; DROP TABLE series; --" })),
        )
        .admin(),
        Case::gql(
            "too many genres",
            create_series,
            series_input(json!({ "genres": (0..51).map(|i| format!("g{i}")).collect::<Vec<_>>() })),
        )
        .admin(),
        Case::gql(
            "duplicate slug",
            create_series,
            series_input(json!({ "slug": "soundtrack" })),
        )
        .admin()
        .expect(200, "CONFLICT"),
        Case::gql(
            "duplicate installment number",
            create_installment,
            installment_input(json!({ "number": 2 })),
        )
        .admin()
        .expect(200, "CONFLICT"),
        Case::gql(
            "javascript URL",
            "mutation($input: CreateInterviewInput!) { createInterview(input: $input) { id } }",
            json!({ "input": {
                "installmentId": installment, "outlet": "x", "title": "y",
                "url": "javascript:alert(1)"
            } }),
        )
        .admin(),
        // Credentials.
        Case::gql(
            "mutation without a token",
            create_series,
            series_input(json!({})),
        )
        .expect(200, "UNAUTHENTICATED"),
        Case::gql(
            "unreleased status without a token",
            "{ allInstallments(filter: { status: DRAFT }) { totalCount } }",
            json!({}),
        )
        .expect(200, "FORBIDDEN"),
        Case::gql(
            "nested unreleased status without a token",
            "query($id: ID!) { node(id: $id) { ... on Series { installments(status: SCHEDULED) { totalCount } } } }",
            json!({ "id": series }),
        )
        .expect(200, "FORBIDDEN"),
    ]
}
