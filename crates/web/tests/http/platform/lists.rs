//! Staff lists, on both engines: search, filters, sort, pages with counts and the CSV of a
//! view, on the people list, the credentials register and the applications.

use crate::support::TestApp;
use domain::Role;
use store::both_engines;

both_engines! {
    async fn the_people_list_searches_filters_sorts_pages_and_exports(engine) {
        let t = TestApp::start(engine).await;
        let admin = t.signed_in("admin@board.test", &[Role::BoardAdmin]).await;
        for n in 1..=60 {
            t.user(&format!("person{n:03}@example.org"), &[Role::Candidate]).await;
        }
        t.user("reviewer@clinic.test", &[Role::CommitteeReviewer]).await;
        t.user("formula@example.org", &[Role::Candidate]).await;
        t.db.store.set_display_name(&t.actor("formula@example.org").await.user_id, "=HYPERLINK(\"x\")", t.app.now()).await.unwrap();

        let first = admin.get("/admin/people").await;
        assert_eq!(first.status, 200);
        assert!(first.contains("Everyone (63)") && first.contains("Showing 1\u{2013}50 of 63"), "{}", first.body);
        assert_eq!(first.body.matches("<tr>").count() - 1, 50, "50 rows and the heading row");
        assert!(first.contains("rel=\"next\"") && first.contains("Page 1 of 2"), "{}", first.body);
        let second = admin.get("/admin/people?sort=joined&dir=desc&page=2").await;
        assert!(second.contains("Showing 51\u{2013}63 of 63") && second.contains("rel=\"prev\""), "{}", second.body);
        let past_the_end = admin.get("/admin/people?page=99").await;
        assert!(past_the_end.contains("Showing 51\u{2013}63 of 63"), "a stale page shows the last one");

        let found = admin.get("/admin/people?q=PERSON007").await;
        assert!(found.contains("Everyone (1)") && found.contains("person007@example.org"), "{}", found.body);
        let reviewers = admin.get(&format!("/admin/people?role={}", Role::CommitteeReviewer.as_str())).await;
        assert!(reviewers.contains("Everyone (1)") && reviewers.contains("reviewer@clinic.test"), "{}", reviewers.body);
        let by_email = admin.get("/admin/people?sort=email&dir=asc").await;
        let at = |page: &crate::support::Page, needle: &str| page.body.find(needle).unwrap_or_else(|| panic!("{needle} missing"));
        assert!(at(&by_email, "person001@") < at(&by_email, "person002@"), "ascending by e-mail");
        assert!(by_email.contains("aria-sort=\"ascending\""), "the sorted column says so");
        let reversed = admin.get("/admin/people?sort=email&dir=desc").await;
        assert!(at(&reversed, "reviewer@clinic.test") < at(&reversed, "person060@"), "descending by e-mail");
        // A heading's link keeps the search and filters and turns the order round.
        assert!(found.contains("href=\"/admin/people?q=PERSON007&#38;sort=name&#38;dir=asc\""), "{}", found.body);

        let (status, headers, csv) = admin.get_bytes(&format!("/admin/people.csv?role={}", Role::CommitteeReviewer.as_str())).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(headers["content-disposition"].to_str().unwrap().contains("people.csv"));
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with("Name,E-mail,Roles,Two-factor,Joined\r\n"), "{csv}");
        assert_eq!(csv.lines().count(), 2, "the view's rows only: {csv}");
        let everyone = String::from_utf8(admin.get_bytes("/admin/people.csv").await.2).unwrap();
        assert_eq!(everyone.lines().count(), 64, "every page of the view");
        assert!(everyone.contains("\"'=HYPERLINK(\"\"x\"\")\""), "a formula is defused: {everyone}");

        let candidate = t.client();
        candidate.sign_in("person001@example.org", crate::support::PASSWORD).await;
        assert_eq!(candidate.get_bytes("/admin/people.csv").await.0, 403);
    }

    async fn the_credentials_register_is_full_width_searchable_and_exports(engine) {
        let t = TestApp::start(engine).await;
        let staff = t.signed_in("registrar@board.test", &[Role::BoardStaff]).await;
        let today = t.app.today();
        let mut numbers = Vec::new();
        for (email, code) in [("ana@example.org", "CST"), ("ben@example.org", "CSE"), ("cleo@example.org", "CST")] {
            let user = t.user(email, &[Role::Candidate]).await;
            let credential = t.app.record_existing_credential(&user, code, today - time::Duration::days(30), today + time::Duration::days(700)).await.unwrap();
            numbers.push(credential.number);
        }
        let all = staff.get("/admin/credentials").await;
        assert_eq!(all.status, 200);
        assert!(all.contains("Showing 1\u{2013}3 of 3") && all.contains("form form--wide"), "{}", all.body);
        let one = staff.get(&format!("/admin/credentials?q={}", numbers[1])).await;
        assert!(one.contains("Showing 1\u{2013}1 of 1") && one.contains(&numbers[1]), "{}", one.body);
        let two = staff.get(&format!("/admin/credentials?q={}%2C+{}", numbers[0], numbers[2])).await;
        assert!(two.contains("Showing 1\u{2013}2 of 2") && two.contains(&numbers[0]) && two.contains(&numbers[2]), "terms separated by commas: {}", two.body);
        let therapists = staff.get("/admin/credentials?program=CST").await;
        assert!(therapists.contains("Showing 1\u{2013}2 of 2") && !therapists.contains(&numbers[1]), "{}", therapists.body);
        let (status, headers, csv) = staff.get_bytes("/admin/credentials.csv?program=CSE").await;
        assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "text/csv; charset=utf-8"));
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with("Number,Holder,Credential,Status,Valid from,Valid until\r\n") && csv.contains(&numbers[1]), "{csv}");
        assert_eq!(csv.lines().count(), 2, "{csv}");
    }

    async fn the_applications_list_searches_filters_sorts_and_exports(engine) {
        let t = TestApp::start(engine).await;
        let staff = t.signed_in("registrar@board.test", &[Role::BoardStaff]).await;
        let meta = app::RequestMeta::default();
        let mut ids = Vec::new();
        for (email, name, code) in [("ana@example.org", "Ana Alvarez", "CST"), ("ben@example.org", "Ben Brook", "CSE"), ("cleo@example.org", "Cleo Cruz", "CST")] {
            let user = t.user(email, &[Role::Candidate]).await;
            t.db.store.set_display_name(&user, name, t.app.now()).await.unwrap();
            let row = t.app.start_application(&t.actor(email).await, code, &meta).await.unwrap();
            ids.push(row.id);
        }
        t.app.record_fee(&t.actor("registrar@board.test").await, &ids[1], false, &meta).await.unwrap();

        let all = staff.get("/admin/applications").await;
        assert_eq!(all.status, 200);
        assert!(all.contains("Showing 1\u{2013}3 of 3") && all.contains("aria-sort=\"descending\""), "{}", all.body);
        let found = staff.get("/admin/applications?q=cleo").await;
        assert!(found.contains("Showing 1\u{2013}1 of 1") && found.contains("Cleo Cruz") && !found.contains("Ana Alvarez"), "{}", found.body);
        let paid = staff.get("/admin/applications?fee=paid").await;
        assert!(paid.contains("Showing 1\u{2013}1 of 1") && paid.contains("Ben Brook"), "{}", paid.body);
        let therapists = staff.get("/admin/applications?q=CST&sort=candidate&dir=desc").await;
        let at = |needle: &str| therapists.body.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("Cleo Cruz") < at("Ana Alvarez"), "by name, last first");
        let nothing = staff.get("/admin/applications?state=decided").await;
        assert!(nothing.contains("No applications match."), "{}", nothing.body);

        let (status, headers, csv) = staff.get_bytes("/admin/applications.csv?fee=unpaid").await;
        assert_eq!((status, headers["cache-control"].to_str().unwrap()), (200, "no-store"));
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with("Candidate,Credential,Rule version,State,Endorsed,Fee,Started,Submitted\r\n"), "{csv}");
        assert_eq!(csv.lines().count(), 3, "the two unpaid applications: {csv}");
        assert!(csv.contains("Being prepared") && !csv.contains("Ben Brook"), "{csv}");

        let candidate = t.client();
        candidate.sign_in("ana@example.org", crate::support::PASSWORD).await;
        assert_eq!(candidate.get_bytes("/admin/applications.csv").await.0, 403);
    }
}
