//! Importing past course records from a CSV file: preview, all-or-nothing commit, row-level
//! problems, duplicates, forged forms and large files, on both engines.

use crate::support::{Browser, Page, TestApp};
use domain::Role;
use store::both_engines;

const HEADER: &str = "log,date,hours,mode,provider,title,split";

/// A signed-in candidate and their id.
async fn candidate(t: &TestApp, email: &str) -> (Browser, domain::UserId) {
    let id = t.user(email, &[Role::Candidate]).await;
    let browser = t.client();
    let signed = browser.sign_in(email, crate::support::PASSWORD).await;
    assert_eq!(signed.location(), "/dashboard", "{}", signed.body);
    (browser, id)
}

/// A day `days_ago` days before the app's today, as YYYY-MM-DD.
fn day(t: &TestApp, days_ago: i64) -> String {
    (t.app.today() - time::Duration::days(days_ago)).to_string()
}

/// The value of the hidden input named `name`, as a browser would send it.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("no hidden {name}")) + marker.len();
    let raw = page.body[start..].split('"').next().unwrap();
    // askama escapes these five, as numeric references.
    raw.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

async fn upload(me: &Browser, csrf: &str, name: &str, bytes: Vec<u8>) -> Page {
    me.post_multipart("/portal/import", &[("csrf", csrf)], &[("file", name, bytes)])
        .await
}

/// Posts the preview page's commit form as a browser would (line ends become CRLF).
async fn commit(me: &Browser, preview: &Page) -> Page {
    let text = hidden(preview, "csv").replace('\n', "\r\n");
    me.post_multipart(
        "/portal/import/commit",
        &[
            ("csrf", &preview.csrf()),
            ("sha256", &hidden(preview, "sha256")),
            ("file_name", "courses.csv"),
            ("csv", &text),
        ],
        &[],
    )
    .await
}

