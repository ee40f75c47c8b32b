//! Files: an upload's bytes go to R2 (the local bucket `wrangler dev` keeps, read here directly),
//! come back byte-exact to whoever may read the room, in ranges too, with the headers that keep
//! a browser from running them; a post carries them; a deleted message, a deleted room and an
//! upload no message took leave nothing of them in R2; every refusal is JSON.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::helpers::{
    app, chunked_upload, eventually, noise, BytesAnswer, Resp, Staffed, TestApp, User, NOBODY, UNKNOWN_ID,
};
use crate::live::helpers::Live;

fn upload(app: &TestApp, room: &str, by: &User, name: &str, kind: &str, bytes: &[u8]) -> Resp {
    app.post(&format!("/room/{room}/files")).by(by).query("name", name).raw(kind, bytes)
}

fn uploaded(app: &TestApp, room: &str, by: &User, name: &str, kind: &str, bytes: &[u8]) -> String {
    let answer = upload(app, room, by, name, kind, bytes);
    answer.assert_status(201);
    answer.str("file_id")
}

fn fetch(app: &TestApp, room: &str, file: &str, by: Option<&User>, headers: &[(&str, &str)]) -> BytesAnswer {
    let mut call = app.get(&format!("/room/{room}/files/{file}"));
    if let Some(user) = by {
        call = call.by(user);
    }
    for (name, value) in headers {
        call = call.header(name, value);
    }
    call.send_bytes()
}

/// The keys of the local bucket, as `wrangler dev` keeps it (miniflare's SQLite index of each
/// bucket's objects, beside their blobs).
fn bucket_keys(app: &TestApp) -> Vec<String> {
    let dir = app.state.join("v3/r2/miniflare-R2BucketObject");
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "sqlite") {
            keys.extend(keys_in(&path));
        }
    }
    keys.sort();
    keys
}

