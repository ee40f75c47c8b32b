//! A change D1 committed reaches the room's sockets even when handing it to the room's object
//! failed: the cron delivers it, exactly once.

use crate::helpers::TestApp;
use crate::live::helpers::Live;

/// Runs the scheduled handler, as the cron would.
fn run_cron(app: &TestApp) {
    let run = app.get("/__scheduled").query("cron", "* * * * *").send_page();
    run.assert_status(200);
}

#[test]
fn a_change_whose_hand_over_failed_reaches_the_sockets_once_the_cron_runs_and_only_once() {
    let app = TestApp::spawn(&[("FAULT_ROOM_EVENTS", "drop")]);
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, true);
    let mut owner_socket = Live::bearer(&app, &room, &owner);
    let mut viewer = Live::viewer(&app, &room);
    let newcomer = app.sign_up("newcomer");
    app.join(&room, &newcomer);
    owner_socket.assert_quiet();
    viewer.assert_quiet();

    run_cron(&app);

    for socket in [&mut owner_socket, &mut viewer] {
        assert_eq!(socket.next_of("member_joined")["user_id"], newcomer.id);
    }
    run_cron(&app);
    owner_socket.assert_quiet();
    viewer.assert_quiet();
}
