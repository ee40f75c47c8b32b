//! The front-end Worker of examples/edge-frontend in front of the service: the API under the
//! site's `/api/`, and the public room preview `/r/{room_id}`, both through its service binding.

use std::sync::OnceLock;

use serde_json::json;

use crate::helpers::{Frontend, TestApp, TextAnswer, User, UNKNOWN_ID};
use crate::live::helpers::{Live, ACCESS_LOST};

fn site() -> &'static Frontend {
    static SITE: OnceLock<Frontend> = OnceLock::new();
    SITE.get_or_init(Frontend::spawn)
}

/// The service, as the site's pages reach it: through `/api/`.
fn api() -> &'static TestApp {
    &site().api
}

/// The site runs as the README's `scripts/serve.sh --edge` runs it: the service with its own
/// wrangler.toml's settings (full PBKDF2 iterations) but for the address limits it cannot
/// have behind a binding. So these tests share a few users, each signed up once.
fn owner() -> &'static User {
    static OWNER: OnceLock<User> = OnceLock::new();
    OWNER.get_or_init(|| api().sign_up("edge owner"))
}

fn guest() -> &'static User {
    static GUEST: OnceLock<User> = OnceLock::new();
    GUEST.get_or_init(|| api().sign_up("edge guest"))
}

fn preview(room: &str) -> TextAnswer {
    site().site("GET", &format!("/r/{room}")).send_page()
}

fn room_named(owner: &User, name: &str, open: bool) -> String {
    let response = api().post("/room/").bearer(&owner.key).json(json!({ "name": name, "open": open }));
    response.assert_status(200);
    response.str("room_id")
}

fn post_message(room: &str, author: &User, text: &str) {
    let response = api().post(&format!("/room/{room}/messages")).bearer(&author.key).json(json!({ "text": text }));
    response.assert_status(201);
}

#[test]
fn the_api_under_api_answers_as_the_service() {
    let owner = owner();
    let room = room_named(owner, "edge lobby", true);
    api().get(&format!("/room/{room}")).send().assert_ok(
        200,
        json!({ "open": true, "name": "edge lobby", "user_count": 1, "owner": owner.id, "kind": "room" }),
    );
    post_message(&room, owner, "hello from the edge");
    let page = api().get(&format!("/room/{room}/messages")).send();
    page.assert_status(200);
    assert_eq!(page.body["messages"][0]["text"], json!("hello from the edge"));
    assert_eq!(page.body["messages"][0]["user_id"], json!(owner.id));
}

#[test]
fn a_live_socket_opens_through_the_api_and_gets_the_rooms_events() {
    let owner = owner();
    let room = room_named(owner, "edge live", true);
    // By ticket, as a browser on the site opens it; and a viewer's, without one.
    let mut member = Live::ticketed(api(), &room, owner);
    let mut viewer = Live::viewer(api(), &room);
    member.post("live at the edge", "edge-1");
    let (message, sent) = (member.next_of("message"), member.next_of("sent"));
    assert_eq!(sent["message"]["text"], json!("live at the edge"));
    assert_eq!(message["message"], sent["message"]);
    assert_eq!(viewer.next_of("message")["message"], sent["message"]);
    // A ban closes the banned one's socket with its code, through the binding too.
    let guest = guest();
    api().join(&room, guest);
    let mut banned = Live::bearer(api(), &room, guest);
    api().ban(&room, owner, &guest.id).assert_status(200);
    assert_eq!(banned.next_of("member_left")["user_id"], json!(guest.id));
    banned.expect_close(ACCESS_LOST);
    member.close();
    viewer.close();
}

#[test]
fn the_query_string_goes_through_unchanged() {
    let owner = owner();
    let room = room_named(owner, "paged", true);
    for text in ["first", "second", "third"] {
        post_message(&room, owner, text);
    }
    let page = api().get(&format!("/room/{room}/messages")).query("limit", "2").send();
    page.assert_status(200);
    assert_eq!(page.body["messages"].as_array().unwrap().len(), 2, "{}", page.text);
    assert!(page.body["next"].is_string(), "{}", page.text);
}

#[test]
fn a_key_passes_through_as_a_bearer_header_and_as_a_body_field() {
    let author = owner();
    let room = room_named(author, "keys", true);
    let path = format!("/room/{room}/messages");
    let by_header = api().post(&path).bearer(&author.key).json(json!({ "text": "by header" }));
    by_header.assert_status(201);
    assert_eq!(by_header.str("user_id"), author.id);
    let by_body = api().post(&path).json(json!({ "key": author.key, "text": "by body" }));
    by_body.assert_status(201);
    assert_eq!(by_body.str("user_id"), author.id);
}

#[test]
fn a_closed_room_is_404_through_the_api_without_a_members_key() {
    let owner = owner();
    let stranger = guest();
    let room = room_named(owner, "hidden", false);
    let path = format!("/room/{room}");
    api().get(&path).send().assert_ok(404, json!({ "error": "room not found" }));
    api().get(&path).bearer(&stranger.key).send().assert_ok(404, json!({ "error": "room not found" }));
}

#[test]
fn a_closed_room_is_200_through_the_api_with_a_members_key() {
    let owner = owner();
    let room = room_named(owner, "hidden", false);
    let response = api().get(&format!("/room/{room}")).bearer(&owner.key).send();
    response.assert_status(200);
    assert_eq!(response.body["name"], json!("hidden"));
}