fn keys_in(path: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let objects = "SELECT count(*) FROM sqlite_master WHERE name = '_mf_objects'";
    if db.query_row(objects, [], |row| row.get::<_, i64>(0)).unwrap() == 0 {
        return Vec::new();
    }
    let mut statement = db.prepare("SELECT key FROM _mf_objects").unwrap();
    statement.query_map([], |row| row.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

fn in_bucket(app: &TestApp, room: &str, file: &str) -> bool {
    bucket_keys(app).contains(&format!("{room}/{file}"))
}

#[test]
fn an_upload_comes_back_byte_exact_to_whoever_may_read_the_room() {
    let room = Staffed::new(true);
    let bytes = noise(9 << 20, 7);
    let answer = upload(app(), &room.id, &room.member, "report 2026.pdf", "application/pdf", &bytes);
    answer.assert_status(201);
    let file = answer.str("file_id");
    assert_eq!(
        answer.body,
        json!({ "file_id": file, "name": "report 2026.pdf", "type": "application/pdf", "size": bytes.len() })
    );
    assert!(in_bucket(app(), &room.id, &file));
    for reader in [Some(&room.owner), Some(&room.member), None] {
        let got = fetch(app(), &room.id, &file, reader, &[]);
        assert_eq!(got.status, 200);
        assert!(got.bytes == bytes, "the bytes differ ({} of {})", got.bytes.len(), bytes.len());
        // Not a type a browser shows: bytes to save, under their name.
        assert_eq!(got.header("content-type"), Some("application/octet-stream"));
        assert_eq!(
            got.header("content-disposition"),
            Some("attachment; filename=\"report 2026.pdf\"; filename*=UTF-8''report%202026.pdf")
        );
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(got.header("content-security-policy"), Some("sandbox"));
        assert!(got.header("cache-control").is_some_and(|value| value.starts_with("private")), "{:?}", got.headers);
        assert!(got.header("etag").is_some_and(|tag| tag.starts_with('"')), "{:?}", got.headers);
        assert_eq!(got.header("accept-ranges"), Some("bytes"));
    }
    // An empty file is a file.
    let empty = uploaded(app(), &room.id, &room.member, "empty.txt", "text/plain", &[]);
    let got = fetch(app(), &room.id, &empty, Some(&room.member), &[]);
    assert_eq!((got.status, got.bytes.len()), (200, 0));
    // A picture is shown as itself; what could run in a page (SVG, HTML) is saved.
    let png = uploaded(app(), &room.id, &room.member, "p.png", "image/png", &noise(64, 1));
    let got = fetch(app(), &room.id, &png, None, &[]);
    assert_eq!(got.header("content-type"), Some("image/png"));
    assert!(got.header("content-disposition").is_some_and(|value| value.starts_with("inline;")));
    let svg = uploaded(app(), &room.id, &room.member, "x.svg", "image/svg+xml", b"<svg onload=alert(1)/>");
    assert_eq!(fetch(app(), &room.id, &svg, None, &[]).header("content-type"), Some("application/octet-stream"));
}

#[test]
fn the_limits_say_what_an_upload_may_be_to_anyone() {
    let answer = app().get("/limits").send();
    answer.assert_ok(
        200,
        json!({ "file_max_bytes": 10_485_760, "file_bytes_per_day": 104_857_600, "files_per_message": 10 }),
    );
    static APP: OnceLock<TestApp> = OnceLock::new();
    let off = APP.get_or_init(|| TestApp::spawn(&[("FILE_BYTES_PER_DAY", "off"), ("FILE_MAX_BYTES", "5")]));
    off.get("/limits")
        .send()
        .assert_ok(200, json!({ "file_max_bytes": 5, "file_bytes_per_day": null, "files_per_message": 10 }));
}

#[test]
fn a_closed_rooms_files_are_as_hidden_as_the_room() {
    let room = Staffed::new(false);
    let stranger = app().sign_up("stranger");
    let file = uploaded(app(), &room.id, &room.member, "secret.txt", "text/plain", b"the plan");
    assert_eq!(fetch(app(), &room.id, &file, Some(&room.admin), &[]).bytes, b"the plan");
    let hidden = app().room(&room.id, &stranger);
    hidden.assert_error(404);
    for by in [Some(&stranger), None] {
        let got = fetch(app(), &room.id, &file, by, &[]);
        got.assert_error(404);
        assert_eq!(String::from_utf8_lossy(&got.bytes), hidden.text, "the same 404 as the room");
    }
    fetch(app(), &room.id, UNKNOWN_ID, Some(&room.member), &[]).assert_error(404);
    fetch(app(), &room.id, "not-an-id", Some(&room.member), &[]).assert_error(400);
    // Another room's file is not this room's, even to someone who may read both.
    let other = app().create_room(&room.owner, true);
    fetch(app(), &other, &file, Some(&room.owner), &[]).assert_error(404);
}

#[test]
fn a_range_gets_its_bytes_and_a_tag_that_matches_gets_nothing() {
    let room = Staffed::new(true);
    let bytes = noise(1000, 3);
    let file = uploaded(app(), &room.id, &room.member, "clip.bin", "video/mp4", &bytes);
    let ranged = |range: &str| fetch(app(), &room.id, &file, None, &[("Range", range)]);
    for (range, first, last) in
        [("bytes=0-99", 0, 99), ("bytes=990-", 990, 999), ("bytes=-10", 990, 999), ("bytes=500-5000", 500, 999)]
    {
        let got = ranged(range);
        assert_eq!(got.status, 206, "{range}");
        assert_eq!(got.bytes, bytes[first..=last], "{range}");
        assert_eq!(got.header("content-range"), Some(format!("bytes {first}-{last}/1000").as_str()), "{range}");
    }
    let past = ranged("bytes=1000-");
    past.assert_error(416);
    assert_eq!(past.header("content-range"), Some("bytes */1000"));
    // Several ranges, or what is not a range: the whole file.
    for ignored in ["bytes=0-1,5-6", "lines=1-2", "bytes=9-3"] {
        let got = ranged(ignored);
        assert_eq!((got.status, got.bytes.len()), (200, 1000), "{ignored}");
    }
    let tag = fetch(app(), &room.id, &file, None, &[]).header("etag").unwrap().to_owned();
    let again = fetch(app(), &room.id, &file, None, &[("If-None-Match", &tag)]);
    assert_eq!((again.status, again.bytes.len()), (304, 0));
    assert_eq!(fetch(app(), &room.id, &file, None, &[("If-None-Match", "\"other\"")]).status, 200);
}

#[test]
fn every_bad_upload_is_refused_with_json_and_the_next_request_is_served() {
    let room = Staffed::new(true);
    let passer_by = app().sign_up("passer-by");
    let path = format!("/room/{}/files", room.id);
    let bytes = b"some bytes";
    app().post(&path).query("name", "a.txt").raw("text/plain", bytes).assert_error(401);
    app().post(&path).bearer(&"0".repeat(64)).query("name", "a.txt").raw("text/plain", bytes).assert_error(401);
    upload(app(), &room.id, &passer_by, "a.txt", "text/plain", bytes).assert_error(403);
    app().post(&path).by(&room.member).raw("text/plain", bytes).assert_error(400);
    for name in ["", "a/b.txt", "..", "a\u{7}b", &"n".repeat(201)] {
        upload(app(), &room.id, &room.member, name, "text/plain", bytes).assert_error(400);
    }
    upload(app(), &room.id, &room.member, "a.txt", "not a type", bytes).assert_error(400);
    let keyed = app().post(&path).query("name", "a.txt").query("key", &room.member.key).raw("text/plain", bytes);
    keyed.assert_error(400);
    upload(app(), UNKNOWN_ID, &room.member, "a.txt", "text/plain", bytes).assert_error(404);
    // Without a size (chunked): refused before a byte is read, and the connection's next
    // request is served.
    let chunked =
        chunked_upload(app(), &format!("{path}?name=a.txt"), "text/plain", (0..4).map(|n| noise(1024, n)), true);
    assert_eq!(chunked.status, 411, "{}", chunked.body);
    assert!(serde_json::from_str::<Value>(&chunked.body).unwrap()["error"].is_string());
    app().room(&room.id, &room.member).assert_status(200);
}

#[test]
fn an_upload_past_the_limit_is_cut_off_and_the_days_bytes_are_counted() {
    static APP: OnceLock<TestApp> = OnceLock::new();
    let app = APP.get_or_init(|| TestApp::spawn(&[("FILE_MAX_BYTES", "1000"), ("FILE_BYTES_PER_DAY", "2500")]));
    let room = Staffed::on(app, true);
    let at_limit = uploaded(app, &room.id, &room.member, "a", "text/plain", &noise(1000, 1));
    assert_eq!(fetch(app, &room.id, &at_limit, None, &[]).bytes.len(), 1000);
    let before = bucket_keys(app);
    let over = upload(app, &room.id, &room.member, "b", "text/plain", &noise(1001, 2));
    over.assert_error(413);
    assert!(over.str("error").contains("1000"), "{}", over.text);
    assert_eq!(bucket_keys(app), before, "nothing of it kept");
    app.room(&room.id, &room.member).assert_status(200);
    // 1,000 + 1,000 of the day's 2,500; then 600 more is past it, 500 is not.
    uploaded(app, &room.id, &room.member, "c", "text/plain", &noise(1000, 3));
    let past = upload(app, &room.id, &room.member, "d", "text/plain", &noise(600, 4));
    past.assert_error(429);
    let retry: u64 = past.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    uploaded(app, &room.id, &room.member, "e", "text/plain", &noise(500, 5));
    // Another person's day is their own.
    uploaded(app, &room.id, &room.admin, "f", "text/plain", &noise(1000, 6));
}

/// A post's files, as its message shows them.
fn files_of(message: &Value) -> Vec<String> {
    message["files"].as_array().unwrap().iter().map(|file| file["file_id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_post_carries_its_posters_uploads_in_order_and_only_once() {
    let room = Staffed::new(true);
    let first = uploaded(app(), &room.id, &room.member, "one.png", "image/png", &noise(10, 1));
    let second = uploaded(app(), &room.id, &room.member, "two.txt", "text/plain", b"two");
    let mut watcher = Live::bearer(app(), &room.id, &room.owner);
    let body = json!({ "text": "look", "files": [second, first] });
    let posted = app().post(&room.path("/messages")).by(&room.member).json(body);
    posted.assert_status(201);
    assert_eq!(files_of(&posted.body), [second.clone(), first.clone()]);
    assert_eq!(
        posted.body["files"][0],
        json!({ "file_id": second, "name": "two.txt", "type": "text/plain", "size": 3 })
    );
    assert_eq!(watcher.next_of("message")["message"]["files"], posted.body["files"]);
    let page = app().messages(&room.id, NOBODY, &[]);
    assert_eq!(page.body["messages"][0]["files"], posted.body["files"]);
    let plain = app().post_message(&room.id, &room.owner, "no files");
    assert_eq!(plain.body["files"], json!([]));
    // Once only, one's own only, this room's only, at most ten, each once.
    let again = json!({ "text": "again", "files": [first] });
    app().post(&room.path("/messages")).by(&room.member).json(again).assert_error(400);
    let theirs = uploaded(app(), &room.id, &room.admin, "theirs.txt", "text/plain", b"x");
    let taken = json!({ "text": "mine now", "files": [theirs] });
    app().post(&room.path("/messages")).by(&room.member).json(taken).assert_error(400);
    let elsewhere = app().create_room(&room.member, true);
    let foreign = uploaded(app(), &elsewhere, &room.member, "f.txt", "text/plain", b"f");
    let moved = json!({ "text": "here", "files": [foreign] });
    app().post(&room.path("/messages")).by(&room.member).json(moved).assert_error(400);
    let mine = uploaded(app(), &room.id, &room.member, "m.txt", "text/plain", b"m");
    for files in [json!([mine, mine]), json!([UNKNOWN_ID]), json!(["nope"]), json!("x"), json!(vec![UNKNOWN_ID; 11])] {
        let body = json!({ "text": "bad", "files": files });
        app().post(&room.path("/messages")).by(&room.member).json(body).assert_error(400);
    }
    // Over a socket too.
    let mut socket = Live::bearer(app(), &room.id, &room.member);
    socket.send(json!({ "type": "send", "txn_id": "t1", "text": "by socket", "files": [mine] }));
    socket.next_of("message");
    let sent = socket.next_of("sent");
    assert_eq!(files_of(&sent["message"]), std::slice::from_ref(&mine));
    socket.send(json!({ "type": "send", "txn_id": "t2", "text": "again", "files": [mine] }));
    let refused = socket.next_of("error");
    assert_eq!(refused["txn_id"], "t2");
}

#[test]
fn a_deleted_message_and_a_deleted_room_leave_nothing_of_their_files() {
    let room = Staffed::new(true);
    let file = uploaded(app(), &room.id, &room.member, "gone.txt", "text/plain", b"bye");
    let kept = uploaded(app(), &room.id, &room.member, "kept.txt", "text/plain", b"stay");
    let posted = app().post(&room.path("/messages")).by(&room.member).json(json!({ "text": "a", "files": [file] }));
    posted.assert_status(201);
    app()
        .post(&room.path("/messages"))
        .by(&room.member)
        .json(json!({ "text": "b", "files": [kept] }))
        .assert_status(201);
    app().delete_message(&room.id, &room.admin, &posted.str("message_id")).assert_status(204);
    assert!(eventually(|| !in_bucket(app(), &room.id, &file)), "the deleted message's file stayed in R2");
    fetch(app(), &room.id, &file, Some(&room.member), &[]).assert_error(404);
    assert_eq!(app().messages(&room.id, NOBODY, &[]).body["messages"][1]["files"], json!([]));
    assert_eq!(fetch(app(), &room.id, &kept, None, &[]).bytes, b"stay");

    let unattached = uploaded(app(), &room.id, &room.member, "loose.txt", "text/plain", b"loose");
    app().delete_room(&room.id, &room.owner).assert_status(204);
    assert!(!in_bucket(app(), &room.id, &kept) && !in_bucket(app(), &room.id, &unattached), "the room's files stayed");
    fetch(app(), &room.id, &kept, Some(&room.owner), &[]).assert_error(404);
}

#[test]
fn an_upload_no_message_takes_is_swept_and_one_that_is_taken_stays() {
    static APP: OnceLock<TestApp> = OnceLock::new();
    let app = APP.get_or_init(|| TestApp::spawn(&[("FILE_UNATTACHED_MILLIS", "1500")]));
    let room = Staffed::on(app, true);
    let loose = uploaded(app, &room.id, &room.member, "loose.txt", "text/plain", b"loose");
    let taken = uploaded(app, &room.id, &room.member, "taken.txt", "text/plain", b"taken");
    let body = json!({ "text": "with a file", "files": [taken] });
    app.post(&room.path("/messages")).by(&room.member).json(body).assert_status(201);
    assert!(eventually(|| !in_bucket(app, &room.id, &loose)), "the loose upload stayed in R2");
    fetch(app, &room.id, &loose, None, &[]).assert_error(404);
    let late = json!({ "text": "too late", "files": [loose] });
    app.post(&room.path("/messages")).by(&room.member).json(late).assert_error(400);
    assert!(in_bucket(app, &room.id, &taken));
    assert_eq!(fetch(app, &room.id, &taken, None, &[]).bytes, b"taken");
}
