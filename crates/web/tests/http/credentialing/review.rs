//! Committee review over HTTP, on the demo's ready candidate (Taylor Brooks): staff assign two
//! reviewers, one declares a conflict and is replaced, reviewers recommend, staff ask for more
//! information, the candidate answers, the chair approves; the credential is issued and the
//! candidate reads the letter and downloads the certificate and the signed badge; the public
//! verification page and API say "active", then "revoked" with the notice after staff revoke
//! it. Every refusal on the way is checked. Both engines.

use crate::support::{Options, TestApp};
use domain::Role;
use store::both_engines;

const DEMO_PASSWORD: &str = "demo-sensate-2026";
const TAYLOR: &str = "ready@demo.sensate.test";

/// Taylor's application, submitted (prepared, endorsed by Dr. Marsh, fee paid).
async fn submitted_application(t: &TestApp) -> String {
    let meta = app::RequestMeta::default();
    let taylor = t.actor(TAYLOR).await;
    let row = t.app.start_application(&taylor, "CST", &meta).await.unwrap();
    let marsh = t.actor("supervisor@demo.sensate.test").await;
    t.app.endorse_application(&marsh, &row.id, &meta).await.unwrap();
    let staff = t.actor("staff@demo.sensate.test").await;
    t.app.record_fee(&staff, &row.id, false, &meta).await.unwrap();
    t.app.submit_application(&taylor, &row.id, &meta).await.unwrap();
    row.id
}

