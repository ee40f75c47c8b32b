//! Names people can trust: usernames and room names refuse characters that show nothing of
//! their own or reorder what is around them, and are stored in NFC; message text refuses bidi
//! controls.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::helpers::{app, PASSWORD};

/// One example of each kind of character a name refuses.
const REFUSED_IN_NAMES: [(&str, char); 7] = [
    ("zero-width space", '\u{200B}'),
    ("right-to-left override", '\u{202E}'),
    ("right-to-left isolate", '\u{2067}'),
    ("line separator", '\u{2028}'),
    ("paragraph separator", '\u{2029}'),
    ("private use", '\u{E000}'),
    ("unassigned", '\u{0378}'),
];

/// The bidi controls a message refuses.
const BIDI_CONTROLS: [char; 12] = [
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    '\u{200E}', '\u{200F}', '\u{061C}',
];

#[test]
fn a_username_with_a_hidden_character_is_400() {
    for (kind, c) in REFUSED_IN_NAMES {
        let response = app().sign_up_with(json!({ "username": format!("ana{c}"), "password": PASSWORD }));
        response.assert_error(400);
        let expected = format!("username must not contain U+{:04X}", u32::from(c));
        assert!(response.str("error").starts_with(&expected), "{kind}: {}", response.text);
    }
}

#[test]
fn a_room_name_with_a_hidden_character_is_400_at_creation_and_rename() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    for (kind, c) in REFUSED_IN_NAMES {
        let name = format!("lobby{c}");
        app().create_room_with(&owner, json!({ "name": name })).assert_error(400);
        let renamed = app().update_room(&room, &owner, json!({ "name": name }));
        renamed.assert_error(400);
        assert!(renamed.str("error").starts_with("name must not contain U+"), "{kind}: {}", renamed.text);
    }
    assert_eq!(app().room(&room, &owner).str("name"), "test room");
}

#[test]
fn a_username_sent_in_nfd_is_stored_and_answered_in_nfc() {
    let user = app().sign_up("Zoe\u{308} Cafe\u{301}");
    assert_eq!(app().user(&user.id).str("username"), "Zo\u{EB} Caf\u{E9}");
}

#[test]
fn a_room_name_sent_in_nfd_is_stored_answered_and_found_in_nfc() {
    let tag = format!("nfc{:x}", SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos());
    let owner = app().sign_up("owner");
    let room = app().create_named_room(&owner, &format!("{tag} Cafe\u{301}"), true);
    assert_eq!(app().room(&room, &owner).str("name"), format!("{tag} Caf\u{E9}"));
    let renamed = app().update_room(&room, &owner, json!({ "name": format!("{tag} Ha\u{30A}kon") }));
    assert_eq!(renamed.str("name"), format!("{tag} H\u{E5}kon"), "{}", renamed.text);
    // Found by the query in either form.
    for q in [format!("{tag} H\u{E5}kon"), format!("{tag} ha\u{30A}kon")] {
        let found = app().open_rooms(&[("q", &q)]);
        assert_eq!(found.body["rooms"][0]["room_id"], json!(room), "{q:?}: {}", found.text);
    }
}

#[test]
fn a_names_length_limit_counts_its_nfc_form() {
    // 128 characters as sent, 64 in NFC: accepted, and stored as 64.
    let user = app().sign_up(&"e\u{301}".repeat(64));
    assert_eq!(app().user(&user.id).str("username"), "\u{E9}".repeat(64));
    // 33 characters as sent, each two in NFC (U+0958 is never composed): 66, too long.
    let response = app().sign_up_with(json!({ "username": "\u{958}".repeat(33), "password": PASSWORD }));
    response.assert_error(400);
    assert_eq!(response.str("error"), "username must be 1 to 64 characters");
}

#[test]
fn names_in_right_to_left_scripts_and_with_emoji_are_kept() {
    for name in ["مريم", "שירה 42", "名前", "🦀 crab", "Zoë"] {
        let user = app().sign_up(name);
        assert_eq!(app().user(&user.id).str("username"), name);
    }
}

#[test]
fn a_message_with_a_bidi_control_is_400() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    for c in BIDI_CONTROLS {
        let response = app().post_message(&room, &owner, &format!("pay {c}this"));
        response.assert_error(400);
        assert_eq!(response.str("error"), format!("text must not contain U+{:04X}, a bidi control", u32::from(c)));
    }
    assert_eq!(app().messages(&room, &owner, &[]).body["messages"], json!([]));
}

#[test]
fn a_message_in_a_right_to_left_script_is_posted_as_sent() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let text = "שלום — مرحبا, 👨\u{200D}👩\u{200D}👧";
    let response = app().post_message(&room, &owner, text);
    response.assert_status(201);
    assert_eq!(response.str("text"), text);
}
