//! Minification in every mode: exact outputs for the bodies that break naive minifiers, the
//! shared SNAP vectors, error positions, and properties of the lexical mode.
//!
//! Expected JS outputs were checked against Node's `JSON.stringify(JSON.parse(..))`; the PHP
//! and Go ones follow php-src `json_encoder.c`/`zend_gcvt` and Go's `encoding/json`.

// Test, bench and example code may panic: a failed expectation is the point.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use snap_console::snap::minify::*;

fn lexical(body: &str) -> String {
    minify(body, MinifyMode::Lexical).unwrap()
}
fn js(body: &str) -> String {
    minify(body, MinifyMode::Js).unwrap()
}
fn php(body: &str) -> String {
    minify(body, MinifyMode::Php).unwrap()
}
fn go(body: &str) -> String {
    minify(body, MinifyMode::GoSorted).unwrap()
}
fn err(body: &str, mode: MinifyMode) -> MinifyError {
    minify(body, mode).expect_err("body should be rejected")
}
fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Escapes, raw Unicode, numbers no re-serialiser keeps, whitespace inside strings,
/// nesting, empty containers and a duplicate key, pretty-printed.
const TRICKY: &str = r#"{
  "name": "Jos\u00e9 Ü",
  "emoji": "😀",
  "url": "https:\/\/a.b\/c",
  "quote": "say \"hi\"",
  "spaces": "Tom  Jerry",
  "pad": "   12345",
  "amount": 12345678.00,
  "big": 12345678901234567890,
  "exp": 1E2,
  "neg0": -0,
  "nested": {"list": [1, [2, {"x": []}], {}], "empty": {}},
  "dup": 1,
  "dup": 2
}"#;

#[test]
fn tricky_body_lexical_keeps_every_byte_but_whitespace() {
    assert_eq!(
        lexical(TRICKY),
        r#"{"name":"Jos\u00e9 Ü","emoji":"😀","url":"https:\/\/a.b\/c","quote":"say \"hi\"","spaces":"Tom  Jerry","pad":"   12345","amount":12345678.00,"big":12345678901234567890,"exp":1E2,"neg0":-0,"nested":{"list":[1,[2,{"x":[]}],{}],"empty":{}},"dup":1,"dup":2}"#
    );
}

#[test]
fn tricky_body_js() {
    assert_eq!(
        js(TRICKY),
        r#"{"name":"José Ü","emoji":"😀","url":"https://a.b/c","quote":"say \"hi\"","spaces":"Tom  Jerry","pad":"   12345","amount":12345678,"big":12345678901234567000,"exp":100,"neg0":0,"nested":{"list":[1,[2,{"x":[]}],{}],"empty":{}},"dup":2}"#
    );
}

#[test]
fn tricky_body_php() {
    assert_eq!(
        php(TRICKY),
        r#"{"name":"Jos\u00e9 \u00dc","emoji":"\ud83d\ude00","url":"https:\/\/a.b\/c","quote":"say \"hi\"","spaces":"Tom  Jerry","pad":"   12345","amount":12345678,"big":1.2345678901234567e+19,"exp":100,"neg0":0,"nested":{"list":[1,[2,{"x":[]}],{}],"empty":{}},"dup":2}"#
    );
}

#[test]
fn tricky_body_go_sorted() {
    assert_eq!(
        go(TRICKY),
        r#"{"amount":12345678,"big":12345678901234567000,"dup":2,"emoji":"😀","exp":100,"name":"José Ü","neg0":-0,"nested":{"empty":{},"list":[1,[2,{"x":[]}],{}]},"pad":"   12345","quote":"say \"hi\"","spaces":"Tom  Jerry","url":"https://a.b/c"}"#
    );
}

#[test]
fn none_mode_is_the_body_as_typed() {
    assert_eq!(minify(TRICKY, MinifyMode::None).unwrap(), TRICKY);
    assert_eq!(
        minify("not json at all", MinifyMode::None).unwrap(),
        "not json at all"
    );
}

