//! `GET /room/{id}/search`: messages whose current text holds the query, in any case and any
//! script (Chinese and Japanese included, substrings within words too), newest first, paged by
//! cursor; deleted messages never, edited ones by their new text; the short queries the index
//! cannot find read the messages, 5,000 at most per page; every refusal a JSON 4xx.

use serde_json::{json, Value};

use crate::helpers::{app, Resp, Staffed, User, NOBODY, UNKNOWN_ID};
use crate::live::posted;
use crate::reactions::react;

fn search(room: &str, by: Option<&User>, params: &[(&str, &str)]) -> Resp {
    app().get(&format!("/room/{room}/search")).by(by).queries(params).send()
}

/// The texts found for `q` (asserting a 200), newest first, and the page's `next`.
fn found(room: &str, params: &[(&str, &str)]) -> (Vec<String>, Value) {
    let answer = search(room, NOBODY, params);
    answer.assert_status(200);
    let messages = answer.body["messages"].as_array().unwrap_or_else(|| panic!("{}", answer.text));
    (messages.iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect(), answer.body["next"].clone())
}

fn texts(room: &str, q: &str) -> Vec<String> {
    found(room, &[("q", q)]).0
}

#[test]
fn a_search_finds_substrings_in_any_case_and_any_script_newest_first() {
    let room = Staffed::new(true);
    for text in [
        "Meet me in Tokyo",
        "東京で会いましょう",
        "Überraschung!",
        "ΛΌΓΟΣ and λόγος",
        "서울에서 만나요",
        "nothing to see",
        "tokyo again, in lower case",
    ] {
        posted(app(), &room.id, &room.member, text);
    }
    assert_eq!(texts(&room.id, "TOKYO"), ["tokyo again, in lower case", "Meet me in Tokyo"]);
    assert_eq!(texts(&room.id, "東京で"), ["東京で会いましょう"]);
    assert_eq!(texts(&room.id, "会いまし"), ["東京で会いましょう"]);
    assert_eq!(texts(&room.id, "raschung"), ["Überraschung!"]);
    assert_eq!(texts(&room.id, "üBER"), ["Überraschung!"]);
    assert_eq!(texts(&room.id, "λόγος"), ["ΛΌΓΟΣ and λόγος"]);
    assert_eq!(texts(&room.id, "에서 만"), ["서울에서 만나요"]);
    // Two characters make a word in Chinese and Japanese, one a word too: found by reading.
    assert_eq!(texts(&room.id, "東京"), ["東京で会いましょう"]);
    assert_eq!(texts(&room.id, "서울"), ["서울에서 만나요"]);
    assert_eq!(texts(&room.id, "京"), ["東京で会いましょう"]);
    assert_eq!(texts(&room.id, "ÜB"), ["Überraschung!"]);
    assert_eq!(texts(&room.id, "zebra"), Vec::<String>::new());
    // What the index would read as its syntax is only text.
    posted(app(), &room.id, &room.member, r#"she said "NEAR(a b)" OR* NOT"#);
    assert_eq!(texts(&room.id, r#""NEAR(a b)" OR*"#), [r#"she said "NEAR(a b)" OR* NOT"#]);
    assert_eq!(texts(&room.id, "OR*"), [r#"she said "NEAR(a b)" OR* NOT"#]);
}

#[test]
fn deleted_messages_are_never_found_and_edited_ones_by_their_new_text_only() {
    let room = Staffed::new(true);
    let edited = posted(app(), &room.id, &room.member, "the first draft");
    let deleted = posted(app(), &room.id, &room.member, "a draft to delete");
    app()
        .edit_message(&room.id, &room.member, edited["message_id"].as_str().unwrap(), "the final word")
        .assert_status(200);
    app().delete_message(&room.id, &room.member, deleted["message_id"].as_str().unwrap()).assert_status(204);
    for q in ["draft", "dr", "first"] {
        assert_eq!(texts(&room.id, q), Vec::<String>::new(), "{q}");
    }
    assert_eq!(texts(&room.id, "final"), ["the final word"]);
    assert_eq!(texts(&room.id, "fi"), ["the final word"]);
}

#[test]
fn found_messages_page_back_by_cursor_and_carry_their_replies_and_reactions() {
    let room = Staffed::new(true);
    let first = posted(app(), &room.id, &room.member, "match one");
    posted(app(), &room.id, &room.member, "no");
    let reply = app().post(&room.path("/messages")).by(&room.admin).json(json!({
        "text": "match two", "reply_to": first["message_id"]
    }));
    reply.assert_status(201);
    posted(app(), &room.id, &room.member, "match three");
    react(&room.id, &room.member, reply.body["message_id"].as_str().unwrap(), "👍").assert_status(200);
    for q in ["match", "ma"] {
        let (page, next) = found(&room.id, &[("q", q), ("limit", "2")]);
        assert_eq!(page, ["match three", "match two"], "{q}");
        let (rest, end) = found(&room.id, &[("q", q), ("limit", "2"), ("before", next.as_str().unwrap())]);
        assert_eq!((rest, end), (vec!["match one".to_string()], Value::Null), "{q}");
    }
    let answer = search(&room.id, Some(&room.member), &[("q", "match two")]);
    answer.assert_status(200);
    let message = &answer.body["messages"][0];
    assert_eq!(message["reply_to"]["preview"], "match one");
    assert_eq!(message["reactions"], json!([{ "key": "👍", "count": 1, "me": true }]));
    // Exactly as the history shows it, to the same reader.
    let history = app().messages(&room.id, &room.member, &[]);
    let same = history.body["messages"].as_array().unwrap().iter().find(|m| m["text"] == "match two").unwrap().clone();
    assert_eq!(*message, same);
}

#[test]
fn whoever_may_read_the_room_may_search_it_and_every_bad_query_is_a_400() {
    let room = Staffed::new(false);
    posted(app(), &room.id, &room.member, "a secret plan");
    let stranger = app().sign_up("stranger");
    search(&room.id, Some(&stranger), &[("q", "secret")]).assert_error(404);
    search(&room.id, NOBODY, &[("q", "secret")]).assert_error(404);
    assert_eq!(search(&room.id, Some(&room.admin), &[("q", "secret")]).body["messages"][0]["text"], "a secret plan");
    let long = "x".repeat(101);
    for params in [
        vec![],
        vec![("q", "")],
        vec![("q", "   ")],
        vec![("q", long.as_str())],
        vec![("q", "a\u{7}")],
        vec![("q", "plan"), ("limit", "x")],
        vec![("q", "plan"), ("limit", "501")],
        vec![("q", "plan"), ("before", "not-an-id")],
    ] {
        search(&room.id, Some(&room.member), &params).assert_error(400);
    }
    search(&room.id, Some(&room.member), &[("q", "plan"), ("before", UNKNOWN_ID)]).assert_error(404);
    assert_eq!(search(&room.id, Some(&room.member), &[("q", &"é".repeat(100))]).status, 200);
}

#[test]
fn a_short_query_reads_5000_messages_a_page_and_its_next_reads_on_to_the_first() {
    let app = app();
    let owner = app.sign_up("busy");
    let room = app.create_named_room(&owner, "busy", true);
    // The match is the room's first message, under 5,010 others: the first page reads 5,000
    // and finds nothing, and says where to read on.
    posted(app, &room, &owner, "東京 at the very start");
    for n in 0..5_010 {
        let posted = app.post_message(&room, &owner, &format!("filler {n}"));
        assert_eq!(posted.status, 201, "{}", posted.text);
    }
    let (first, next) = found(&room, &[("q", "東京")]);
    assert_eq!(first, Vec::<String>::new());
    let before = next.as_str().expect("a next: the page read 5,000 messages and stopped").to_owned();
    let (second, end) = found(&room, &[("q", "東京"), ("before", &before)]);
    assert_eq!((second, end), (vec!["東京 at the very start".to_string()], Value::Null));
    // The index finds it at once, whatever lies above.
    assert_eq!(texts(&room, "東京 a"), ["東京 at the very start"]);
}
