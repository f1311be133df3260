//! The dashboard and the home page claim only what exists: a certified professional sees the
//! credentials held, a physician sees the referrals sent and where to find a professional, and
//! nothing promises the practice pages that are not built.

use domain::Role;
use store::both_engines;

use crate::directory::profiles::{PROFILE, therapist};
use crate::support::TestApp;

both_engines! {
    async fn dashboards_and_the_home_page_say_only_what_exists(engine) {
        let t = TestApp::start(engine).await;
        t.small_gazetteer().await;
        let home = t.client().get("/").await;
        assert_eq!(home.status, 200);
        for promise in ["intake", "treatment plan", "homework", "will appear"] {
            assert!(!home.body.to_lowercase().contains(promise), "home page promises {promise}: {}", home.body);
        }

        // A certified professional: the credentials held, not "Once certified".
        let (user, _) = therapist(&t, "maria@mission-clinic.test").await;
        let professional = t.client();
        professional.sign_in("maria@mission-clinic.test", crate::support::PASSWORD).await;
        assert_eq!(professional.submit("/portal/profile", "/portal/profile", PROFILE).await.status, 303);
        let dashboard = professional.get("/dashboard").await;
        assert!(dashboard.contains("Your credentials: Certified Sex Therapist."), "{}", dashboard.body);
        assert!(!dashboard.contains("Once certified") && !dashboard.contains("will appear"), "{}", dashboard.body);
        assert!(dashboard.contains("href=\"/portal/profile\""));
        assert!(!dashboard.contains("Referrals to you"), "no referral yet, no card");

        // A physician with no referral yet is pointed at the directory.
        let physician = t.signed_in("ana@fertility.test", &[Role::ReferringProvider]).await;
        let empty = physician.get("/dashboard").await;
        assert!(empty.contains("Find a certified professional by place and concern") && empty.contains("href=\"/directory\""), "{}", empty.body);
        assert!(!empty.contains("will appear"), "{}", empty.body);

        // One referral later, both sides see it counted.
        let to = user.as_str().to_owned();
        let sent = physician
            .submit(&format!("/referrals/new?to={to}"), "/referrals/new", &[
                ("to", &to), ("client_name", "Lee Park"), ("client_email", "lee.park@mail.test"),
                ("concern", "infertility"), ("urgency", "soon"), ("client_agreed", "yes"),
            ])
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let counted = physician.get("/dashboard").await;
        assert!(counted.contains("You have sent 1 referral, 1 waiting for an answer."), "{}", counted.body);
        assert!(counted.contains("href=\"/referrals\"") && counted.contains("href=\"/directory\""));
        let received = professional.get("/dashboard").await;
        assert!(received.contains("Referrals to you") && received.contains("1 referral, 1 waiting for your answer."), "{}", received.body);
        assert!(!received.contains("Lee Park"), "no client name on the dashboard");
    }
}
