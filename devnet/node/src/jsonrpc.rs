//! JSON-RPC 2.0 framing: parsing single and batch requests, and the error objects of the spec
//! (plus Ethereum's conventions: code 3 for reverts, -32000 for rejected transactions).

use serde_json::{json, Map, Value};

/// Invalid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// Valid JSON that is not a request.
pub const INVALID_REQUEST: i64 = -32600;
/// No such method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Wrong number or type of parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// A fault of the node.
pub const INTERNAL_ERROR: i64 = -32603;
/// The request is well formed but the node refuses it (rejected transaction, unknown account...).
pub const SERVER_ERROR: i64 = -32000;
/// Execution reverted; `data` holds the revert bytes (the convention geth, anvil and nitro follow).
pub const EXECUTION_REVERTED: i64 = 3;

/// An error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    pub fn server(message: impl Into<String>) -> Self {
        Self::new(SERVER_ERROR, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, message)
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), self.code.into());
        error.insert("message".into(), self.message.clone().into());
        if let Some(data) = &self.data {
            error.insert("data".into(), data.clone());
        }
        Value::Object(error)
    }
}

/// One well-formed call.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `None` for a notification, which gets no response.
    pub id: Option<Value>,
    pub method: String,
    /// Positional parameters (absent parameters are an empty list).
    pub params: Vec<Value>,
}

/// One entry of a body: a call, or the error it earns, with the id to answer it under.
pub type Entry = Result<Request, (Value, RpcError)>;

/// A parsed body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Single(Entry),
    Batch(Vec<Entry>),
}

/// Parses a request body; an error here is answered once, with id null.
pub fn parse(body: &[u8], max_batch: usize) -> Result<Body, RpcError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| RpcError::new(PARSE_ERROR, format!("parse error: {e}")))?;
    match value {
        Value::Array(items) if items.is_empty() => {
            Err(RpcError::new(INVALID_REQUEST, "empty batch"))
        }
        Value::Array(items) if items.len() > max_batch => Err(RpcError::new(
            INVALID_REQUEST,
            format!(
                "batch of {} requests exceeds the limit of {max_batch}",
                items.len()
            ),
        )),
        Value::Array(items) => Ok(Body::Batch(items.into_iter().map(request).collect())),
        other => Ok(Body::Single(request(other))),
    }
}

/// Validates one request object.
pub fn request(value: Value) -> Entry {
    let Value::Object(mut object) = value else {
        return Err((
            Value::Null,
            RpcError::new(INVALID_REQUEST, "a request must be a JSON object"),
        ));
    };
    let id = match object.remove("id") {
        None => None,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id),
        Some(_) => {
            return Err((
                Value::Null,
                RpcError::new(INVALID_REQUEST, "id must be a string, a number or null"),
            ))
        }
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    let fail = |message: &str| Err((answer_id.clone(), RpcError::new(INVALID_REQUEST, message)));
    match object.get("jsonrpc") {
        Some(Value::String(v)) if v == "2.0" => {}
        _ => return fail("jsonrpc must be \"2.0\""),
    }
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        _ => return fail("method must be a string"),
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params,
        Some(Value::Object(_)) => {
            return Err((
                answer_id,
                RpcError::invalid_params("parameters must be positional (an array)"),
            ))
        }
        Some(_) => return fail("params must be an array"),
    };
    Ok(Request { id, method, params })
}