#[test]
fn crlf_line_endings_are_whitespace() {
    let crlf = TRICKY.replace('\n', "\r\n");
    assert!(crlf.contains("\r\n"));
    for mode in MinifyMode::ALL {
        if mode != MinifyMode::None {
            assert_eq!(minify(&crlf, mode), minify(TRICKY, mode), "{mode}");
        }
    }
    assert_eq!(lexical("[\r\n\t1 ,\r\n 2\r\n]\r\n"), "[1,2]");
}

#[test]
fn empty_and_whitespace_only_bodies_hash_the_empty_string() {
    for body in ["", " ", "\r\n", "\t \n \r\n  "] {
        for mode in MinifyMode::ALL {
            assert_eq!(minify(body, mode).unwrap(), "", "{mode} {body:?}");
        }
    }
    assert_eq!(
        sha256_hex(&lexical("")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    // `{}` is not an empty body (SNAP_NOTES §1.2).
    assert_eq!(
        sha256_hex(&lexical(" { } ")),
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
}

#[test]
fn empty_containers_stay_as_they_are() {
    for mode in [
        MinifyMode::Lexical,
        MinifyMode::Js,
        MinifyMode::Php,
        MinifyMode::GoSorted,
    ] {
        assert_eq!(minify(" { } ", mode).unwrap(), "{}", "{mode}");
        assert_eq!(minify(" [ ] ", mode).unwrap(), "[]", "{mode}");
        assert_eq!(
            minify(r#"{"a": {}, "b": [ ]}"#, mode).unwrap(),
            r#"{"a":{},"b":[]}"#,
            "{mode}"
        );
    }
}

#[test]
fn scalar_top_level_values() {
    for mode in [
        MinifyMode::Lexical,
        MinifyMode::Js,
        MinifyMode::Php,
        MinifyMode::GoSorted,
    ] {
        assert_eq!(minify(" null ", mode).unwrap(), "null");
        assert_eq!(minify("\ttrue\n", mode).unwrap(), "true");
        assert_eq!(minify("false", mode).unwrap(), "false");
        assert_eq!(minify(r#" "a b" "#, mode).unwrap(), r#""a b""#);
        assert_eq!(minify(" 7 ", mode).unwrap(), "7");
    }
}

/// SNAP_NOTES §2: one body, and every re-serialiser hashes something different.
#[test]
fn notes_experiment_gives_four_different_hashes() {
    let body = r#"{
  "url": "https://a.b/c",
  "name": "Jos\u00e9 Ü",
  "amount": 12345678.00,
  "big": 12345678901234567890,
  "exp": 1E2,
  "slash": "\/"
}"#;
    let expected = [
        (
            MinifyMode::Lexical,
            r#"{"url":"https://a.b/c","name":"Jos\u00e9 Ü","amount":12345678.00,"big":12345678901234567890,"exp":1E2,"slash":"\/"}"#,
        ),
        (
            MinifyMode::Js,
            r#"{"url":"https://a.b/c","name":"José Ü","amount":12345678,"big":12345678901234567000,"exp":100,"slash":"/"}"#,
        ),
        (
            MinifyMode::Php,
            r#"{"url":"https:\/\/a.b\/c","name":"Jos\u00e9 \u00dc","amount":12345678,"big":1.2345678901234567e+19,"exp":100,"slash":"\/"}"#,
        ),
        (
            MinifyMode::GoSorted,
            r#"{"amount":12345678,"big":12345678901234567000,"exp":100,"name":"José Ü","slash":"/","url":"https://a.b/c"}"#,
        ),
    ];
    let mut hashes = Vec::new();
    for (mode, want) in expected {
        let got = minify(body, mode).unwrap();
        assert_eq!(got, want, "{mode}");
        hashes.push(sha256_hex(&got));
    }
    hashes.push(sha256_hex(&minify(body, MinifyMode::None).unwrap()));
    let mut distinct = hashes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "{hashes:?}");
}

#[test]
fn string_escapes_per_mode() {
    let body = r#"["<a&b>", "\u2028", "\b\f\n\r\t", "\u0001\u001f", "\u007f", "\ud83d\ude00", "tab\tin", "\/"]"#;
    assert_eq!(
        lexical(body),
        r#"["<a&b>","\u2028","\b\f\n\r\t","\u0001\u001f","\u007f","\ud83d\ude00","tab\tin","\/"]"#
    );
    assert_eq!(
        js(body),
        "[\"<a&b>\",\"\u{2028}\",\"\\b\\f\\n\\r\\t\",\"\\u0001\\u001f\",\"\u{7f}\",\"😀\",\"tab\\tin\",\"/\"]"
    );
    assert_eq!(
        php(body),
        "[\"<a&b>\",\"\\u2028\",\"\\b\\f\\n\\r\\t\",\"\\u0001\\u001f\",\"\u{7f}\",\"\\ud83d\\ude00\",\"tab\\tin\",\"\\/\"]"
    );
    assert_eq!(
        go(body),
        "[\"\\u003ca\\u0026b\\u003e\",\"\\u2028\",\"\\b\\f\\n\\r\\t\",\"\\u0001\\u001f\",\"\u{7f}\",\"😀\",\"tab\\tin\",\"/\"]"
    );
}

#[test]
fn raw_unicode_per_mode() {
    let body = "{\"k\": \"José Ü 😀 \u{2029}\"}";
    assert_eq!(lexical(body), "{\"k\":\"José Ü 😀 \u{2029}\"}");
    assert_eq!(js(body), "{\"k\":\"José Ü 😀 \u{2029}\"}");
    assert_eq!(php(body), r#"{"k":"Jos\u00e9 \u00dc \ud83d\ude00 \u2029"}"#);
    assert_eq!(go(body), "{\"k\":\"José Ü 😀 \\u2029\"}");
}

#[test]
fn lone_surrogates_per_mode() {
    let body = r#"["\ud800x", "\udc00", "\ud83d\u0041"]"#;
    assert_eq!(lexical(body), r#"["\ud800x","\udc00","\ud83d\u0041"]"#);
    assert_eq!(js(body), r#"["\ud800x","\udc00","\ud83dA"]"#);
    assert_eq!(go(body), "[\"\u{fffd}x\",\"\u{fffd}\",\"\u{fffd}A\"]");
    let e = err(body, MinifyMode::Php);
    assert_eq!((e.line, e.column), (1, 2));
    assert!(e.message.contains("surrogate"), "{e}");
}

#[test]
fn duplicate_keys_per_mode() {
    let body = r#"{"b": 1, "a": 2, "b": {"x": 3}}"#;
    assert_eq!(lexical(body), r#"{"b":1,"a":2,"b":{"x":3}}"#);
    assert_eq!(js(body), r#"{"b":{"x":3},"a":2}"#);
    assert_eq!(php(body), r#"{"b":{"x":3},"a":2}"#);
    assert_eq!(go(body), r#"{"a":2,"b":{"x":3}}"#);
}

#[test]
fn js_lists_array_index_keys_first() {
    let body = r#"{"b":1,"2":2,"1":3,"01":4,"-1":5}"#;
    assert_eq!(js(body), r#"{"1":3,"2":2,"b":1,"01":4,"-1":5}"#);
    assert_eq!(php(body), body);
    assert_eq!(go(body), r#"{"-1":5,"01":4,"1":3,"2":2,"b":1}"#);
}

#[test]
fn numbers_per_mode() {
    let body = "[0, -0, 1E2, 1e21, 1e-7, 0.000001, 12345678.00, 12345678901234567890, \
                9223372036854775807, 9223372036854775808, -9223372036854775808, 1e25, 1e15, \
                0.1, 1.5e-7, 0.00001, 1E+2, -76260901156.765625]";
    assert_eq!(lexical(body), body.replace(' ', ""));
    assert_eq!(
        js(body),
        "[0,0,100,1e+21,1e-7,0.000001,12345678,12345678901234567000,9223372036854776000,\
         9223372036854776000,-9223372036854776000,1e+25,1000000000000000,0.1,1.5e-7,0.00001,100,\
         -76260901156.76562]"
    );
    assert_eq!(
        php(body),
        "[0,0,100,1.0e+21,1.0e-7,1.0e-6,12345678,1.2345678901234567e+19,9223372036854775807,\
         9.223372036854776e+18,-9223372036854775808,1.0e+25,1000000000000000,0.1,1.5e-7,1.0e-5,100,\
         -76260901156.76562]"
    );
    assert_eq!(
        go(body),
        "[0,-0,100,1e+21,1e-7,0.000001,12345678,12345678901234567000,9223372036854776000,\
         9223372036854776000,-9223372036854776000,1e+25,1000000000000000,0.1,1.5e-7,0.00001,100,\
         -76260901156.76562]"
    );
}

#[test]
fn php_float_edges() {
    assert_eq!(
        php("[1e17, 1e16, 123456789012345.0, 0.0001, -0.0, 2.50]"),
        "[1.0e+17,10000000000000000,123456789012345,0.0001,-0,2.5]"
    );
}

#[test]
fn overflowing_numbers() {
    let body = "[1e400]";
    assert_eq!(lexical(body), "[1e400]");
    assert_eq!(js(body), "[null]");
    let e = err(body, MinifyMode::Php);
    assert_eq!((e.line, e.column), (1, 2));
    assert!(e.message.contains("1e400"), "{e}");
    let e = err(body, MinifyMode::GoSorted);
    assert_eq!((e.line, e.column), (1, 2));
    assert!(e.message.contains("float64"), "{e}");
}

#[test]
fn php_rejects_a_nul_property_name() {
    let e = err("{\n \"\\u0000a\": 1}", MinifyMode::Php);
    assert_eq!((e.line, e.column), (2, 2));
    assert_eq!(js("{\"\\u0000a\": 1}"), "{\"\\u0000a\":1}");
}

#[test]
fn whitespace_inside_strings_is_kept() {
    let body = "{ \"partnerServiceId\" : \"   12345\" ,\n \"virtualAccountName\": \"Tom  Jerry\", \"t\": \"a\\tb \" }";
    let want = "{\"partnerServiceId\":\"   12345\",\"virtualAccountName\":\"Tom  Jerry\",\"t\":\"a\\tb \"}";
    for mode in [MinifyMode::Lexical, MinifyMode::Js, MinifyMode::Php] {
        assert_eq!(minify(body, mode).unwrap(), want, "{mode}");
    }
    assert_eq!(
        go(body),
        "{\"partnerServiceId\":\"   12345\",\"t\":\"a\\tb \",\"virtualAccountName\":\"Tom  Jerry\"}"
    );
}

#[test]
fn shared_vectors_minify_lexically() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/vectors/snap/vectors.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path} must exist beside the checkout: {e}"));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for vector in doc["vectors"].as_array().unwrap() {
        let (Some(body), Some(want)) = (vector["body"].as_str(), vector["minifiedBody"].as_str())
        else {
            continue;
        };
        assert_eq!(lexical(body), want, "vector {}", vector["name"]);
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} vectors had a body");
}

// ----- errors --------------------------------------------------------------------------

/// Asserts the error is the same in every validating mode and returns it.
fn error_everywhere(body: &str) -> MinifyError {
    let e = err(body, MinifyMode::Lexical);
    for mode in [MinifyMode::Js, MinifyMode::Php, MinifyMode::GoSorted] {
        assert_eq!(err(body, mode), e, "{mode}");
    }
    e
}

fn assert_error(body: &str, line: usize, column: usize, fragment: &str) {
    let e = error_everywhere(body);
    assert_eq!((e.line, e.column), (line, column), "{body:?}: {e}");
    assert!(
        e.message.contains(fragment),
        "{body:?}: {e:?} lacks {fragment:?}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("invalid JSON at line {line}, column {column}: "))
    );
}

#[test]
fn trailing_comma() {
    assert_error(r#"{"a":1,}"#, 1, 8, "trailing comma");
    assert_error("[1,2,]", 1, 6, "trailing comma");
    assert_error("{\r\n\"a\":1,\r\n}", 3, 1, "trailing comma");
}

#[test]
fn missing_comma_on_line_three() {
    let body = "{\n  \"a\": 1\n  \"b\": 2\n}";
    assert_error(body, 3, 3, "expected ',' or '}' after an object member");
    assert_error(
        "[1\n 2]",
        2,
        2,
        "expected ',' or ']' after an array element",
    );
}

#[test]
fn unterminated_string() {
    assert_error(r#"{"a": "abc"#, 1, 7, "unterminated string");
    assert_error("{\"a\": \"abc\n\"}", 1, 11, "line break inside a string");
}

#[test]
fn trailing_characters() {
    assert_error(
        r#"{"a":1} x"#,
        1,
        9,
        "trailing characters after the JSON value",
    );
    assert_error("{}{}", 1, 3, "trailing characters");
}

#[test]
fn truncated_bodies() {
    assert_error("{", 1, 2, "unexpected end of input");
    assert_error("[", 1, 2, "unexpected end of input");
    assert_error("{\"a\"", 1, 5, "expected ':'");
    assert_error("{\"a\":", 1, 6, "expected a JSON value");
    assert_error("[1", 1, 3, "unexpected end of input");
}

#[test]
fn other_grammar_errors() {
    assert_error("[01]", 1, 2, "leading zeros");
    assert_error("[1.]", 1, 4, "decimal point");
    assert_error("[1e]", 1, 4, "exponent");
    assert_error("[-]", 1, 3, "digit after '-'");
    assert_error("[+1]", 1, 2, "expected a JSON value");
    assert_error(r#"["\x"]"#, 1, 3, "invalid escape");
    assert_error(r#"["\u12G4"]"#, 1, 3, "four hex digits");
    assert_error("[\"a\u{1}b\"]", 1, 4, "U+0001");
    assert_error("{'a': 1}", 1, 2, "double quotes");
    assert_error("{a: 1}", 1, 2, "expected a string key");
    assert_error("[tru]", 1, 2, "invalid literal");
    assert_error("[NaN]", 1, 2, "expected a JSON value");
    assert_error("\u{feff}{}", 1, 1, "byte order mark");
    assert_error("{\"é\": tru}", 1, 7, "invalid literal");
    assert_error("{\"a\" 1}", 1, 6, "expected ':' after an object key");
}

#[test]
fn depth_bomb_is_an_error_not_a_stack_overflow() {
    let bomb = "[".repeat(100_000);
    let e = error_everywhere(&bomb);
    assert_eq!((e.line, e.column), (1, 513));
    assert!(e.message.contains("nesting"), "{e}");

    let closed = format!("{}{}", "[".repeat(600), "]".repeat(600));
    assert!(error_everywhere(&closed).message.contains("nesting"));

    let objects = "{\"a\":".repeat(100_000);
    assert!(error_everywhere(&objects).message.contains("nesting"));
}

#[test]
fn nesting_up_to_the_limit_works_in_every_mode() {
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let spaced = format!("{} {}", "[ ".repeat(MAX_DEPTH), " ]".repeat(MAX_DEPTH));
    for mode in [
        MinifyMode::Lexical,
        MinifyMode::Js,
        MinifyMode::Php,
        MinifyMode::GoSorted,
    ] {
        assert_eq!(minify(&spaced, mode).unwrap(), deep, "{mode}");
    }
}

#[test]
fn a_one_megabyte_body() {
    let item = r#"  { "partnerServiceId": "   12345", "amount": {"value": "12345678.00", "currency": "IDR"}, "n": 6011 },
"#;
    let count = (1 << 20) / item.len() + 1;
    let body = format!("[\n{}  {{}}\n]", item.repeat(count));
    assert!(body.len() > 1 << 20);
    let start = std::time::Instant::now();
    let out = lexical(&body);
    let elapsed = start.elapsed();
    let one = r#"{"partnerServiceId":"   12345","amount":{"value":"12345678.00","currency":"IDR"},"n":6011},"#;
    assert_eq!(out.len(), 2 + one.len() * count + 2);
    assert!(out.starts_with(&format!("[{one}{one}")));
    // Generous: a debug build on a busy 2-core machine; release takes a few ms.
    assert!(elapsed.as_secs() < 5, "{elapsed:?}");
    assert_eq!(js(&body), out);
}

// ----- the mode type -------------------------------------------------------------------

#[test]
fn mode_names_parse_display_and_serde() {
    let names = ["lexical", "js", "php", "go-sorted", "none"];
    assert_eq!(MinifyMode::ALL.map(MinifyMode::name), names);
    assert_eq!(MinifyMode::default(), MinifyMode::Lexical);
    for mode in MinifyMode::ALL {
        assert_eq!(mode.name().parse::<MinifyMode>(), Ok(mode));
        assert_eq!(mode.to_string(), mode.name());
        assert_eq!(
            serde_json::to_string(&mode).unwrap(),
            format!("\"{}\"", mode.name())
        );
        assert_eq!(
            serde_json::from_str::<MinifyMode>(&format!("\"{}\"", mode.name())).unwrap(),
            mode
        );
        let describe = mode.describe();
        assert!(!describe.is_empty() && !describe.contains('\n'));
    }
    assert_eq!(
        " Go-Sorted ".parse::<MinifyMode>(),
        Ok(MinifyMode::GoSorted)
    );
    let e = "compact".parse::<MinifyMode>().unwrap_err();
    for name in names {
        assert!(e.contains(name), "{e}");
    }
}

// ----- properties ----------------------------------------------------------------------

/// A JSON tree whose strings and numbers are kept as raw JSON text, so the generator
/// controls exactly which escapes and spellings appear.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

fn string_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,8}",
        "[^\"\\\\\\p{C}]{1,4}",
        Just("Tom  Jerry".to_owned()),
        Just("   ".to_owned()),
        Just("José Ü 😀".to_owned()),
        Just("\u{2028}<&>/".to_owned()),
        Just(r"\/".to_owned()),
        Just(r"\u00e9".to_owned()),
        Just(r"\uD83D\uDE00".to_owned()),
        Just(r#"\""#.to_owned()),
        Just(r"\\".to_owned()),
        Just(r"\b\f\n\r\t".to_owned()),
        Just(r"\u0000\u001F".to_owned()),
    ]
}

/// Raw text of a string literal, quotes included.
fn json_string() -> impl Strategy<Value = String> {
    prop::collection::vec(string_piece(), 0..4)
        .prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

/// Any JSON number spelling, up to 29 significant digits and 2-digit exponents.
const ANY_NUMBER: &str = "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,8})?([eE][+-]?[0-9]{1,2})?";

/// Numbers that serde_json's default (not correctly rounded) float parser reads exactly:
/// integers that fit i64, and decimals with at most 13 significant digits and a small
/// exponent. The oracle of the re-serialising property must not add its own rounding.
const EXACT_NUMBER: &str =
    "-?([1-9][0-9]{0,17}|(0|[1-9][0-9]{0,6})(\\.[0-9]{1,6})?([eE][+-]?[0-9])?)";

fn json_tree(numbers: &'static str) -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        numbers.prop_map(J::Num),
        json_string().prop_map(J::Str),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Arr),
            prop::collection::vec((json_string(), inner), 0..6).prop_map(J::Obj),
        ]
    })
}

/// Prints a tree with pseudo-random whitespace between every pair of tokens.
fn print_spaced(tree: &J, seed: u64) -> String {
    struct Printer {
        state: u64,
        out: String,
    }
    impl Printer {
        fn ws(&mut self) {
            // xorshift64*: deterministic per seed, so a failing case can be replayed.
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let r = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 59;
            self.out
                .push_str(["", "", " ", "  ", "\n", "\r\n", "\t", "\n    "][(r % 8) as usize]);
        }
        fn tree(&mut self, tree: &J) {
            self.ws();
            match tree {
                J::Null => self.out.push_str("null"),
                J::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
                J::Num(raw) | J::Str(raw) => self.out.push_str(raw),
                J::Arr(items) => {
                    self.out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.tree(item);
                    }
                    self.ws();
                    self.out.push(']');
                }
                J::Obj(members) => {
                    self.out.push('{');
                    for (i, (key, value)) in members.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.ws();
                        self.out.push_str(key);
                        self.ws();
                        self.out.push(':');
                        self.tree(value);
                    }
                    self.ws();
                    self.out.push('}');
                }
            }
            self.ws();
        }
    }
    let mut printer = Printer {
        state: seed | 1,
        out: String::new(),
    };
    printer.tree(tree);
    printer.out
}

/// Splits valid JSON text into its string literals (raw, quotes included) and the text
/// outside them.
fn split_strings(json: &str) -> (Vec<&str>, String) {
    let bytes = json.as_bytes();
    let (mut strings, mut outside) = (Vec::new(), String::new());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            let start = i;
            i += 1;
            while bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            strings.push(&json[start..i]);
        } else {
            outside.push(bytes[i] as char);
            i += 1;
        }
    }
    (strings, outside)
}

/// Whether a number token `-0` (exactly) appears outside the strings.
fn has_negative_zero(json: &str) -> bool {
    let (_, outside) = split_strings(json);
    outside.match_indices("-0").any(|(i, _)| {
        !outside[i + 2..].starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == 'e')
    })
}

/// A serde_json value with every number as f64, so `12345678.00` and `12345678` compare
/// equal: the re-serialising modes keep values, not spellings.
fn numbers_as_f64(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) => Value::from(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, numbers_as_f64(v)))
                .collect(),
        ),
        other => other,
    }
}

