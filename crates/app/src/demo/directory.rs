//! The demo's directory: full profiles for the demo's certified professionals (Dr. Noor
//! Haddad in San Francisco, Rosa Delgado in Oakland; Dr. Adrian Kessler's profile exists but
//! is not shown while his credential is suspended), three hundred sample professionals in
//! eight metropolitan areas, and Dr. Paul Novak's approved referring-provider account with a
//! referral he sent to Dr. Haddad. Needs the gazetteer (start-up imports it or says how).

use domain::directory::profiles::{LocationInput, ProfileInput};

use crate::referrals::referral::{ReferralInput, ReferrerRequestInput};
use crate::{App, AppResult, RequestMeta};

/// Postal-code prefixes of the sample professionals' areas: San Francisco Bay, New York,
/// Chicago, Boston, Seattle, Los Angeles, Toronto, Montreal.
const METROS: [&str; 8] = ["941", "100", "606", "021", "981", "900", "M5", "H2"];

fn location(address: &str, postal_code: &str, city: &str, country: &str) -> LocationInput {
    LocationInput {
        address: address.into(),
        postal_code: postal_code.into(),
        city: city.into(),
        country: country.into(),
    }
}

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|k| (*k).to_owned()).collect()
}

impl App {
    pub(crate) async fn load_demo_directory(&self, meta: &RequestMeta) -> AppResult<()> {
        if self.gazetteer_is_empty().await? {
            return Ok(());
        }
        let noor = self.demo_person("certified@demo.sensate.test").await?;
        self.save_profile(
            &noor.actor,
            &ProfileInput {
                listed: true,
                pronouns: "she/her".into(),
                practice_name: "Union Square Sexual Health".into(),
                locations: vec![location("450 Sutter St, Suite 1820", "94108", "San Francisco", "US")],
                telehealth: true,
                jurisdictions: keys(&["US-CA", "US-OR", "US-WA"]),
                formats: keys(&["individuals", "couples"]),
                concerns: keys(&["low_desire", "desire_discrepancy", "sexual_pain", "infertility", "relationship_intimacy"]),
                populations: keys(&["couples", "fertility_patients", "lgbtq"]),
                approaches: keys(&["sensate_focus", "cbt", "emotionally_focused"]),
                languages: keys(&["en", "ar", "fr"]),
                fee_min: "160".into(),
                fee_max: "220".into(),
                sliding_scale: true,
                insurers: keys(&["superbill", "aetna"]),
                accepting_clients: true,
                statement: "I help individuals and couples whose sexual life has become a source of worry: desire that no longer matches, pain, or intimacy that fertility treatment turned into a schedule. Sessions are practical and warm, with exercises to try at home.".into(),
                tips: "Set aside twenty minutes a week to talk about what felt good, without planning anything.\n\nTouch that is not meant to lead to sex keeps closeness alive when desire is low.".into(),
                contact_email: "office@unionsquare-sexualhealth.test".into(),
                contact_phone: "+1 415 555 0182".into(),
                website: "https://unionsquare-sexualhealth.test".into(),
            },
            meta,
        )
        .await?;
        let rosa = self.demo_person("expiring@demo.sensate.test").await?;
        self.save_profile(
            &rosa.actor,
            &ProfileInput {
                listed: true,
                pronouns: "she/her".into(),
                practice_name: "Lake Merritt Counseling".into(),
                locations: vec![location("1624 Franklin St", "94612", "Oakland", "US")],
                formats: keys(&["individuals", "groups"]),
                concerns: keys(&["communication", "satisfaction", "sexual_orientation"]),
                populations: keys(&["adults", "lgbtq"]),
                approaches: keys(&["psychoeducation", "solution_focused"]),
                languages: keys(&["en", "es"]),
                fee_min: "90".into(),
                fee_max: "120".into(),
                sliding_scale: true,
                accepting_clients: true,
                statement: "Short-term sexuality counseling in English and Spanish.".into(),
                contact_email: "rosa@lakemerritt-counseling.test".into(),
                ..ProfileInput::default()
            },
            meta,
        )
        .await?;
        let adrian = self.demo_person("suspended@demo.sensate.test").await?;
        self.save_profile(
            &adrian.actor,
            &ProfileInput {
                listed: true,
                practice_name: "Midtown Therapy".into(),
                locations: vec![location("", "10001", "New York", "US")],
                formats: keys(&["individuals"]),
                concerns: keys(&["performance"]),
                languages: keys(&["en"]),
                accepting_clients: true,
                ..ProfileInput::default()
            },
            meta,
        )
        .await?;
        self.generate_demo_professionals(300, &METROS).await?;

        // Dr. Novak asked for an account and staff approved it (his account exists already:
        // the approval is recorded as the request's decision), then he referred a patient.
        let novak = self.demo_person("referrer@demo.sensate.test").await?;
        self.request_referrer_account(
            &ReferrerRequestInput {
                name: novak.actor.display_name.clone(),
                email: novak.actor.email.as_str().to_owned(),
                organisation: "Bay Area Reproductive Medicine".into(),
                kind: "fertility_specialist".into(),
                license: "CA-G84213".into(),
                phone: "+1 415 555 0190".into(),
            },
            meta,
        )
        .await?;
        let staff = self.demo_person(crate::demo::certified::STAFF).await?;
        if let Some(request) = self.store().referrer_requests().await?.into_iter().next() {
            self.store()
                .decide_referrer_request(
                    &request.id,
                    crate::referrals::referral::ReferrerRequestState::Approved,
                    staff.actor.user_id.as_str(),
                    None,
                    self.now(),
                )
                .await?;
        }
        self.send_referral(
            &novak.actor,
            noor.actor.user_id.as_str(),
            &ReferralInput {
                client_name: "Dana Whitfield".into(),
                client_email: "dana.whitfield@mail.test".into(),
                client_phone: String::new(),
                concerns: keys(&["infertility", "low_desire"]),
                urgency: "soon".into(),
                notes: "Third IVF cycle; she and her partner say intimacy now feels like a medical procedure. Both are open to couples sessions.".into(),
                client_agreed: true,
            },
            meta,
        )
        .await?;
        Ok(())
    }
}
