//! Every endpoint, one method each, and every endpoint of a room at once.

use serde_json::{json, Value};

use super::{app, Resp, TestApp, User, PASSWORD};

// Every endpoint, one method each, answering the response as it came. A request of another
// shape (a form body, a key in the query string, a field left out) is built by hand with
// `call` and its shorthands below.

/// Who makes a request: a user or a bare key, sent as a Bearer header, or nobody (`None`).
pub trait AsKey {
    fn key(&self) -> Option<&str>;
}

impl AsKey for User {
    fn key(&self) -> Option<&str> {
        Some(&self.key)
    }
}

impl AsKey for str {
    fn key(&self) -> Option<&str> {
        Some(self)
    }
}

impl AsKey for String {
    fn key(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: AsKey + ?Sized> AsKey for &T {
    fn key(&self) -> Option<&str> {
        (**self).key()
    }
}

impl<T: AsKey> AsKey for Option<T> {
    fn key(&self) -> Option<&str> {
        self.as_ref().and_then(AsKey::key)
    }
}

/// A request without a key.
pub const NOBODY: Option<&User> = None;

impl TestApp {
    // Users.

    /// `POST /user`: signing up.
    pub fn sign_up_with(&self, body: Value) -> Resp {
        self.post("/user").json(body)
    }

    pub fn user(&self, user_id: &str) -> Resp {
        self.get(&format!("/user/{user_id}")).send()
    }

    pub fn delete_account(&self, user_id: &str, by: impl AsKey, password: &str) -> Resp {
        self.delete(&format!("/user/{user_id}")).by(by).json(json!({ "password": password }))
    }

    pub fn change_password(&self, user_id: &str, by: impl AsKey, password: &str, new_password: &str) -> Resp {
        let body = json!({ "password": password, "new_password": new_password });
        self.put(&format!("/user/{user_id}/password")).by(by).json(body)
    }

    /// `GET /user/{id}/rooms`: the rooms a user is in.
    pub fn rooms_of(&self, user_id: &str, by: impl AsKey, params: &[(&str, &str)]) -> Resp {
        self.get(&format!("/user/{user_id}/rooms")).by(by).queries(params).send()
    }

    // Sessions.

    /// `GET /token`: logging in.
    pub fn log_in(&self, user_id: &str, password: &str) -> Resp {
        self.get("/token").query("user_id", user_id).query("password", password).send()
    }

    /// `POST /token`: logging in with the fields in the body.
    pub fn log_in_with(&self, body: Value) -> Resp {
        self.post("/token").json(body)
    }

    /// `DELETE /token`: revoking a key.
    pub fn revoke(&self, by: impl AsKey, body: Value) -> Resp {
        self.delete("/token").by(by).json(body)
    }

    // Rooms.

    /// `GET /rooms`: the directory of open rooms.
    pub fn open_rooms(&self, params: &[(&str, &str)]) -> Resp {
        self.get("/rooms").queries(params).send()
    }

    /// `POST /room/`.
    pub fn create_room_with(&self, by: impl AsKey, body: Value) -> Resp {
        self.post("/room/").by(by).json(body)
    }

    pub fn room(&self, room: &str, by: impl AsKey) -> Resp {
        self.get(&format!("/room/{room}")).by(by).send()
    }

    /// `PATCH /room/{id}`: changing the room's settings.
    pub fn update_room(&self, room: &str, by: impl AsKey, body: Value) -> Resp {
        self.patch(&format!("/room/{room}")).by(by).json(body)
    }

    pub fn delete_room(&self, room: &str, by: impl AsKey) -> Resp {
        self.delete(&format!("/room/{room}")).by(by).send()
    }

    pub fn owner(&self, room: &str, by: impl AsKey) -> Resp {
        self.get(&format!("/room/{room}/owner")).by(by).send()
    }

    /// `PUT /room/{id}/owner`: handing the room to `to`.
    pub fn transfer(&self, room: &str, by: impl AsKey, to: &str) -> Resp {
        self.put(&format!("/room/{room}/owner")).by(by).json(json!({ "user_id": to }))
    }

    // Members, admins and bans.

    pub fn members(&self, room: &str, by: impl AsKey, params: &[(&str, &str)]) -> Resp {
        self.room_list(room, "members", by, params)
    }

    /// `POST /room/{id}/members` without a body: `by` joins.
    pub fn join_as(&self, room: &str, by: impl AsKey) -> Resp {
        self.post(&format!("/room/{room}/members")).by(by).send()
    }

    /// `POST /room/{id}/members`: `by` adds `user_id` (or joins, when it is their own id).
    /// `POST /room/{id}/members {user_id}`: an admin invites someone else (the seed's "add").
    pub fn add_member(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.post(&format!("/room/{room}/members")).by(by).json(json!({ "user_id": user_id }))
    }

    /// `POST /room/{id}/invites {user_id}`.
    pub fn invite(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.post(&format!("/room/{room}/invites")).by(by).json(json!({ "user_id": user_id }))
    }

    /// `DELETE /room/{id}/invites/{user_id}`: declined by the invitee, or taken back by an admin.
    pub fn withdraw_invite(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/invites/{user_id}")).by(by).json(json!({}))
    }

    /// `PUT /dm/{user_id}`: the caller's DM with that person.
    pub fn dm(&self, by: impl AsKey, user_id: &str) -> Resp {
        self.put(&format!("/dm/{user_id}")).by(by).json(json!({}))
    }

    /// `GET /user/{id}/requests`: the DMs others started with the user, unanswered.
    pub fn requests(&self, user: &User) -> Resp {
        self.get(&format!("/user/{}/requests", user.id)).by(user).send()
    }

    /// `PUT /user/{id}/blocks/{other}` (`block`) or `DELETE` it.
    pub fn block(&self, user: &User, other: &str, block: bool) -> Resp {
        let path = format!("/user/{}/blocks/{other}", user.id);
        let call = if block { self.put(&path) } else { self.delete(&path) };
        call.by(user).json(json!({}))
    }

    /// An admin invites `user`, who joins: the way into a closed room.
    pub fn bring_in(&self, room: &str, admin: impl AsKey, user: &User) {
        self.invite(room, admin, &user.id).assert_ok(200, json!({ "invited": true }));
        self.join_as(room, user).assert_ok(200, json!({ "present": true }));
    }

    /// `GET /room/{id}/members/{user_id}`: whether the user is present.
    pub fn presence(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.get(&format!("/room/{room}/members/{user_id}")).by(by).send()
    }

    /// `DELETE /room/{id}/members/{user_id}`: removing a member, or leaving.
    pub fn remove_member(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/members/{user_id}")).by(by).send()
    }

    pub fn admins(&self, room: &str, by: impl AsKey, params: &[(&str, &str)]) -> Resp {
        self.room_list(room, "admins", by, params)
    }

    pub fn promote(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.post(&format!("/room/{room}/admins")).by(by).json(json!({ "user_id": user_id }))
    }

    pub fn demote(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/admins/{user_id}")).by(by).send()
    }

    pub fn bans(&self, room: &str, by: impl AsKey, params: &[(&str, &str)]) -> Resp {
        self.room_list(room, "bans", by, params)
    }

    pub fn ban(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.put(&format!("/room/{room}/bans/{user_id}")).by(by).send()
    }

    pub fn unban(&self, room: &str, by: impl AsKey, user_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/bans/{user_id}")).by(by).send()
    }

    // Messages, and the API's description.

    pub fn messages(&self, room: &str, by: impl AsKey, params: &[(&str, &str)]) -> Resp {
        self.get(&format!("/room/{room}/messages")).by(by).queries(params).send()
    }

    pub fn post_message(&self, room: &str, by: impl AsKey, text: &str) -> Resp {
        self.post(&format!("/room/{room}/messages")).by(by).json(json!({ "text": text }))
    }

    /// `PATCH /room/{id}/messages/{message_id}`: its author edits a message.
    pub fn edit_message(&self, room: &str, by: impl AsKey, message_id: &str, text: &str) -> Resp {
        self.patch(&format!("/room/{room}/messages/{message_id}")).by(by).json(json!({ "text": text }))
    }

    /// `DELETE /room/{id}/messages/{message_id}`.
    pub fn delete_message(&self, room: &str, by: impl AsKey, message_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/messages/{message_id}")).by(by).send()
    }

    /// `POST /room/{id}/live`: a single-use ticket for the room's WebSocket.
    pub fn ticket(&self, room: &str, by: impl AsKey) -> Resp {
        self.post(&format!("/room/{room}/live")).by(by).json(json!({}))
    }

    /// `GET /openapi.json`.
    pub fn openapi(&self) -> Resp {
        self.get("/openapi.json").send()
    }

    /// `GET /room/{id}/members`, `/admins` or `/bans`.
    pub(super) fn room_list(&self, room: &str, which: &str, by: impl AsKey, params: &[(&str, &str)]) -> Resp {
        self.get(&format!("/room/{room}/{which}")).by(by).queries(params).send()
    }
}

// Every endpoint of a room at once.

/// Every endpoint of a room, as (method, path, JSON body) with a valid body for each.
pub(super) fn every_endpoint(room: &str, someone: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let at = |rest: &str| format!("/room/{room}{rest}");
    vec![
        ("GET", at(""), None),
        ("GET", at("/owner"), None),
        ("GET", at("/members"), None),
        ("GET", at(&format!("/members/{someone}")), None),
        ("GET", at("/admins"), None),
        ("GET", at("/bans"), None),
        ("GET", at("/messages"), None),
        ("POST", at("/members"), Some(json!({}))),
        ("POST", at("/members"), Some(json!({ "user_id": someone }))),
        ("POST", at("/invites"), Some(json!({ "user_id": someone }))),
        ("DELETE", at(&format!("/invites/{someone}")), Some(json!({}))),
        ("DELETE", at(&format!("/members/{someone}")), Some(json!({}))),
        ("PUT", at(&format!("/bans/{someone}")), Some(json!({}))),
        ("DELETE", at(&format!("/bans/{someone}")), Some(json!({}))),
        ("POST", at("/admins"), Some(json!({ "user_id": someone }))),
        ("DELETE", at(&format!("/admins/{someone}")), Some(json!({}))),
        ("PUT", at("/owner"), Some(json!({ "user_id": someone }))),
        ("POST", at("/messages"), Some(json!({ "text": "hello?" }))),
        ("PATCH", at(""), Some(json!({ "name": "mine now" }))),
        ("DELETE", at(""), Some(json!({}))),
    ]
}

/// Every request that presents a key, as (method, path, JSON body): every endpoint of the
/// room, and those of the account `user_id` and of the API at large, each with a valid body.
pub fn every_keyed_request(room: &str, someone: &str, user_id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let mut requests = every_endpoint(room, someone);
    let user = |rest: &str| format!("/user/{user_id}{rest}");
    requests.extend([
        ("POST", "/room/".to_string(), Some(json!({ "name": "a new room" }))),
        ("GET", user("/rooms"), None),
        ("PUT", user("/handle"), Some(json!({ "handle": "a.dead.key" }))),
        ("GET", "/users?q=ab".to_string(), None),
        ("GET", user("/blocks"), None),
        ("GET", user("/invites"), None),
        ("PUT", user(&format!("/blocks/{someone}")), Some(json!({}))),
        ("DELETE", user(&format!("/blocks/{someone}")), Some(json!({}))),
        ("PUT", user("/password"), Some(json!({ "password": PASSWORD, "new_password": "another passphrase" }))),
        ("DELETE", user("/sessions"), Some(json!({}))),
        ("DELETE", "/token".to_string(), Some(json!({ "user_id": user_id }))),
        ("DELETE", user(""), Some(json!({ "password": PASSWORD }))),
    ]);
    requests
}

/// Asserts that `user` gets 404 from every endpoint of the room. Without a key, reads are
/// 404 and writes 400 (a write needs a key before anything else is looked at), exactly as
/// for a room that does not exist.
pub fn assert_everything_404(room: &str, someone: &str, user: Option<&User>) {
    for (method, path, body) in every_endpoint(room, someone) {
        let call = app().call(method, &path).by(user);
        let response = match body {
            Some(body) => call.json(body),
            None => call.send(),
        };
        let status = if user.is_none() && method != "GET" { 400 } else { 404 };
        assert_eq!(response.status, status, "{method} {path}: {}", response.text);
        response.assert_error(status);
    }
}