proptest! {
    #[test]
    fn lexical_minify_properties(tree in json_tree(ANY_NUMBER), seed in any::<u64>()) {
        let input = print_spaced(&tree, seed);
        let out = lexical(&input);

        // (1) idempotent
        prop_assert_eq!(&lexical(&out), &out);
        // (2) same JSON value
        let parsed_in: serde_json::Value = serde_json::from_str(&input).unwrap();
        let parsed_out: serde_json::Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(parsed_in, parsed_out);
        // (3) every string literal byte-identical, in the same order
        let (strings_in, _) = split_strings(&input);
        let (strings_out, outside) = split_strings(&out);
        prop_assert_eq!(strings_in, strings_out);
        // (4) no whitespace left outside strings
        prop_assert!(!outside.bytes().any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')), "{}", out);
    }

    #[test]
    fn reserialising_modes_keep_values_and_are_idempotent(tree in json_tree(EXACT_NUMBER), seed in any::<u64>()) {
        let input = print_spaced(&tree, seed);
        let want = numbers_as_f64(serde_json::from_str(&input).unwrap());
        for mode in [MinifyMode::Js, MinifyMode::Php, MinifyMode::GoSorted] {
            let out = match minify(&input, mode) {
                // PHP cannot hold a property named "\u0000…"; that is tested on its own.
                Err(e) if mode == MinifyMode::Php && e.message.contains("\\u0000") => continue,
                result => result.unwrap(),
            };
            // PHP prints a float −0 as `-0`, which decodes again as the integer 0: the one
            // place where json_encode(json_decode(..)) is not idempotent, in PHP too.
            if !(mode == MinifyMode::Php && has_negative_zero(&out)) {
                prop_assert_eq!(&minify(&out, mode).unwrap(), &out, "{} not idempotent", mode);
            }
            let got: serde_json::Value = serde_json::from_str(&out).unwrap();
            prop_assert_eq!(&numbers_as_f64(got), &want, "{}: {}", mode, out);
        }
    }
}
