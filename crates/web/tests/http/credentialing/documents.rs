//! Documents over HTTP: uploading (checked by content, stored encrypted, attached to a record),
//! refusals that store nothing, and downloads only for the people allowed, each audited. Both
//! engines.

use std::path::{Path, PathBuf};

use crate::support::{Browser, TestApp};
use domain::Role;
use store::both_engines;

/// Text inside the test PDF's content stream: it must never appear in what is stored.
const MARKER: &str = "Sensate test license PSY-4411";

/// A small but complete PDF: header, four objects, cross-reference table, trailer, `%%EOF`.
/// With `encrypted`, the trailer names an encryption dictionary, as a password-protected PDF's
/// does.
pub(crate) fn pdf(text: &str, encrypted: bool) -> Vec<u8> {
    let stream = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
    ];
    if encrypted {
        objects.push("<< /Filter /Standard /V 1 /R 2 /O (owner) /U (user) /P -44 >>".to_owned());
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let encrypt = if encrypted { " /Encrypt 5 0 R" } else { "" };
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R{encrypt} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PNG cut off in the middle of its image data.
fn truncated_png() -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    out.extend_from_slice(&[0, 0, 0, 13]);
    out.extend_from_slice(b"IHDR");
    out.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    out.extend_from_slice(&[0x90, 0x77, 0x53, 0xDE]);
    out.extend_from_slice(&[0, 0, 0, 100]);
    out.extend_from_slice(b"IDAT");
    out.extend_from_slice(&[0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0]);
    out
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// The text after `marker` up to the next `"`.
fn value_after(body: &str, marker: &str) -> String {
    let start = body.find(marker).unwrap_or_else(|| panic!("no {marker:?} in {body}")) + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

async fn user_id(t: &TestApp, email: &str) -> domain::UserId {
    let email = domain::EmailAddress::parse(email).unwrap();
    t.db.store.user_by_email(&email).await.unwrap().unwrap().id
}

/// Records a license through the portal and returns the upload form's value for it.
async fn add_license(me: &Browser) -> String {
    let form = me.get("/portal/licenses").await;
    let added = me
        .post(
            "/portal/licenses",
            &[
                ("csrf", &form.csrf()),
                ("profession", "psychology"),
                ("jurisdiction", "Ontario"),
                ("number", "PSY-4411"),
                ("valid_from", "2024-01-01"),
                ("valid_until", "2030-12-31"),
            ],
        )
        .await;
    assert_eq!(added.location(), "/portal/licenses?added=1", "{}", added.body);
    let page = me.get("/portal/documents").await;
    assert_eq!(page.status, 200, "{}", page.body);
    format!("licenses:{}", value_after(&page.body, "value=\"licenses:"))
}

/// Uploads `bytes` as `file_name`; returns the response.
async fn upload(me: &Browser, kind: &str, attach_to: &str, file_name: &str, bytes: Vec<u8>) -> crate::support::Page {
    let form = me.get("/portal/documents").await;
    me.post_multipart(
        "/portal/documents",
        &[("csrf", &form.csrf()), ("kind", kind), ("attach_to", attach_to)],
        &[("file", file_name, bytes)],
    )
    .await
}

/// The id of the newest document on the person's documents page.
async fn newest_document(me: &Browser) -> String {
    value_after(&me.get("/portal/documents").await.body, "href=\"/documents/")
}

both_engines! {
    async fn a_license_copy_is_stored_encrypted_attached_and_downloaded_intact(engine) {
        let t = TestApp::start(engine).await;
        let me = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let owner = user_id(&t, "amara@example.org").await;
        let license = add_license(&me).await;
        assert!(me.get("/portal/licenses").await.contains("not yet"));

        let original = pdf(MARKER, false);
        let uploaded = upload(&me, "license", &license, "license.pdf", original.clone()).await;
        assert_eq!(uploaded.status, 303, "{}", uploaded.body);
        assert_eq!(uploaded.location(), "/portal/documents?uploaded=1");
        let listed = me.get("/portal/documents?uploaded=1").await;
        assert!(listed.contains("Uploaded."), "{}", listed.body);
        assert!(listed.contains("license.pdf"));
        assert!(listed.contains("License PSY-4411"), "the list says what it proves");
        assert!(listed.contains(&format!("{} bytes", original.len())));

        // The rule engine's view: the license is documented.
        let licenses = me.get("/portal/licenses").await;
        assert!(licenses.contains("attached"), "{}", licenses.body);
        assert!(!licenses.contains("not yet"));
        let stored = t.db.store.licenses(owner.as_str()).await.unwrap();
        let id = newest_document(&me).await;
        assert_eq!(stored[0].document_id.as_deref(), Some(id.as_str()));

        let (status, headers, body) = me.get_bytes(&format!("/documents/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(body, original, "the download is the upload, byte for byte");
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(headers["content-disposition"], "attachment; filename=\"license.pdf\"");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["content-length"], original.len().to_string().as_str());

        // On disk: one object, under the owner, and the text is nowhere in it.
        let on_disk = files_under(&t.keys_dir.path().join("files"));
        assert_eq!(on_disk.len(), 1, "{on_disk:?}");
        assert!(on_disk[0].ends_with(format!("documents/{owner}/{id}")), "{on_disk:?}");
        let sealed = std::fs::read(&on_disk[0]).unwrap();
        assert!(sealed.len() > original.len());
        assert!(!sealed.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()), "stored in the clear");
        assert!(!sealed.windows(8).any(|w| w == b"%PDF-1.4"));

        let actions = t.audit_actions().await;
        assert!(actions.contains(&("document.uploaded".to_owned(), "success".to_owned())), "{actions:?}");
        assert!(actions.contains(&("document.downloaded".to_owned(), "success".to_owned())));
    }

    async fn refused_uploads_say_why_and_store_nothing(engine) {
        let t = TestApp::start(engine).await;
        let me = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let owner = user_id(&t, "amara@example.org").await;
        let license = add_license(&me).await;

        let text = b"Dear board, this is not really a PDF.\n".to_vec();
        let refused = upload(&me, "license", &license, "license.pdf", text).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.contains("Only PDF, PNG or JPEG files can be uploaded."), "{}", refused.body);
        assert!(refused.contains("<option value=\"license\" selected>"), "the kind is kept");
        assert!(refused.contains(&format!("<option value=\"{license}\" selected>")), "the record is kept");
        assert!(refused.contains("aria-describedby=\"file-hint file-error\""));
        assert!(refused.contains("id=\"file-error\""));

        let locked = upload(&me, "license", &license, "locked.pdf", pdf(MARKER, true)).await;
        assert_eq!(locked.status, 422);
        assert!(locked.contains("This PDF is password-protected. Remove the password and upload it again."), "{}", locked.body);

        // A PDF that would run a script when opened, and a PDF that is also a web page.
        let plain = pdf(MARKER, false);
        let catalog: &[u8] = b"/Pages 2 0 R >>";
        let at = plain.windows(catalog.len()).position(|w| w == catalog).unwrap() + catalog.len() - 2;
        let scripted = [&plain[..at], b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ", &plain[at..]].concat();
        let polyglot = [pdf(MARKER, false), b"<html><script>alert(document.cookie)</script></html>\n%%EOF\n".to_vec()].concat();
        for (name, bytes) in [("scripted.pdf", scripted), ("polyglot.pdf", polyglot)] {
            let active = upload(&me, "license", &license, name, bytes).await;
            assert_eq!(active.status, 422, "{name}");
            assert!(active.contains("This PDF contains active content"), "{name}: {}", active.body);
        }

        let png = upload(&me, "license", &license, "scan.png", truncated_png()).await;
        assert_eq!(png.status, 422);
        assert!(png.contains("This PNG image is damaged or incomplete."), "{}", png.body);

        let mut cut = pdf(MARKER, false);
        cut.truncate(cut.len() - 40);
        let damaged = upload(&me, "license", &license, "cut.pdf", cut).await;
        assert_eq!(damaged.status, 422);
        assert!(damaged.contains("This PDF is damaged or incomplete."), "{}", damaged.body);

        // Just over the 20 MB limit, and the 50 MB: refused with the same message (the
        // rest of the body is read and discarded so the browser sees it).
        for megabytes in [21, 50] {
            let mut huge = b"%PDF-1.4\n".to_vec();
            huge.resize(megabytes * 1024 * 1024, b' ');
            let large = upload(&me, "license", &license, "huge.pdf", huge).await;
            assert_eq!(large.status, 422, "{megabytes} MB: {}", large.body);
            assert!(large.contains("The file is larger than the 20 MB limit."), "{}", large.body);
        }

        let nothing = upload(&me, "license", "", "", Vec::new()).await;
        assert_eq!(nothing.status, 422);
        assert!(nothing.contains("Choose a file to upload."), "{}", nothing.body);

        // The form's own mistakes are caught before the file is read.
        let no_kind = upload(&me, "", "", "license.pdf", pdf(MARKER, false)).await;
        assert_eq!(no_kind.status, 422);
        assert!(no_kind.contains("Choose what kind of document this is."));
        let wrong_kind = upload(&me, "transcript", &license, "license.pdf", pdf(MARKER, false)).await;
        assert_eq!(wrong_kind.status, 422);
        assert!(wrong_kind.contains("Only a document of the kind"), "{}", wrong_kind.body);
        let not_mine = upload(&me, "license", "licenses:00000000000000000000000000000000", "license.pdf", pdf(MARKER, false)).await;
        assert_eq!(not_mine.status, 422);
        assert!(not_mine.contains("Choose one of your records, or none."));

        // A forged or stale token: nothing is stored and the form says so.
        let forged = me
            .post_multipart(
                "/portal/documents",
                &[("csrf", "forged"), ("kind", "license")],
                &[("file", "license.pdf", pdf(MARKER, false))],
            )
            .await;
        assert_eq!(forged.status, 422);
        assert!(forged.contains("This form had expired, so nothing was saved."), "{}", forged.body);

        assert!(t.db.store.documents_of(owner.as_str()).await.unwrap().is_empty());
        assert_eq!(files_under(&t.keys_dir.path().join("files")), Vec::<PathBuf>::new());
        assert!(me.get("/portal/documents").await.contains("No documents uploaded yet."));
        assert!(me.get("/portal/licenses").await.contains("not yet"), "the license stays as it was");
        let refusals = t.audit_actions().await.into_iter().filter(|(a, o)| a == "document.refused" && o == "failure").count();
        assert_eq!(refusals, 9, "every refusal is audited, the two with active content too");

        // Nothing already saved is lost: a good upload after all that still works.
        let good = upload(&me, "license", &license, "license.pdf", pdf(MARKER, false)).await;
        assert_eq!(good.status, 303, "{}", good.body);
    }

    async fn downloads_are_for_the_owner_staff_and_contract_parties(engine) {
        let t = TestApp::start(engine).await;
        let amara = t.signed_in("amara@example.org", &[Role::Candidate]).await;
        let amara_id = user_id(&t, "amara@example.org").await;
        let license = add_license(&amara).await;
        assert_eq!(upload(&amara, "license", &license, "license.pdf", pdf(MARKER, false)).await.status, 303);
        let license_doc = newest_document(&amara).await;
        let transcript = pdf("Transcript of records", false);
        assert_eq!(upload(&amara, "transcript", "", "transcript.pdf", transcript.clone()).await.status, 303);
        let transcript_doc = newest_document(&amara).await;
        assert_ne!(license_doc, transcript_doc);

        // Another candidate: refused, and the refusal is audited.
        let other = t.signed_in("other@example.org", &[Role::Candidate]).await;
        let denied_before = t.audit_actions().await.iter().filter(|(a, o)| a == "access.denied" && o == "denied").count();
        let refused = other.get(&format!("/documents/{license_doc}")).await;
        assert_eq!(refused.status, 403);
        assert!(!refused.contains(MARKER));
        let denied_after = t.audit_actions().await.iter().filter(|(a, o)| a == "access.denied" && o == "denied").count();
        assert_eq!(denied_after, denied_before + 1);
        assert_eq!(other.get("/documents/no-such-document-anywhere").await.status, 404);

        // Visitors are sent to sign in.
        let visitor = t.client().get(&format!("/documents/{license_doc}")).await;
        assert_ne!(visitor.status, 200);
        assert!(visitor.location().starts_with("/sign-in"), "{}", visitor.location());

        // Board staff may see everything.
        let staff = t.signed_in("staff@board.example", &[Role::BoardStaff]).await;
        let (status, _, body) = staff.get_bytes(&format!("/documents/{transcript_doc}")).await;
        assert_eq!(status, 200);
        assert_eq!(body, transcript);
        assert_eq!(staff.get_bytes(&format!("/documents/{license_doc}")).await.0, 200);

        // A supervisor: nothing before a contract; after signing one, the license but not the
        // transcript.
        let supervisor = t.signed_in("sup@example.org", &[Role::Supervisor]).await;
        let supervisor_id = user_id(&t, "sup@example.org").await;
        assert_eq!(supervisor.get(&format!("/documents/{license_doc}")).await.status, 403);
        let now = t.app.now();
        let contract = store::credentialing::supervision::ContractRow {
            id: app::platform::random::id().unwrap(),
            candidate_id: amara_id.to_string(),
            supervisor_id: None,
            supervisor_email: "sup@example.org".into(),
            program_code: "CST".into(),
            starts_on: "2026-01-01".into(),
            is_primary: true,
            notice_days: 30,
            terms: "Weekly supervision.".into(),
            candidate_signed_at: Some(now),
            supervisor_signed_at: None,
            declined_at: None,
            ended_by: None,
            end_noticed_at: None,
            ends_on: None,
            end_reason: None,
            created_at: now,
        };
        t.db.store.insert_contract(&contract).await.unwrap();
        t.db.store
            .sign_contract_as_supervisor(&contract.id, supervisor_id.as_str(), "sup@example.org", now)
            .await
            .unwrap();
        let (status, headers, body) = supervisor.get_bytes(&format!("/documents/{license_doc}")).await;
        assert_eq!(status, 200);
        assert_eq!(body, pdf(MARKER, false));
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(supervisor.get(&format!("/documents/{transcript_doc}")).await.status, 403);

        // The listing for the supervisor holds only what they may open.
        let meta = app::RequestMeta::default();
        let sup_actor = app::Actor {
            user_id: supervisor_id.clone(),
            email: domain::EmailAddress::parse("sup@example.org").unwrap(),
            display_name: "Sup".into(),
            roles: vec![Role::Supervisor],
            session_id: domain::SessionId::parse(&app::platform::random::id().unwrap()).unwrap(),
            mfa_enabled: true,
            email_verified: true,
            is_demo: false,
        };
        let visible: Vec<String> = t.app.documents(&sup_actor, &amara_id, &meta).await.unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(visible, vec![license_doc.clone()]);

        let actions = t.audit_actions().await;
        let downloads = actions.iter().filter(|(a, _)| a == "document.downloaded").count();
        assert_eq!(downloads, 3, "every download is audited: {actions:?}");
    }
}
