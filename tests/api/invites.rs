//! Invitations: nobody enters a room without their own consent. An admin invites; the invitee
//! sees the room itself, joins (a closed room lets them in with it) or declines; an admin takes
//! it back; a ban ends it; a block keeps the blocked from inviting.

use serde_json::json;

use crate::helpers::{app, Resp, Staffed, User, NOBODY, UNKNOWN_ID};

fn invites_of(user: &User) -> Resp {
    app().get(&format!("/user/{}/invites", user.id)).by(user).send()
}

#[test]
fn an_invitee_finds_the_invitation_in_their_list_and_joins_a_closed_room_with_it() {
    let room = Staffed::new(false);
    let guest = app().sign_up("guest");
    invites_of(&guest).assert_ok(200, json!({ "invites": [], "index": 0, "invite_count": 0 }));
    app().invite(&room.id, &room.admin, &guest.id).assert_ok(200, json!({ "invited": true }));
    // Again: the same, one invitation.
    app().invite(&room.id, &room.owner, &guest.id).assert_ok(200, json!({ "invited": true }));
    let listed = invites_of(&guest);
    listed.assert_status(200);
    assert_eq!(listed.body["invite_count"], 1);
    let invitation = &listed.body["invites"][0];
    assert_eq!(invitation["room_id"], room.id.as_str());
    assert_eq!(invitation["room"], json!({ "name": "test room", "open": false, "kind": "room", "user_count": 3 }));
    assert_eq!(invitation["by"], room.admin.id.as_str(), "the first invitation stands");
    assert!(invitation["at"].as_i64().unwrap() > 0);

    app().join_as(&room.id, &guest).assert_ok(200, json!({ "present": true }));
    assert_eq!(room.counts(), [4, 2, 0]);
    invites_of(&guest).assert_ok(200, json!({ "invites": [], "index": 0, "invite_count": 0 }));
    app().messages(&room.id, &guest, &[]).assert_status(200);
}

#[test]
fn without_an_invitation_a_closed_room_stays_shut() {
    let room = Staffed::new(false);
    let stranger = app().sign_up("stranger");
    app().join_as(&room.id, &stranger).assert_error(404);
    app().room(&room.id, &stranger).assert_error(404);
}

#[test]
fn the_invitee_declines_or_an_admin_takes_it_back_and_then_the_room_is_shut_again() {
    let room = Staffed::new(false);
    let (declines, withdrawn) = (app().sign_up("declines"), app().sign_up("withdrawn"));
    for user in [&declines, &withdrawn] {
        app().invite(&room.id, &room.admin, &user.id).assert_status(200);
    }
    app().withdraw_invite(&room.id, &declines, &declines.id).assert_status(204);
    app().withdraw_invite(&room.id, &room.owner, &withdrawn.id).assert_status(204);
    for user in [&declines, &withdrawn] {
        app().withdraw_invite(&room.id, user, &user.id).assert_error(404);
        app().join_as(&room.id, user).assert_error(404);
        app().room(&room.id, user).assert_error(404);
        invites_of(user).assert_ok(200, json!({ "invites": [], "index": 0, "invite_count": 0 }));
    }
    // A plain member takes nobody's invitation back.
    let guest = app().sign_up("guest");
    app().invite(&room.id, &room.admin, &guest.id).assert_status(200);
    app().withdraw_invite(&room.id, &room.member, &guest.id).assert_error(403);
    app().join_as(&room.id, &guest).assert_ok(200, json!({ "present": true }));
}

#[test]
fn nobody_invites_a_member_someone_banned_someone_who_blocked_them_or_themself() {
    let room = Staffed::new(true);
    app().invite(&room.id, &room.admin, &room.member.id).assert_error(409);
    let banned = app().sign_up("banned");
    app().ban(&room.id, &room.owner, &banned.id).assert_status(200);
    app().invite(&room.id, &room.admin, &banned.id).assert_error(403);
    let blocker = app().sign_up("blocker");
    app()
        .put(&format!("/user/{}/blocks/{}", blocker.id, room.admin.id))
        .by(&blocker)
        .json(json!({}))
        .assert_status(200);
    app().invite(&room.id, &room.admin, &blocker.id).assert_error(403);
    // The owner, whom they did not block, may.
    app().invite(&room.id, &room.owner, &blocker.id).assert_status(200);
    app().invite(&room.id, &room.admin, &room.admin.id).assert_error(403);
    app().invite(&room.id, &room.admin, UNKNOWN_ID).assert_error(404);
    app().invite(&room.id, &room.member, &app().sign_up("x").id).assert_error(403);
    app().post(&format!("/room/{}/invites", room.id)).by(&room.admin).json(json!({})).assert_error(400);
}

#[test]
fn a_ban_ends_an_invitation() {
    let room = Staffed::new(false);
    let guest = app().sign_up("guest");
    app().invite(&room.id, &room.admin, &guest.id).assert_status(200);
    app().ban(&room.id, &room.admin, &guest.id).assert_status(200);
    invites_of(&guest).assert_ok(200, json!({ "invites": [], "index": 0, "invite_count": 0 }));
    app().join_as(&room.id, &guest).assert_error(404);
}

#[test]
fn ones_invitations_are_ones_own() {
    let (ana, bo) = (app().sign_up("ana"), app().sign_up("bo"));
    app().get(&format!("/user/{}/invites", ana.id)).by(&bo).send().assert_error(403);
    app().get(&format!("/user/{}/invites", ana.id)).by(NOBODY).send().assert_error(401);
}