#[test]
fn errors_from_the_api_stay_json_with_their_headers() {
    let not_allowed = api().put(&format!("/room/{UNKNOWN_ID}")).send();
    not_allowed.assert_error(405);
    assert_eq!(not_allowed.header("Allow"), Some("GET, HEAD, PATCH, DELETE, OPTIONS"));
    api().post("/user").raw("application/json", b"{\"username\": ").assert_error(400);
}

#[test]
fn the_preview_of_an_open_room_shows_its_name_member_count_and_messages() {
    let owner = owner();
    let guest = guest();
    let room = room_named(owner, "Book club", true);
    api().join(&room, guest);
    post_message(&room, owner, "Welcome, everyone");
    post_message(&room, guest, "Thanks for having me");
    let page = preview(&room);
    page.assert_status(200);
    assert!(page.text.contains("<h1>Book club</h1>"), "{}", page.text);
    assert!(page.text.contains("2 members"), "{}", page.text);
    let welcome = page.text.find("Welcome, everyone").unwrap_or_else(|| panic!("{}", page.text));
    let thanks = page.text.find("Thanks for having me").unwrap_or_else(|| panic!("{}", page.text));
    assert!(welcome < thanks, "messages are not in the order they were sent: {}", page.text);
    assert!(page.text.contains("<b>edge owner</b>") && page.text.contains("<b>edge guest</b>"), "{}", page.text);
}

#[test]
fn the_preview_shows_a_deleted_message_as_deleted() {
    let owner = owner();
    let room = room_named(owner, "Tidy room", true);
    post_message(&room, owner, "Kept");
    let response =
        api().post(&format!("/room/{room}/messages")).bearer(&owner.key).json(json!({ "text": "Regretted" }));
    response.assert_status(201);
    let deleted =
        api().delete(&format!("/room/{room}/messages/{}", response.str("message_id"))).bearer(&owner.key).send();
    deleted.assert_status(204);
    let page = preview(&room);
    page.assert_status(200);
    assert!(page.text.contains("Kept") && !page.text.contains("Regretted"), "{}", page.text);
    assert!(page.text.contains("This message was deleted."), "{}", page.text);
    assert!(!page.text.contains("undefined"), "{}", page.text);
    // Nobody was looked up for the deleted message (a lookup of `/user/undefined` is a 400).
    let log = api().log();
    let lines = log.lines().filter_map(|line| line.find('{').and_then(|at| line.get(at..)));
    let bad_lookups = lines
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["route"] == "/user/:user_id" && line["status"] == 400)
        .count();
    assert_eq!(bad_lookups, 0, "the preview looked up a user by a malformed id");
}

#[test]
fn the_preview_escapes_markup_in_the_room_name_usernames_and_messages() {
    let author = api().sign_up("<img src=x onerror=alert(2)>");
    let room = room_named(&author, "Tom & Jerry's \"<den>\"", true);
    post_message(&room, &author, "<script>alert(1)</script>");
    let page = preview(&room);
    page.assert_status(200);
    assert!(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", page.text);
    assert!(page.text.contains("Tom &amp; Jerry&#39;s &quot;&lt;den&gt;&quot;"), "{}", page.text);
    assert!(page.text.contains("&lt;img src=x onerror=alert(2)&gt;"), "{}", page.text);
    for raw in ["<script", "<img", "<den>"] {
        assert!(!page.text.contains(raw), "{raw} is in the page unescaped: {}", page.text);
    }
}

#[test]
fn the_preview_is_html_that_may_load_nothing_and_is_cached_briefly() {
    let owner = owner();
    let page = preview(&room_named(owner, "headers", true));
    page.assert_status(200);
    assert_eq!(page.header("Content-Type"), Some("text/html; charset=utf-8"));
    let policy = page.header("Content-Security-Policy").unwrap_or_default();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
    assert_eq!(page.header("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(page.header("Cache-Control"), Some("public, max-age=30"));
}

#[test]
fn the_preview_of_a_closed_room_is_the_apis_404_even_with_a_members_key() {
    let owner = owner();
    let room = room_named(owner, "members only", false);
    let from_api = api().get(&format!("/room/{room}")).send();
    from_api.assert_ok(404, json!({ "error": "room not found" }));
    let page = site().site("GET", &format!("/r/{room}")).bearer(&owner.key).send();
    page.assert_ok(404, from_api.body);
}

#[test]
fn the_preview_of_an_unknown_room_is_the_apis_404() {
    let from_api = api().get(&format!("/room/{UNKNOWN_ID}")).send();
    from_api.assert_ok(404, json!({ "error": "room not found" }));
    site().site("GET", &format!("/r/{UNKNOWN_ID}")).send().assert_ok(404, from_api.body);
}

#[test]
fn a_preview_with_a_malformed_room_id_is_a_json_404() {
    // A path that a preview must not turn into another request on the service.
    let elsewhere = format!("..%2Fuser%2F{}", owner().id);
    for id in ["not-a-room", "00000000-0000-4000-8000-00000000000g", elsewhere.as_str()] {
        site().site("GET", &format!("/r/{id}")).send().assert_ok(404, json!({ "error": "room not found" }));
    }
}

#[test]
fn a_path_outside_api_and_r_is_a_json_404() {
    let below_a_preview = format!("/r/{UNKNOWN_ID}/messages");
    for path in ["/", "/index.html", "/api", "/r/", below_a_preview.as_str(), "/room/"] {
        site().site("GET", path).send().assert_error(404);
    }
}