/// The response object for `id`.
pub fn response(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn single(body: &str) -> Entry {
        match parse(body.as_bytes(), 10).unwrap() {
            Body::Single(entry) => entry,
            Body::Batch(_) => panic!("expected a single request"),
        }
    }

    #[test]
    fn well_formed_requests() {
        let entry = single(r#"{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}"#).unwrap();
        assert_eq!(entry.id, Some(json!(7)));
        assert_eq!(entry.method, "eth_chainId");
        assert!(entry.params.is_empty());
        let entry =
            single(r#"{"jsonrpc":"2.0","method":"eth_getBalance","params":["0x1","latest"]}"#)
                .unwrap();
        assert_eq!(entry.id, None, "no id: a notification");
        assert_eq!(entry.params.len(), 2);
    }

    #[test]
    fn malformed_requests() {
        assert_eq!(parse(b"{", 10).unwrap_err().code, PARSE_ERROR);
        assert_eq!(parse(b"[]", 10).unwrap_err().code, INVALID_REQUEST);
        let too_many = format!("[{}]", ["1"; 11].join(","));
        assert_eq!(
            parse(too_many.as_bytes(), 10).unwrap_err().code,
            INVALID_REQUEST
        );
        let cases = [
            (r#"1"#, INVALID_REQUEST),
            (r#"{"id":1,"method":"x"}"#, INVALID_REQUEST),
            (r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#, INVALID_REQUEST),
            (r#"{"jsonrpc":"2.0","id":1}"#, INVALID_REQUEST),
            (r#"{"jsonrpc":"2.0","id":1,"method":5}"#, INVALID_REQUEST),
            (
                r#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#,
                INVALID_REQUEST,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#,
                INVALID_REQUEST,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{}}"#,
                INVALID_PARAMS,
            ),
        ];
        for (body, code) in cases {
            let (_, error) = single(body).unwrap_err();
            assert_eq!(error.code, code, "{body}");
        }
    }

    #[test]
    fn batches_keep_their_order_and_their_bad_entries() {
        let Body::Batch(entries) = parse(
            br#"[{"jsonrpc":"2.0","id":1,"method":"a"},2,{"jsonrpc":"2.0","id":"x","method":"b"}]"#,
            10,
        )
        .unwrap() else {
            panic!("expected a batch")
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].as_ref().unwrap().method, "a");
        assert_eq!(entries[1].as_ref().unwrap_err().1.code, INVALID_REQUEST);
        assert_eq!(entries[2].as_ref().unwrap().id, Some(json!("x")));
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z_0-9.]{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("jsonrpc".to_string()),
                        Just("id".to_string()),
                        Just("method".to_string()),
                        Just("params".to_string()),
                        "[a-z]{1,6}"
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Arbitrary bytes never panic the parser; whatever it accepts is valid JSON.
        #[test]
        fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
            if parse(&body, 10).is_ok() {
                prop_assert!(serde_json::from_slice::<Value>(&body).is_ok());
            }
        }

        /// Arbitrary JSON gets either requests or JSON-RPC errors, and every accepted request
        /// says `"jsonrpc": "2.0"` and names its method with a string.
        #[test]
        fn arbitrary_json_is_classified(value in json_value()) {
            let body = serde_json::to_vec(&value).unwrap();
            let entries = match parse(&body, 10) {
                Err(error) => {
                    prop_assert!(error.code == INVALID_REQUEST);
                    return Ok(());
                }
                Ok(Body::Single(entry)) => vec![(value.clone(), entry)],
                Ok(Body::Batch(entries)) => {
                    let items = value.as_array().unwrap().clone();
                    prop_assert_eq!(items.len(), entries.len());
                    items.into_iter().zip(entries).collect()
                }
            };
            for (item, entry) in entries {
                match entry {
                    Ok(request) => {
                        prop_assert_eq!(&item["jsonrpc"], &json!("2.0"));
                        prop_assert_eq!(&item["method"], &json!(request.method));
                        prop_assert_eq!(item.get("id"), request.id.as_ref());
                    }
                    Err((_, error)) => {
                        prop_assert!(error.code == INVALID_REQUEST || error.code == INVALID_PARAMS);
                    }
                }
            }
        }

        /// Requests survive serialisation: what a client sends is what the node sees.
        #[test]
        fn requests_round_trip(
            id in prop_oneof![any::<u64>().prop_map(Value::from), "[a-z0-9]{0,8}".prop_map(Value::from)],
            method in "[a-zA-Z_]{1,24}",
            params in prop::collection::vec(json_value(), 0..4),
        ) {
            let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            let entry = single(&body.to_string()).unwrap();
            prop_assert_eq!(entry.id, Some(id));
            prop_assert_eq!(entry.method, method);
            prop_assert_eq!(entry.params, params);
        }
    }
}
