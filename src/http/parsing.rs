//! Reading GraphQL over HTTP requests: a POST body (one request object, or a
//! non-empty batch of them) and a GET query string. A malformed request (bad JSON, a
//! missing or mistyped `query`, `variables`, `operationName` or `extensions`) is
//! refused with `400`, a body over the limit with `413` ([`super::body_limit`]).

use async_graphql::{BatchRequest, Variables};
use axum::body::Body;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde::Deserialize;

use super::negotiation::check_content_type;
use super::refusal::Refusal;
use crate::config::Settings;
use crate::metrics::Limit;

/// Reads a POST: its content type, its body (at most `max_body_bytes`) and the one
/// request object or the batch (at most `max_batch_size` objects) in it.
pub async fn read_post(
    headers: &HeaderMap,
    body: Body,
    settings: &Settings,
) -> Result<BatchRequest, Refusal> {
    let (max_body, max_batch) = (settings.max_body_bytes, settings.max_batch_size);
    check_content_type(headers)?;
    let bytes = super::body_limit::read(headers, body, max_body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Refusal::bad_request(
            "the request body is empty; send a JSON object with a `query`",
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|err| {
        Refusal::bad_request(format!("the request body is not valid JSON: {err}"))
    })?;
    match json {
        serde_json::Value::Object(params) => Ok(BatchRequest::Single(request(params)?)),
        serde_json::Value::Array(items) => {
            if items.is_empty() {
                return Err(Refusal::bad_request(
                    "a batch must hold at least one request",
                ));
            }
            if items.len() > max_batch {
                return Err(Refusal::over_limit(
                    StatusCode::BAD_REQUEST,
                    Limit::BatchSize,
                    format!(
                        "a batch holds {} requests, at most {max_batch} are allowed",
                        items.len()
                    ),
                ));
            }
            let requests = items
                .into_iter()
                .map(|item| match item {
                    serde_json::Value::Object(params) => request(params),
                    _ => Err(Refusal::bad_request(
                        "each request of a batch must be a JSON object",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(BatchRequest::Batch(requests))
        }
        _ => Err(Refusal::bad_request(
            "the request body must be a JSON object (or an array of them, a batch)",
        )),
    }
}

/// One request object of a POST body.
fn request(
    mut params: serde_json::Map<String, serde_json::Value>,
) -> Result<async_graphql::Request, Refusal> {
    use serde_json::Value as Json;
    let extensions = match params.remove("extensions") {
        None | Some(Json::Null) => None,
        Some(extensions @ Json::Object(_)) => Some(extensions),
        Some(_) => {
            return Err(Refusal::bad_request(
                "`extensions` must be an object or null",
            ))
        }
    };
    let query = match params.remove("query") {
        Some(Json::String(query)) => query,
        // A persisted query may leave its document out (crate::persisted).
        None | Some(Json::Null) if is_persisted(&extensions) => String::new(),
        None | Some(Json::Null) => {
            return Err(Refusal::bad_request(
                "the request has no `query`: send the GraphQL document as a string",
            ))
        }
        Some(_) => return Err(Refusal::bad_request("`query` must be a string")),
    };
    let operation_name = match params.remove("operationName") {
        None | Some(Json::Null) => None,
        Some(Json::String(name)) => Some(name),
        Some(_) => {
            return Err(Refusal::bad_request(
                "`operationName` must be a string or null",
            ))
        }
    };
    let variables = match params.remove("variables") {
        None | Some(Json::Null) => Variables::default(),
        Some(variables @ Json::Object(_)) => Variables::from_json(variables),
        Some(_) => {
            return Err(Refusal::bad_request(
                "`variables` must be an object or null",
            ))
        }
    };
    let mut request = async_graphql::Request::new(query).variables(variables);
    request.operation_name = operation_name;
    request.extensions = extensions_of(extensions);
    Ok(request)
}

/// Whether a request's extensions ask for a persisted query.
fn is_persisted(extensions: &Option<serde_json::Value>) -> bool {
    extensions
        .as_ref()
        .is_some_and(|e| e.get("persistedQuery").is_some())
}

fn extensions_of(extensions: Option<serde_json::Value>) -> async_graphql::Extensions {
    let mut map = std::collections::HashMap::new();
    if let Some(serde_json::Value::Object(object)) = extensions {
        for (name, value) in object {
            if let Ok(value) = async_graphql::Value::from_json(value) {
                map.insert(name, value);
            }
        }
    }
    async_graphql::Extensions(map)
}

#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// Reads a GET: `query`, `operationName`, and `variables` and `extensions` as JSON.
pub fn read_get(uri: &Uri) -> Result<async_graphql::Request, Refusal> {
    let Query(params) = Query::<GetParams>::try_from_uri(uri)
        .map_err(|err| Refusal::bad_request(format!("the query string is invalid: {err}")))?;
    let json_object =
        |name: &str, text: Option<String>| -> Result<Option<serde_json::Value>, Refusal> {
            let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                return Ok(None);
            };
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Null) => Ok(None),
                Ok(value @ serde_json::Value::Object(_)) => Ok(Some(value)),
                _ => Err(Refusal::bad_request(format!(
                    "`{name}` must be a JSON object (URL-encoded)"
                ))),
            }
        };
    let variables = json_object("variables", params.variables)?
        .map(Variables::from_json)
        .unwrap_or_default();
    let extensions = json_object("extensions", params.extensions)?;
    let query = match params.query {
        Some(query) => query,
        None if is_persisted(&extensions) => String::new(),
        None => {
            return Err(Refusal::bad_request(
                "the request has no `query` parameter: send the GraphQL document",
            ))
        }
    };
    let mut request = async_graphql::Request::new(query).variables(variables);
    request.operation_name = params.operation_name.filter(|name| !name.is_empty());
    request.extensions = extensions_of(extensions);
    Ok(request)
}
