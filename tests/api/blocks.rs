//! Blocks: a person's own list of people kept away from them.

use serde_json::json;

use crate::helpers::{app, Resp, User, NOBODY, UNKNOWN_ID};

fn block(by: &User, of: &User, other: &str) -> Resp {
    app().put(&format!("/user/{}/blocks/{other}", of.id)).by(by).json(json!({}))
}

fn unblock(by: &User, other: &str) -> Resp {
    app().delete(&format!("/user/{}/blocks/{other}", by.id)).by(by).json(json!({}))
}

fn blocks(by: &User, params: &[(&str, &str)]) -> Resp {
    app().get(&format!("/user/{}/blocks", by.id)).by(by).queries(params).send()
}

#[test]
fn a_person_blocks_and_unblocks_and_lists_whom_they_blocked_newest_first() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    let cy = app().sign_up("cy");
    blocks(&ana, &[]).assert_ok(200, json!({ "blocks": [], "index": 0, "block_count": 0 }));

    block(&ana, &ana, &bo.id).assert_ok(200, json!({ "blocked": true }));
    block(&ana, &ana, &cy.id).assert_ok(200, json!({ "blocked": true }));
    // Twice is the same.
    block(&ana, &ana, &bo.id).assert_ok(200, json!({ "blocked": true }));
    let listed = blocks(&ana, &[]);
    listed.assert_status(200);
    assert_eq!(listed.body["block_count"], 2);
    let ids: Vec<&str> =
        listed.body["blocks"].as_array().unwrap().iter().map(|b| b["user_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&bo.id.as_str()) && ids.contains(&cy.id.as_str()));
    let first = &listed.body["blocks"][0];
    assert_eq!(first.as_object().unwrap().len(), 4, "{first}");
    assert!(first["at"].as_i64().unwrap() > 0);
    assert!(first["handle"].is_null());

    let page = blocks(&ana, &[("limit", "1"), ("offset", "1")]);
    assert_eq!(page.body["blocks"].as_array().unwrap().len(), 1);
    assert_eq!((page.body["index"].as_i64(), page.body["block_count"].as_i64()), (Some(1), Some(2)));

    unblock(&ana, &bo.id).assert_ok(200, json!({ "blocked": false }));
    unblock(&ana, &bo.id).assert_ok(200, json!({ "blocked": false }));
    let after = blocks(&ana, &[]);
    assert_eq!(after.body["block_count"], 1);
    assert_eq!(after.body["blocks"][0]["user_id"], cy.id.as_str());
}

#[test]
fn blocks_are_ones_own_business() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    block(&bo, &ana, &bo.id).assert_error(403);
    app().get(&format!("/user/{}/blocks", ana.id)).by(&bo).send().assert_error(403);
    app().get(&format!("/user/{}/blocks", ana.id)).by(NOBODY).send().assert_error(401);
    app().delete(&format!("/user/{}/blocks/{}", ana.id, bo.id)).by(&bo).json(json!({})).assert_error(403);
    blocks(&ana, &[]).assert_ok(200, json!({ "blocks": [], "index": 0, "block_count": 0 }));
}

#[test]
fn blocking_oneself_is_400_an_unknown_user_404_and_a_malformed_id_400() {
    let ana = app().sign_up("ana");
    block(&ana, &ana, &ana.id).assert_error(400);
    block(&ana, &ana, UNKNOWN_ID).assert_error(404);
    unblock(&ana, UNKNOWN_ID).assert_error(404);
    block(&ana, &ana, "not-a-uuid").assert_error(400);
    blocks(&ana, &[]).assert_ok(200, json!({ "blocks": [], "index": 0, "block_count": 0 }));
}

#[test]
fn a_blocked_accounts_deletion_takes_it_off_the_list() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    block(&ana, &ana, &bo.id).assert_status(200);
    app().delete_account(&bo.id, &bo, crate::helpers::PASSWORD).assert_status(204);
    blocks(&ana, &[]).assert_ok(200, json!({ "blocks": [], "index": 0, "block_count": 0 }));
}