both_engines! {
    async fn a_valid_file_is_previewed_then_imported_all_at_once(engine) {
        let t = TestApp::start(engine).await;
        let (me, id) = candidate(&t, "amara@example.org").await;
        let portal = me.get("/portal").await;
        let chosen = me.post("/portal/programs", &[("csrf", &portal.csrf()), ("program", "CST")]).await;
        assert_eq!(chosen.location(), "/portal/progress/CST");

        let form = me.get("/portal/import").await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.contains("href=\"/portal/import/sample.csv\""));
        assert!(form.contains("<code>orientation_identity</code>"), "the keys are listed");
        assert!(form.contains("Foundations of sexual health"), "the sample is shown as an example");
        let sample = me.get("/portal/import/sample.csv").await;
        assert_eq!(sample.status, 200);
        assert!(sample.header("content-type").starts_with("text/csv"));
        assert!(sample.body.lines().any(|line| line == HEADER));

        // A spreadsheet's export: byte-order mark, CRLF, a quoted title with a comma.
        let csv = format!(
            "\u{feff}{HEADER}\r\ncore_knowledge,{},6.5,live_online,Midwest Institute,Foundations of sexual health,ethics=2; development=4.5\r\ncore_knowledge,{},12,in_person,Northern Conference,\"Sexual function, from optimal to problematic\",sexual_function=8;health_medical=4\r\nsar,{},14,in_person,Harbour Institute,SAR weekend,\r\n",
            day(&t, 40), day(&t, 30), day(&t, 20)
        );
        let preview = upload(&me, &form.csrf(), "courses.csv", csv.into_bytes()).await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        assert!(preview.contains("3 of 3 rows ready"), "{}", preview.body);
        assert!(preview.contains("<progress id=\"ready-count\" max=\"3\" value=\"3\">"));
        assert!(preview.contains("Import 3 entries"));
        assert!(preview.contains("Sexual function, from optimal to problematic"));
        assert!(preview.contains("Ethics and professional conduct: 2; Sexual development across the life course: 4.5"));
        assert!(t.db.store.hours(id.as_str()).await.unwrap().is_empty(), "a preview stores nothing");

        let done = commit(&me, &preview).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert!(done.location().starts_with("/portal/import?imported="));
        let notice = me.get(&done.location()).await;
        assert!(notice.contains("Imported 3 entries."), "{}", notice.body);
        assert!(notice.contains("2 entries in core knowledge (18.5 hours)"), "{}", notice.body);

        let stored = t.db.store.hours(id.as_str()).await.unwrap();
        assert_eq!(stored.len(), 3);
        let batch = stored[0].import_batch.clone().expect("stored as one import");
        assert!(stored.iter().all(|row| row.import_batch.as_deref() == Some(batch.as_str())));
        assert!(me.get("/portal/core-knowledge").await.contains("Northern Conference"));
        let progress = me.get("/portal/progress/CST").await;
        assert!(progress.contains("18.5 of 90 hours counted, 71.5 to go"), "{}", progress.body);
        assert!(t.audit_actions().await.iter().any(|(action, _)| action == "evidence.hours_imported"));

        // Sending the same form again imports nothing: every row is now on file.
        let again = commit(&me, &preview).await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(again.contains("Nothing was imported"));
        assert!(again.contains("Row 2 is already in your log (logged on "), "{}", again.body);
        assert_eq!(t.db.store.hours(id.as_str()).await.unwrap().len(), 3);
    }

    async fn duplicate_rows_and_bad_dates_are_named_and_nothing_is_imported(engine) {
        let t = TestApp::start(engine).await;
        let (me, id) = candidate(&t, "amara@example.org").await;
        let form = me.get("/portal/import").await;
        let row = format!("sar,{},14,in_person,Harbour Institute,SAR weekend,", day(&t, 20));
        let csv = format!(
            "{HEADER}\n{row}\ntraining,2025-02-30,3,elearning,X,Assessment,assessment_diagnosis=3\n{row}\nsar,{},2,carrier_pigeon,Y,Z,\n",
            day(&t, 10)
        );
        let preview = upload(&me, &form.csrf(), "courses.csv", csv.clone().into_bytes()).await;
        assert_eq!(preview.status, 422, "{}", preview.body);
        assert!(preview.contains("1 of 4 rows ready"), "{}", preview.body);
        assert!(preview.contains("3 rows need fixing"));
        assert!(preview.contains("Row 4 repeats row 2: the same log, date, hours, provider and title."), "{}", preview.body);
        assert!(preview.contains("<td>3</td><td>date</td><td>Enter the date as a date, such as 2026-03-15.</td>"), "{}", preview.body);
        assert!(preview.contains("&#34;carrier_pigeon&#34; is not a delivery mode"));
        assert!(preview.contains("Nothing will be imported until the file is fixed."));
        assert!(!preview.contains("/portal/import/commit"), "no import button while rows have problems");

        // Forcing the commit anyway stores nothing.
        let token = app::credentialing::hours_import::token_for(&csv);
        let forced = me.post_multipart(
            "/portal/import/commit",
            &[("csrf", &preview.csrf()), ("sha256", &token), ("csv", &csv)],
            &[],
        ).await;
        assert_eq!(forced.status, 409, "{}", forced.body);
        assert!(forced.contains("Row 4 repeats row 2"));
        assert!(t.db.store.hours(id.as_str()).await.unwrap().is_empty());

        // Problems with the file as a whole are named on the upload page.
        let unknown = upload(&me, &form.csrf(), "x.csv", b"log,date,hours,mode,provider,course\nsar,2025-01-01,1,in_person,A,B\n".to_vec()).await;
        assert_eq!(unknown.status, 422);
        assert!(unknown.contains("The column &#34;course&#34; is not one Sensate knows"), "{}", unknown.body);
        assert!(unknown.contains("no &#34;title&#34; column"));
        let binary = upload(&me, &form.csrf(), "x.xlsx", vec![0x50, 0x4b, 0x03, 0x04, 0xff, 0xfe]).await;
        assert_eq!(binary.status, 422);
        assert!(binary.contains("is not UTF-8 text"));
        let empty = me.post_multipart("/portal/import", &[("csrf", &form.csrf())], &[]).await;
        assert!(empty.contains("Choose the CSV file to import."));
        let big = upload(&me, &form.csrf(), "big.csv", vec![b'#'; app::credentialing::hours_import::MAX_IMPORT_BYTES + 1]).await;
        assert_eq!(big.status, 422);
        assert!(big.contains("the largest accepted is 5 MB"), "{}", big.body);
        let huge = upload(&me, &form.csrf(), "huge.csv", vec![b'#'; 6 * 1024 * 1024]).await;
        assert_eq!(huge.status, 413);
        assert!(huge.contains("The file is larger than 5 MB"), "{}", huge.body);
    }

    async fn a_row_already_on_file_is_refused_and_nothing_saved_is_lost(engine) {
        let t = TestApp::start(engine).await;
        let (me, id) = candidate(&t, "amara@example.org").await;
        let date = day(&t, 15);
        let by_hand = me.submit("/portal/core-knowledge", "/portal/core-knowledge", &[
            ("date", &date), ("hours", "6"), ("mode", "live_online"), ("provider", "Midwest Institute"),
            ("title", "Foundations of sexual health"), ("split.ethics", "6"),
        ]).await;
        assert!(by_hand.location().starts_with("/portal/core-knowledge?added=1&entry="), "{}", by_hand.location());
        let logged_on = t.app.today().to_string();

        let form = me.get("/portal/import").await;
        let csv = format!(
            "{HEADER}\nsar,{date},14,in_person,Harbour Institute,SAR weekend,\ncore_knowledge,{date},6,elearning,midwest  institute,FOUNDATIONS of sexual health,ethics=6\n"
        );
        let preview = upload(&me, &form.csrf(), "courses.csv", csv.into_bytes()).await;
        assert_eq!(preview.status, 422, "{}", preview.body);
        assert!(preview.contains(&format!("Row 3 is already in your log (logged on {logged_on}). Remove it from the file.")), "{}", preview.body);
        assert!(preview.contains("1 of 2 rows ready"));
        assert_eq!(t.db.store.hours(id.as_str()).await.unwrap().len(), 1);

        // A clean preview, then the same course logged by hand before the import is sent:
        // the import is refused as a whole, and the entry logged by hand stays.
        let csv = format!("{HEADER}\nsar,{date},14,in_person,Harbour Institute,SAR weekend,\ntraining,{date},3,elearning,Harbour Institute,Assessment,assessment_diagnosis=3\n");
        let preview = upload(&me, &form.csrf(), "courses.csv", csv.into_bytes()).await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        let meanwhile = me.submit("/portal/sar", "/portal/sar", &[
            ("date", &date), ("hours", "14"), ("mode", "in_person"), ("provider", "Harbour Institute"), ("title", "SAR weekend"),
        ]).await;
        assert!(meanwhile.location().starts_with("/portal/sar?added=1&entry="), "{}", meanwhile.location());
        let refused = commit(&me, &preview).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.contains("Row 2 is already in your log"), "{}", refused.body);
        let stored = t.db.store.hours(id.as_str()).await.unwrap();
        assert_eq!(stored.len(), 2, "the two entries logged by hand, and nothing from the file");
        assert!(stored.iter().all(|row| row.import_batch.is_none()));
    }

    async fn a_stale_forged_or_altered_commit_is_refused(engine) {
        let t = TestApp::start(engine).await;
        let (me, id) = candidate(&t, "amara@example.org").await;
        let form = me.get("/portal/import").await;
        let csv = format!("{HEADER}\nsar,{},14,in_person,Harbour Institute,SAR weekend,\n", day(&t, 5));
        let preview = upload(&me, &form.csrf(), "courses.csv", csv.into_bytes()).await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        let text = hidden(&preview, "csv");
        let token = hidden(&preview, "sha256");

        let forged = me.post_multipart(
            "/portal/import/commit",
            &[("csrf", "not-the-token"), ("sha256", &token), ("csv", &text)],
            &[],
        ).await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert!(forged.contains("This form had expired, so nothing was saved."));
        let missing = me.post_multipart("/portal/import/commit", &[("sha256", &token), ("csv", &text)], &[]).await;
        assert_eq!(missing.status, 403);

        // Another session's token (a form opened before signing out and in again) is stale.
        let other = t.client();
        other.sign_in("amara@example.org", crate::support::PASSWORD).await;
        let stale = other.post_multipart(
            "/portal/import/commit",
            &[("csrf", &preview.csrf()), ("sha256", &token), ("csv", &text)],
            &[],
        ).await;
        assert_eq!(stale.status, 403);

        // Text changed after the preview no longer matches its hash.
        let altered = text.replace("14", "41");
        let changed = me.post_multipart(
            "/portal/import/commit",
            &[("csrf", &preview.csrf()), ("sha256", &token), ("csv", &altered)],
            &[],
        ).await;
        assert_eq!(changed.status, 422);
        assert!(changed.contains("The file changed between its preview and the import"));
        assert!(t.db.store.hours(id.as_str()).await.unwrap().is_empty());

        // And someone who keeps no credential file cannot import at all.
        let staff = t.signed_in("staff@board.example", &[Role::BoardStaff]).await;
        assert_eq!(staff.get("/portal/import").await.status, 403);
    }

    async fn a_file_of_five_thousand_rows_is_previewed_and_imported_quickly(engine) {
        let t = TestApp::start(engine).await;
        let (me, id) = candidate(&t, "amara@example.org").await;
        let form = me.get("/portal/import").await;
        let mut csv = String::from(HEADER);
        csv.push('\n');
        for n in 0..5_000 {
            let date = day(&t, 1 + n % 700);
            csv.push_str(&format!(
                "core_knowledge,{date},1.5,live_online,Provider {n},Course number {n},ethics=1; development=0.5\n"
            ));
        }
        let started = std::time::Instant::now();
        let preview = upload(&me, &form.csrf(), "big.csv", csv.into_bytes()).await;
        let took = started.elapsed();
        assert_eq!(preview.status, 200, "{}", &preview.body[..preview.body.len().min(2000)]);
        assert!(preview.contains("5000 of 5000 rows ready"));
        assert!(preview.contains("Import 5000 entries"));
        assert!(preview.contains("And 4800 more rows, not listed here."), "only the first 200 rows are listed");
        assert!(took < std::time::Duration::from_secs(20), "preview took {took:?}");
        assert!(t.db.store.hours(id.as_str()).await.unwrap().is_empty());
        let started = std::time::Instant::now();
        let done = commit(&me, &preview).await;
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "import took {:?}", started.elapsed());
        assert_eq!(done.status, 303, "{}", &done.body[..done.body.len().min(2000)]);
        assert_eq!(t.db.store.hours(id.as_str()).await.unwrap().len(), 5_000);
    }
}
