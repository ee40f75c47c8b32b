//! Section 9, conversation: what replies and reactions cost a page of history. Two open rooms of
//! one instance, each of 60 messages: in one, plain messages; in the other, every message a reply
//! to the one before and carrying three people's reactions (three keys each). The newest page of
//! 50 of each, read alternately (p50 of 201 each, a viewer's read: no key), side by side.

use serde_json::json;

use crate::helpers::{TestApp, User};
use crate::{side_by_side, Outcome, Probe, Report};

const MESSAGES: usize = 60;
const PAGE: usize = 50;
const KEYS: [&str; 3] = ["%F0%9F%91%8D", "%F0%9F%8E%89", "ok"];

pub fn section(report: &mut Report) -> Outcome {
    report.section("9. Conversation: a page of 50 messages with replies and reactions, beside one without");
    // Each talker reacts 180 times and posts 20 times within a minute or so.
    let app = TestApp::spawn(&[("REACTIONS_PER_MINUTE", "off"), ("POSTS_PER_MINUTE", "off")]);
    let people: Vec<User> = (0..3).map(|n| app.sign_up(&format!("talker {n}"))).collect();
    let plain = app.create_named_room(&people[0], "plain", true);
    let rich = app.create_named_room(&people[0], "rich", true);
    for person in &people[1..] {
        for room in [&plain, &rich] {
            app.join(room, person);
        }
    }
    let mut parent: Option<String> = None;
    for n in 0..MESSAGES {
        let text = format!("message {n}: a line of ordinary length, as people write them in a chat");
        let posted = app.post_message(&plain, &people[n % 3], &text);
        if posted.status != 201 {
            return Err(format!("a post answered {} {}", posted.status, posted.text));
        }
        let body = json!({ "text": text, "reply_to": parent });
        let reply = app.post(&format!("/room/{rich}/messages")).by(&people[n % 3]).json(body);
        let message_id = reply.body["message_id"].as_str().ok_or(format!("a reply answered {}", reply.text))?;
        for person in &people {
            for key in KEYS {
                let path = format!("/room/{rich}/messages/{message_id}/reactions/{key}");
                let reacted = app.put(&path).by(person).send();
                if reacted.status != 200 {
                    return Err(format!("a reaction answered {} {}", reacted.status, reacted.text));
                }
            }
        }
        parent = Some(message_id.to_owned());
    }
    let page = |room: &str| Probe::get(format!("/room/{room}/messages?limit={PAGE}"));
    let (rich_ms, plain_ms) = side_by_side((&app.base, &page(&rich)), (&app.base, &page(&plain)), 201)?;
    let ratio = rich_ms / plain_ms;
    report.row(
        "GET /room/{id}/messages?limit=50: p50 ms, with replies and 9 reactions each (plain)",
        "≤ 1.3×",
        format!("{rich_ms:.2} ({plain_ms:.2}): {ratio:.2}×"),
        ratio <= 1.3,
    );
    report.note(
        "A page reads its messages with their parents in one statement (a LEFT JOIN on seq) and their \
         reactions in one more, from each message's counted keys (`reaction_counts`), never every \
         reaction."
            .to_string(),
    );
    Ok(())
}
