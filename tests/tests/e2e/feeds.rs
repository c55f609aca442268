//! The health authority's records end to end: roles, bulk files with bad
//! rows (the good ones kept), a status that makes a code red, and records
//! altered in the database behind the service's back.

use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{
    accounts::rfc3339,
    codes::{apply, issuer_args, resident, start_issuer, submit, wait_revoked_for_resident},
    issuer_server::IssuerServer,
    support::{KeySet, stderr, stdout},
};

fn hours_ago(hours: i64) -> String {
    rfc3339(OffsetDateTime::now_utc() - time::Duration::hours(hours))
}

fn write(server: &IssuerServer, name: &str, text: &str) -> String {
    let path = server.dir.path().join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

fn import(server: &IssuerServer, kind: &str, staff: &str, file: &str) -> std::process::Output {
    server.cli(&["feeds", "import", "--kind", kind, "--staff", staff, file])
}

#[test]
fn only_the_right_roles_submit_and_every_record_is_checked() {
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    let authority = issuer.staff("hana", "health_authority");
    let reviewer = issuer.staff("rita", "reviewer");
    let immigration = issuer.staff("ivan", "immigration");
    let place = json!([{"place": "venue-1", "start": hours_ago(5), "end": null}]);
    let post = |kind: &str, token: Option<&str>, body: &Value| {
        issuer.post(&format!("/v1/feeds/{kind}"), body, token).0
    };
    let body = json!({ "records": place });
    assert_eq!(post("designations", None, &body), 401);
    assert_eq!(post("designations", Some("hcstaff_forged"), &body), 401);
    assert_eq!(post("designations", Some(&reviewer), &body), 403);
    assert_eq!(post("designations", Some(&immigration), &body), 403);
    assert_eq!(
        post("statuses", Some(&immigration), &json!({"records": []})),
        403
    );
    assert_eq!(
        post("designations", Some(&authority), &json!({"rows": []})),
        422
    );
    assert_eq!(post("designations", Some(&authority), &json!([])), 422);

    let summary = submit(
        &issuer,
        &authority,
        "designations",
        json!([
            {"place": "venue-1", "start": hours_ago(5), "end": null},
            {"place": "venue 2", "start": hours_ago(5), "end": null},
            {"place": "venue-3", "start": "2022-12-01 10:00", "end": null},
            {"place": "venue-4", "start": hours_ago(5), "end": hours_ago(6)},
            {"place": "venue-5", "start": hours_ago(5)},
            "not an object",
        ]),
    );
    assert_eq!(
        (&summary["received"], &summary["stored"]),
        (&json!(6), &json!(1))
    );
    let reasons: Vec<&str> = summary["refused"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["reason"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(reasons.len(), 5, "{summary}");
    assert!(reasons[0].starts_with("records[1].place:"), "{reasons:?}");
    assert!(reasons[1].starts_with("records[2].start:"), "{reasons:?}");
    assert_eq!(reasons[2], "records[3].end: is before start");
    assert_eq!(reasons[3], "records[4].end: missing");
    assert!(
        reasons[4].starts_with("records[5]: must be an object"),
        "{reasons:?}"
    );

    let (status, listed) = issuer.get("/v1/feeds/designations", Some(&authority));
    assert_eq!(status, 200);
    assert_eq!(listed[0]["place"], "venue-1", "{listed}");
    // The submission is in the audit log, under the staff member's id.
    let admin = issuer.staff("ada", "admin");
    let (_, audit) = issuer.get("/v1/staff/audit", Some(&admin));
    let submitted = audit.as_array().and_then(|a| {
        a.iter()
            .find(|e| e["action"] == "feed_submitted" && e["subject"] != "none")
    });
    assert!(
        submitted.is_some_and(|e| e["actor"].as_str().is_some_and(|a| a.starts_with("staff:"))),
        "{audit}"
    );
}

#[test]
fn a_bulk_file_keeps_its_good_rows_and_a_status_turns_a_code_red() {
    let keys = KeySet::new(false);
    let issuer = start_issuer(&issuer_args(&keys, None, None));
    issuer.staff("hana", "health_authority");
    issuer.staff("rita", "reviewer");
    let (person, session) = resident(&issuer, &[]);
    let green = apply(&issuer, &session);
    assert_eq!(green["colour"], "green");

    let id = format!("HKID:{}", person.id_number);
    let start = hours_ago(10);
    let csv = format!(
        "id_document,kind,start,end,source\n\
         \"{id}\",close_contact,{start},,contact tracing\n\
         HKID:A123456(4),close_contact,{start},,x\n\
         \"{id}\",flu,{start},,x\n\
         \"{id}\",symptoms,2022-12-01T10:00:00,,x\n\
         \"{id}\",symptoms,{start},{before},x\n\
         \"{id}\",symptoms\n",
        before = hours_ago(20),
    );
    let file = write(&issuer, "statuses.csv", &csv);
    assert_eq!(
        import(&issuer, "statuses", "rita", &file).status.code(),
        Some(1),
        "a reviewer may not"
    );
    let output = import(&issuer, "statuses", "hana", &file);
    assert_eq!(output.status.code(), Some(1), "some rows were refused");
    let refused = stderr(&output);
    for expected in [
        "line 3: id_document:",
        "line 4: kind: unknown value \"flu\"",
        "line 5: start: timestamp",
        "line 6: end: is before start",
        "line 7: not a row of the header's columns",
    ] {
        assert!(refused.contains(expected), "{expected:?} in {refused}");
    }
    assert!(
        stdout(&output).contains("6 records: 1 stored, 0 unchanged, 5 refused"),
        "{}",
        stdout(&output)
    );

    // The good row was stored, and the running service re-evaluated the code.
    let today = wait_revoked_for_resident(&issuer, &session, Duration::from_secs(3));
    assert_eq!(today["revocation"]["reason"], "risk_changed");
    let red = apply(&issuer, &session);
    assert_eq!(red["colour"], "red", "{}", crate::codes::brief(&red));
    assert_eq!(red["reasons"][0]["id"], "close_contact");
    assert_eq!(red["reasons"][0]["facts"][0]["kind"], "close_contact");

    // Importing the same file again stores nothing new.
    let again = import(&issuer, "statuses", "hana", &file);
    assert!(
        stdout(&again).contains("0 stored, 1 unchanged"),
        "{}",
        stdout(&again)
    );

    // A file that cannot be read as a whole changes nothing.
    let headless = write(&issuer, "bad.csv", "id_document,kind,start\n\"x\",y,z\n");
    let output = import(&issuer, "statuses", "hana", &headless);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("the header lacks end")
            && stderr(&output).contains("nothing imported"),
        "{}",
        stderr(&output)
    );
    let json_file = write(&issuer, "withdraw.json", &json!({"records": [
        {"id_document": id, "kind": "close_contact", "start": start, "end": null, "withdrawn": true}
    ]}).to_string());
    let output = import(&issuer, "statuses", "hana", &json_file);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(apply(&issuer, &session)["colour"], "green", "withdrawn");

    let verified = issuer.cli(&["audit", "verify"]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("feed records intact: 2 records in 2 batches"),
        "{}",
        stdout(&verified)
    );

    // Someone with the database, not the service, marks a person red.
    healthcode_tests::databases::execute(
        &healthcode_tests::databases::issuer_database_url(&issuer.data()),
        &["UPDATE statuses SET withdrawn = 0".into()],
    );
    let tampered = issuer.cli(&["audit", "verify"]);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        stderr(&tampered).contains("the feed records were altered"),
        "{}",
        stderr(&tampered)
    );
}