fn assignment_of(page: &str) -> String {
    page.split("/review/assignments/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

both_engines! {
    async fn an_application_goes_from_submission_to_a_verified_credential(engine) {
        let t = TestApp::start_with(engine, Options { demo: true, load_demo: true, ..Options::default() }).await;
        let id = submitted_application(&t).await;
        let staff = t.signed_in("clerk@board.test", &[Role::BoardStaff]).await;
        let first = t.signed_in("first@board.test", &[Role::CommitteeReviewer]).await;
        let second = t.signed_in("second@board.test", &[Role::CommitteeReviewer]).await;
        let third = t.signed_in("third@board.test", &[Role::CommitteeReviewer]).await;
        let chair = t.signed_in("chair@board.test", &[Role::CommitteeChair]).await;
        let ids: Vec<String> = futures_util::future::join_all(["first@board.test", "second@board.test", "third@board.test"].map(|e| t.actor(e)))
            .await.into_iter().map(|a| a.user_id.to_string()).collect();

        // The queue shows the application waiting for reviewers.
        let queue = staff.get("/admin/review").await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        assert!(queue.contains("Submitted, waiting for reviewers") && queue.contains("Assign 2 reviewers"), "{}", queue.body);
        let filtered = staff.get("/admin/review?state=decided").await;
        assert!(filtered.contains("No applications match."));
        // Nobody else sees the queue or the packet.
        assert_eq!(first.get("/admin/review").await.status, 403);
        assert_eq!(first.get(&format!("/review/applications/{id}")).await.status, 403, "not assigned yet");

        let packet = format!("/review/applications/{id}");
        for reviewer in [&ids[0], &ids[1]] {
            let assigned = staff.submit(&packet, &format!("{packet}/assign"), &[("reviewer", reviewer)]).await;
            assert_eq!(assigned.status, 303, "{}", assigned.body);
        }
        let again = staff.submit(&packet, &format!("{packet}/assign"), &[("reviewer", &ids[0])]).await;
        assert_eq!(again.status, 422);
        assert!(again.contains("is already reviewing this application"));
        assert!(t.last_mail("first@board.test").await.1.contains("You were asked to review an application"));

        // The second reviewer declares a conflict from their desk, without opening the packet.
        let desk = second.get("/review").await;
        assert!(desk.contains("Taylor Brooks"), "{}", desk.body);
        let conflict = second.submit("/review", &format!("/review/assignments/{}/conflict", assignment_of(&desk.body)), &[("reason", "colleague"), ("note", "We share a practice.")]).await;
        assert_eq!(conflict.location(), "/review?done=conflict");
        let refused = second.get(&packet).await;
        assert_eq!(refused.status, 403);
        assert!(refused.contains("conflict of interest"), "{}", refused.body);
        // Staff see the withdrawal and cannot assign them again; the reason is given.
        let seen = staff.get(&packet).await;
        assert!(seen.contains("Withdrawn: declared a conflict of interest"), "{}", seen.body);
        assert!(seen.contains("conflict (Declared a conflict: We work together or did recently.)"), "{}", seen.body);
        let blocked = staff.submit(&packet, &format!("{packet}/assign"), &[("reviewer", &ids[1])]).await;
        assert_eq!(blocked.status, 422);
        assert!(blocked.contains("cannot review this application"), "{}", blocked.body);
        assert_eq!(staff.submit(&packet, &format!("{packet}/assign"), &[("reviewer", &ids[2])]).await.status, 303);

        // No decision without the recommendations.
        let early = chair.submit(&packet, &format!("{packet}/decide"), &[("decision", "approve"), ("reasons", "All requirements are met.")]).await;
        assert_eq!(early.status, 422);
        assert!(early.contains("This application needs 2 recommendations before a decision; it has 0."), "{}", early.body);
        assert!(early.contains("All requirements are met."), "what the chair typed is kept");

        // The first reviewer recommends; a reason is required and what was typed is kept.
        let opened = first.get(&packet).await;
        assert!(opened.contains("Requirements, as judged at submission"), "{}", opened.body);
        let document = opened.body.split("<a href=\"/documents/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert_eq!(first.get_bytes(&format!("/documents/{document}")).await.0, 200, "an assigned reviewer reads the documents");
        assert_eq!(second.get_bytes(&format!("/documents/{document}")).await.0, 403, "a conflicted reviewer does not");
        let short = first.submit(&packet, &format!("{packet}/recommend"), &[("recommendation", "approve"), ("comments", "ok")]).await;
        assert_eq!(short.status, 422);
        assert!(short.contains("Write your reasons"));
        let done = first.submit(&packet, &format!("{packet}/recommend"), &[("recommendation", "approve"), ("comments", "Hours, supervision and documents are complete and consistent.")]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        // The third reviewer does not see the first one's opinion before giving their own.
        let blind = third.get(&packet).await;
        assert!(blind.contains("Has recommended; you will see it once you have made yours."), "{}", blind.body);
        assert!(!blind.contains("Hours, supervision and documents are complete"));

        // Staff ask for more information; reviewing pauses.
        let asked = staff.submit(&packet, &format!("{packet}/request-information"), &[("request", "Please send the signed letter from your second supervisor.")]).await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let paused = third.submit(&packet, &format!("{packet}/recommend"), &[("recommendation", "approve"), ("comments", "Complete application, approve.")]).await;
        assert_eq!(paused.status, 422);
        assert!(paused.contains("This application is not in review now (more information requested)."), "{}", paused.body);

        // The candidate answers in their portal, with a document from their file.
        let taylor = t.client();
        taylor.sign_in(TAYLOR, DEMO_PASSWORD).await;
        let mine = taylor.get(&format!("/portal/applications/{id}")).await;
        assert!(mine.contains("Please send the signed letter from your second supervisor."), "{}", mine.body);
        assert!(!mine.contains("Hours, supervision and documents are complete"), "reviewers' comments stay with the committee");
        let empty = taylor.post(&format!("/portal/applications/{id}/answer"), &[("csrf", &mine.csrf()), ("answer", "")]).await;
        assert_eq!(empty.status, 422);
        assert!(empty.contains("Write your answer or attach a document."));
        let own_doc = mine.body.split("name=\"document-").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let field = format!("document-{own_doc}");
        let answered = taylor.post(&format!("/portal/applications/{id}/answer"), &[("csrf", &mine.csrf()), ("answer", "Attached is the letter from Dr. Marsh."), (&field, "1")]).await;
        assert_eq!(answered.location(), format!("/portal/applications/{id}?done=answered"));
        let history = staff.get(&packet).await;
        assert!(history.contains("Candidate answered") && history.contains("Attached is the letter from Dr. Marsh."), "{}", history.body);
        // The e-mail that tells staff of the answer leads to the application, and it opens.
        let told = t.link_in_mail("clerk@board.test", "/review/applications/").await;
        assert_eq!(told, packet, "the staff e-mail links to the packet");
        assert_eq!(staff.get(&told).await.status, 200);

        assert_eq!(third.submit(&packet, &format!("{packet}/recommend"), &[("recommendation", "approve"), ("comments", "Complete application, approve.")]).await.status, 303);
        // Staff hear that it is ready for a decision, with a link that opens it.
        let (_, ready) = t.last_mail("clerk@board.test").await;
        assert!(ready.contains("ready for a decision"), "{ready}");
        let ready_link = t.link_in_mail("clerk@board.test", "/review/applications/").await;
        assert_eq!(staff.get(&ready_link).await.status, 200, "{ready_link}");
        // A reviewer cannot decide; the chair can.
        let not_chair = third.submit(&packet, &format!("{packet}/decide"), &[("decision", "approve"), ("reasons", "Looks complete to me.")]).await;
        assert_eq!(not_chair.status, 403);
        let decided = chair.submit(&packet, &format!("{packet}/decide"), &[("decision", "approve"), ("reasons", "Every requirement is met and both reviewers recommend approval.")]).await;
        assert_eq!(decided.status, 303, "{}", decided.body);
        // The chair's confirmation names the credential just issued.
        let confirmation = chair.get(&decided.location()).await;
        let issued = t.db.store.issued_credentials_of(&t.actor(TAYLOR).await.user_id.to_string()).await.unwrap();
        assert!(confirmation.contains(&format!("credential {} issued", issued[0].number)), "{}", confirmation.body);
        let crafted = chair.get(&format!("{packet}?done=decided&credential=%3Cb%3Efree%20money%3C%2Fb%3E")).await;
        assert!(!crafted.contains("free money"), "a crafted number is not echoed");

        // The candidate is told, reads the letter, and downloads the credential.
        assert!(t.last_mail(TAYLOR).await.1.contains("decided on your application"));
        assert!(!t.last_mail(TAYLOR).await.1.contains("approved"), "the e-mail names no outcome");
        let (subject, text) = t.last_mail(TAYLOR).await;
        assert_eq!(subject, "Certification: A decision on your application", "a subject that says what happened");
        assert!(text.trim_end().ends_with("Test Board of Sexuality Professionals"), "signed by the board: {text}");
        let decided_page = taylor.get(&format!("/portal/applications/{id}")).await;
        assert!(decided_page.contains("<dd>Decided: approved</dd>"), "the page names the outcome: {}", decided_page.body);
        let letter = taylor.get(&format!("/portal/applications/{id}/letter")).await;
        assert!(letter.contains("approved it"), "{}", letter.body);
        let number = letter.body.split("Your credential number is ").nth(1).unwrap().split('.').next().unwrap().to_owned();
        assert!(domain::credentialing::credential_number::CredentialNumber::parse(&number).is_ok(), "{number}");
        let (status, headers, pdf) = taylor.get_bytes(&format!("/portal/applications/{id}/letter.pdf")).await;
        assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-"));
        let text = TestApp::pdf_text(&pdf);
        assert!(text.contains("application, decided"), "the footer names the application for its reader: {text}");
        assert!(!text.contains(&id), "no database id in the letter");
        // The board as configured: its name, address and signatory head and sign the letter.
        for said in ["Test Board of Sexuality Professionals", "12 Test Street", "Dr. Tess Signer", "Chair, Certification Committee"] {
            assert!(text.contains(said), "the letter says {said:?}: {text}");
        }
        assert!(!text.contains("Certification Board\n"), "never the default name: {text}");
        for size in ["wall", "wallet"] {
            let (status, headers, pdf) = taylor.get_bytes(&format!("/portal/credentials/{number}/certificate.pdf?size={size}")).await;
            assert_eq!(status, 200);
            assert_eq!(headers["cache-control"], "no-store");
            let text = TestApp::pdf_text(&pdf);
            for said in [number.as_str(), "Taylor Brooks", "Test Board of Sexuality Professionals"] {
                assert!(text.contains(said), "the {size} certificate says {said:?}: {text}");
            }
            assert!(!text.contains("Rule version"), "{size}: {text}");
            if size == "wall" {
                assert!(text.contains("Dr. Tess Signer") && text.contains("Chair, Certification Committee"), "the signatory line: {text}");
            }
        }
        let (status, headers, jwt) = taylor.get_bytes(&format!("/portal/credentials/{number}/badge.jwt")).await;
        assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "application/vc+jwt"));
        let jwt = String::from_utf8(jwt).unwrap();
        // Someone else's credential cannot be downloaded.
        let alex = t.client();
        alex.sign_in("halfway@demo.sensate.test", DEMO_PASSWORD).await;
        assert_eq!(alex.get_bytes(&format!("/portal/credentials/{number}/badge.jwt")).await.0, 403);

        // Public verification: the page, the API and the uploaded badge all say active.
        let public = t.client();
        let page = public.get(&format!("/verify/{number}")).await;
        assert_eq!(page.status, 200);
        assert!(page.contains("Taylor Brooks") && page.contains(">active<"), "{}", page.body);
        assert!(page.contains("A licensed mental-health or medical clinician"), "the credential is explained");
        let api = public.get_json(&format!("/api/v1/credentials/{number}")).await;
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["status"], "active");
        assert_eq!(json["credential"]["kind"], "therapist");
        let form = public.get("/verify").await;
        let checked = public.post_multipart("/verify/check", &[("csrf", &form.csrf()), ("token", "")], &[("file", &format!("{number}.jwt"), jwt.clone().into_bytes())]).await;
        assert_eq!(checked.status, 200, "{}", checked.body);
        assert!(checked.contains("The signature is valid") && checked.contains(">active<"), "{}", checked.body);
        let by_name = public.get("/verify?q=taylor").await;
        assert!(by_name.contains(&number));

        // Staff revoke it with a public notice; everything says revoked at once.
        let admin_page = format!("/admin/credentials/{number}");
        let offered = staff.get(&admin_page).await;
        assert!(offered.contains("value=\"suspend\"") && offered.contains("value=\"revoke\"") && !offered.contains("value=\"reinstate\""), "an active credential can be suspended or revoked: {}", offered.body);
        let unconfirmed = staff.submit(&admin_page, &format!("{admin_page}/status"), &[("action", "revoke"), ("reason", "Ethics case 2026-7."), ("notice", "Revoked after an ethics committee finding.")]).await;
        assert_eq!(unconfirmed.status, 422);
        assert!(unconfirmed.contains("Confirm that this is the right credential and holder"), "{}", unconfirmed.body);
        assert!(unconfirmed.contains("Revoked after an ethics committee finding."), "what was typed is kept");
        let no_notice = staff.submit(&admin_page, &format!("{admin_page}/status"), &[("action", "revoke"), ("reason", "x"), ("notice", ""), ("confirm", "yes")]).await;
        assert_eq!(no_notice.status, 422);
        assert!(no_notice.contains("Write the public notice shown on the verification page, at least 5 characters"), "{}", no_notice.body);
        assert!(no_notice.contains("Write the reason for the record, at least 5 characters"), "{}", no_notice.body);
        let revoked = staff.submit(&admin_page, &format!("{admin_page}/status"), &[("action", "revoke"), ("reason", "Ethics case 2026-7."), ("notice", "Revoked after an ethics committee finding."), ("confirm", "yes")]).await;
        assert_eq!(revoked.status, 303, "{}", revoked.body);
        // After a revocation, only the correction of an error is offered.
        let after = staff.get(&admin_page).await;
        assert!(after.contains("value=\"undo\"") && !after.contains("value=\"suspend\"") && !after.contains("value=\"revoke\"") && !after.contains("value=\"reinstate\""), "{}", after.body);
        let page = public.get(&format!("/verify/{number}")).await;
        assert!(page.contains(">revoked<") && page.contains("Revoked after an ethics committee finding."), "{}", page.body);
        // The page leads with the status in words and its date, before the validity dates.
        let headline = format!("<strong>Revoked on {}</strong>", app::credentialing::credentials::long_date(t.app.today()));
        assert!(page.contains(&headline), "{}", page.body);
        assert!(page.body.find(&headline).unwrap() < page.body.find("<dt>Valid</dt>").unwrap(), "the status comes first");
        // A lapse says since when: the demo's Dr. Petrova, whose membership ended 30 days ago.
        let petrova = public.get("/verify?q=petrova").await;
        let petrova_number = petrova.body.split("/verify/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let lapsed = public.get(&format!("/verify/{petrova_number}")).await;
        let since = app::credentialing::credentials::long_date(t.app.today() - time::Duration::days(29));
        assert!(lapsed.contains(&format!("<strong>Lapsed since {since}: membership not in good standing</strong>")), "{}", lapsed.body);
        let json: serde_json::Value = serde_json::from_str(&public.get_json(&format!("/api/v1/credentials/{number}")).await.body).unwrap();
        assert_eq!(json["status"], "revoked");
        assert_eq!(json["public_notice"], "Revoked after an ethics committee finding.");

        let actions = t.audit_actions().await;
        for action in ["review.assigned", "review.conflict_declared", "review.packet_opened", "review.recommended", "review.information_requested", "review.information_given", "review.decided", "credential.issued", "credential.revoked", "access.denied"] {
            assert!(actions.iter().any(|(a, _)| a == action), "{action}");
        }
        // Every link in every e-mail of this journey answers its addressee.
        for (to, reader) in [(TAYLOR, &taylor), ("clerk@board.test", &staff), ("first@board.test", &first), ("third@board.test", &third)] {
            assert!(t.follow_mail_links(to, reader).await > 0, "{to}");
        }
    }
    async fn reviewers_and_staff_see_names_evidence_and_the_next_step(engine) {
        let t = TestApp::start_with(engine, Options { demo: true, load_demo: true, ..Options::default() }).await;
        let id = submitted_application(&t).await;
        let meta = app::RequestMeta::default();
        let staff = t.signed_in("clerk@board.test", &[Role::BoardStaff]).await;
        let packet = format!("/review/applications/{id}");
        let row = |page: &crate::support::Page| -> String {
            let start = page.body.find(&format!("href=\"{packet}\"")).unwrap_or_else(|| panic!("a row for Taylor: {}", page.body));
            page.body[start..].split("</tr>").next().unwrap().to_owned()
        };

        // The queue: full list helpers, and the real next step.
        let queue = staff.get("/admin/review").await;
        assert!(queue.contains("Showing 1\u{2013}"), "{}", queue.body);
        assert!(queue.contains("aria-sort=\"descending\""), "sorted by days in state, longest first: {}", queue.body);
        assert!(row(&queue).contains("Assign 2 reviewers"), "{}", row(&queue));
        assert!(row(&queue).contains(TAYLOR), "the e-mail is shown");
        for (query, found) in [("q=ready%40demo", true), ("q=Taylor", true), ("q=nobody-matches", false), ("step=assign", true), ("step=decide", false), ("state=submitted&program=CST", true)] {
            let page = staff.get(&format!("/admin/review?{query}")).await;
            assert_eq!(page.status, 200);
            assert_eq!(page.contains(&packet), found, "{query}: {}", page.body);
        }
        let sorted = staff.get("/admin/review?sort=candidate&dir=asc").await;
        assert!(sorted.contains("href=\"/admin/review?sort=candidate&#38;dir=desc\""), "the heading turns the order round: {}", sorted.body);
        assert!(sorted.contains("Assign reviewers (") && sorted.contains("Ready for the committee&#39;s decision ("), "the step filter counts: {}", sorted.body);

        // Assignments: the queue and the history say who, and by whom.
        let clerk = t.actor("clerk@board.test").await;
        let okafor = t.actor("reviewer1@demo.sensate.test").await;
        let nwosu = t.actor("reviewer3@demo.sensate.test").await;
        t.app.assign_reviewer(&clerk, &id, okafor.user_id.as_str(), &meta).await.unwrap();
        assert!(row(&staff.get("/admin/review").await).contains("Assign 1 more reviewer"));
        t.app.assign_reviewer(&clerk, &id, nwosu.user_id.as_str(), &meta).await.unwrap();
        let waiting = row(&staff.get("/admin/review").await);
        assert!(waiting.contains("Waiting for Dr. Samuel Okafor and Dr. Amara Nwosu"), "{waiting}");
        let opened = staff.get(&packet).await;
        assert!(opened.contains("<strong>Reviewer assigned: Dr. Samuel Okafor</strong> by Test Person"), "{}", opened.body);
        assert!(opened.contains("<strong>Reviewer assigned: Dr. Amara Nwosu</strong> by Test Person"), "{}", opened.body);

        // Document kinds by name, never the stored code.
        for code in ["reference_letter", "insurance_face_sheet", "(transcript)", "(license)"] {
            assert!(!opened.contains(code), "{code} shown raw: {}", opened.body);
        }
        assert!(opened.contains("Professional reference letter") && opened.contains("Insurance face sheet"), "{}", opened.body);

        // Each requirement links to its evidence: a section of the packet, and the documents.
        let requirements = opened.body.split("id=\"requirements-title\"").nth(1).unwrap().split("</table>").next().unwrap().to_owned();
        let rows: Vec<&str> = requirements.split("<tr>").skip(2).collect();
        assert!(!rows.is_empty());
        for requirement in &rows {
            if requirement.contains("<td>Met</td>") {
                assert!(requirement.contains("<a href=\"#evidence-") || requirement.contains("<a href=\"/documents/"), "a met requirement without its evidence: {requirement}");
            }
        }
        for anchor in ["#evidence-licenses", "#evidence-supervision", "#evidence-hours-clinical"] {
            assert!(requirements.contains(&format!("href=\"{anchor}\"")), "{anchor}: {requirements}");
            assert!(opened.contains(&format!("id=\"{}\"", &anchor[1..])), "the anchor {anchor} exists");
        }
        assert!(opened.contains("countersigned"), "supervision sessions are listed: {}", opened.body);
        let license = requirements.split("<tr>").find(|r| r.contains("#evidence-licenses")).unwrap();
        let document = license.split("<a href=\"/documents/").nth(1).unwrap_or_else(|| panic!("the license document is linked: {license}")).split('"').next().unwrap().to_owned();
        let (status, _, _) = staff.get_bytes(&format!("/documents/{document}")).await;
        assert_eq!(status, 200, "the evidence link opens the document");

        // Both recommend: ready for the committee's decision.
        for who in [&okafor, &nwosu] {
            t.app.recommend(who, &id, "approve", "Hours, supervision and documents are complete.", &meta).await.unwrap();
        }
        let ready = staff.get("/admin/review?step=decide").await;
        assert!(row(&ready).contains("Ready for the committee&#39;s decision"), "{}", row(&ready));

        // The candidate's answer form names the kinds of their documents too.
        let asked = staff.submit(&packet, &format!("{packet}/request-information"), &[("request", "Please send the signed letter from your second supervisor.")]).await;
        assert_eq!(asked.status, 303);
        assert!(row(&staff.get("/admin/review").await).contains("Waiting for the candidate"));
        let taylor = t.client();
        taylor.sign_in(TAYLOR, DEMO_PASSWORD).await;
        let mine = taylor.get(&format!("/portal/applications/{id}")).await;
        assert!(mine.contains("(Professional reference letter)") && !mine.contains("(reference_letter)"), "{}", mine.body);
    }
}
