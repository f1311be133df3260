//! The store's story, told once and run on SQLite and on PostgreSQL.

use domain::platform::audit::{AuditEntry, ChainVerifier, Outcome};
use domain::platform::throttle::ThrottlePolicy;
use domain::{EmailAddress, Role, SessionId, UserId};
use store::engine::testing::TestDb;
use store::platform::audit::AuditFilter;
use store::platform::outbox::OutgoingEmail;
use store::platform::sessions::{SessionRecord, SessionStage};
use store::platform::tokens::{TokenPurpose, TokenRecord};
use store::platform::users::{NewUser, UserFilter};
use store::{StoreError, Timestamp, both_engines};
use time::Duration;
use time::macros::datetime;

fn id(n: u32) -> UserId {
    UserId::parse(&format!("{n:032x}")).unwrap()
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::new(datetime!(2026-11-24 09:00:00.123456 UTC) + Duration::minutes(minutes))
}

async fn add_user(db: &TestDb, n: u32, email: &str, roles: &[Role]) -> UserId {
    let user = id(n);
    let email = EmailAddress::parse(email).unwrap();
    db.store
        .insert_user(NewUser {
            id: &user,
            email: &email,
            display_name: "Amara Osei",
            password_hash: "$argon2id$stub",
            email_verified_at: None,
            roles,
            granted_by: None,
            is_demo: false,
            now: at(0),
        })
        .await
        .unwrap();
    user
}

fn entry(action: &str, actor: Option<&UserId>) -> AuditEntry {
    AuditEntry {
        actor_id: actor.map(|a| a.to_string()),
        actor_role: Some("candidate".into()),
        action: action.into(),
        subject_type: Some("user".into()),
        subject_id: actor.map(|a| a.to_string()),
        outcome: Outcome::Success,
        client_addr: Some("203.0.113.9".into()),
        request_id: Some("req-1".into()),
        detail: None,
    }
}

both_engines! {
    async fn accounts_roles_and_second_factors(engine) {
        let db = TestDb::new(engine).await;
        let user = add_user(&db, 1, "Amara@Example.org", &[Role::Candidate]).await;

        let found = db.store.user_by_email(&EmailAddress::parse("amara@example.org").unwrap()).await.unwrap().unwrap();
        assert_eq!(found.id, user);
        assert_eq!(found.roles, vec![Role::Candidate]);
        assert_eq!(found.created_at, at(0), "timestamps read back exactly");
        assert!(!found.is_demo);

        // The same e-mail cannot register twice.
        let again = EmailAddress::parse("amara@example.org").unwrap();
        let duplicate = db.store.insert_user(NewUser {
            id: &id(2), email: &again, display_name: "X", password_hash: "h", email_verified_at: None,
            roles: &[], granted_by: None, is_demo: false, now: at(0),
        }).await;
        assert!(matches!(duplicate, Err(StoreError::Conflict)));

        db.store.grant_role(&user, Role::Supervisor, None, at(1)).await.unwrap();
        db.store.grant_role(&user, Role::Supervisor, None, at(1)).await.unwrap();
        let found = db.store.user_by_id(&user).await.unwrap().unwrap();
        assert_eq!(found.roles, vec![Role::Candidate, Role::Supervisor]);

        db.store.mark_email_verified(&user, at(2)).await.unwrap();
        db.store.set_password_hash(&user, "$argon2id$new", at(3)).await.unwrap();
        let found = db.store.user_by_id(&user).await.unwrap().unwrap();
        assert_eq!(found.email_verified_at, Some(at(2)));
        assert_eq!(found.password_hash, "$argon2id$new");
        assert!(matches!(db.store.set_password_hash(&id(99), "h", at(3)).await, Err(StoreError::NotFound)));

        // TOTP: pending, enabled with recovery codes, steps claimed once.
        db.store.set_pending_totp(&user, b"sealed", at(4)).await.unwrap();
        let hashes = vec!["c1".to_string(), "c2".to_string()];
        db.store.enable_totp(&user, 100, &hashes, at(5)).await.unwrap();
        assert!(!db.store.claim_totp_step(&user, 100).await.unwrap(), "the enrolment code cannot be replayed");
        assert!(db.store.claim_totp_step(&user, 101).await.unwrap());
        assert!(!db.store.claim_totp_step(&user, 101).await.unwrap());
        assert_eq!(db.store.unused_recovery_codes(&user).await.unwrap(), 2);
        assert!(db.store.use_recovery_code(&user, "c1", at(6)).await.unwrap());
        assert!(!db.store.use_recovery_code(&user, "c1", at(6)).await.unwrap());
        assert_eq!(db.store.unused_recovery_codes(&user).await.unwrap(), 1);
        let found = db.store.user_by_id(&user).await.unwrap().unwrap();
        assert!(found.mfa_enabled());
        assert_eq!(found.totp_secret_sealed.as_deref(), Some(&b"sealed"[..]));
        db.store.disable_totp(&user, at(7)).await.unwrap();
        let found = db.store.user_by_id(&user).await.unwrap().unwrap();
        assert!(!found.mfa_enabled());
        assert_eq!(db.store.unused_recovery_codes(&user).await.unwrap(), 0);

        add_user(&db, 3, "lee.staff@board.example", &[Role::BoardStaff]).await;
        let (staff, total) = db.store.list_users(&UserFilter { role: Some(Role::BoardStaff), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!((staff.len(), total), (1, 1));
        let (found, total) = db.store.list_users(&UserFilter { text: Some("EXAMPLE.ORG".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!((found.len(), total), (1, 1));
        assert_eq!(db.store.count_users().await.unwrap(), 2);

        // Roles come off one at a time; the last administrator keeps theirs.
        db.store.remove_role(&user, Role::Supervisor).await.unwrap();
        assert!(matches!(db.store.remove_role(&user, Role::Supervisor).await, Err(StoreError::NotFound)));
        assert_eq!(db.store.user_by_id(&user).await.unwrap().unwrap().roles, vec![Role::Candidate]);
        let first = add_user(&db, 4, "first.admin@board.example", &[Role::BoardAdmin]).await;
        assert!(matches!(db.store.remove_role(&first, Role::BoardAdmin).await, Err(StoreError::Conflict)));
        let second = add_user(&db, 5, "second.admin@board.example", &[Role::BoardAdmin]).await;
        db.store.remove_role(&first, Role::BoardAdmin).await.unwrap();
        assert!(matches!(db.store.remove_role(&second, Role::BoardAdmin).await, Err(StoreError::Conflict)));
    }

    async fn sessions_rotate_and_end(engine) {
        let db = TestDb::new(engine).await;
        let user = add_user(&db, 1, "a@example.org", &[Role::Candidate]).await;
        let session = |n: u32, stage| SessionRecord {
            id: SessionId::parse(&format!("{n:032x}")).unwrap(),
            token_hash: format!("hash{n}"),
            user_id: user.clone(),
            stage,
            csrf_secret: "csrf".into(),
            created_at: at(0),
            last_seen_at: at(0),
            client_addr: Some("127.0.0.1".into()),
            user_agent: Some("test".into()),
        };
        let pending = session(1, SessionStage::MfaPending);
        db.store.insert_session(&pending, None).await.unwrap();
        let active = session(2, SessionStage::Active);
        db.store.insert_session(&active, Some(&pending.id)).await.unwrap();
        assert!(db.store.session_by_token_hash("hash1").await.unwrap().is_none(), "the old id is gone");
        let found = db.store.session_by_token_hash("hash2").await.unwrap().unwrap();
        assert_eq!(found.stage, SessionStage::Active);

        db.store.touch_session(&active.id, at(5)).await.unwrap();
        assert_eq!(db.store.session_by_token_hash("hash2").await.unwrap().unwrap().last_seen_at, at(5));

        db.store.insert_session(&session(3, SessionStage::Active), None).await.unwrap();
        assert_eq!(db.store.sessions_of_user(&user).await.unwrap().len(), 2);
        assert_eq!(db.store.delete_sessions_of_user(&user, Some(&active.id)).await.unwrap(), 1);
        assert_eq!(db.store.sessions_of_user(&user).await.unwrap().len(), 1);

        let other = add_user(&db, 2, "b@example.org", &[]).await;
        assert!(!db.store.delete_session_of_user(&other, &active.id).await.unwrap(), "cannot end another person's session");
        assert_eq!(db.store.delete_expired_sessions(at(10), at(-100)).await.unwrap(), 1);
        assert!(db.store.session_by_token_hash("hash2").await.unwrap().is_none());
    }

    async fn one_time_tokens_work_once(engine) {
        let db = TestDb::new(engine).await;
        let user = add_user(&db, 1, "a@example.org", &[]).await;
        let token = TokenRecord {
            token_hash: "t1".into(), purpose: TokenPurpose::ResetPassword, user_id: Some(user.clone()),
            email: None, role: None, created_by: None, created_at: at(0), expires_at: at(60), used_at: None,
        };
        db.store.insert_token(&token).await.unwrap();
        assert!(db.store.peek_token("t1", TokenPurpose::VerifyEmail, at(1)).await.unwrap().is_none(), "purpose must match");
        assert!(db.store.peek_token("t1", TokenPurpose::ResetPassword, at(1)).await.unwrap().is_some());
        assert!(db.store.consume_token("t1", TokenPurpose::ResetPassword, at(61)).await.unwrap().is_none(), "expired");
        let used = db.store.consume_token("t1", TokenPurpose::ResetPassword, at(2)).await.unwrap().unwrap();
        assert_eq!(used.user_id, Some(user.clone()));
        assert!(db.store.consume_token("t1", TokenPurpose::ResetPassword, at(3)).await.unwrap().is_none(), "used once");

        let invite = TokenRecord {
            token_hash: "i1".into(), purpose: TokenPurpose::Invitation, user_id: None,
            email: Some("new@clinic.example".into()), role: Some(Role::Clinician), created_by: Some(user.to_string()),
            created_at: at(0), expires_at: at(600), used_at: None,
        };
        db.store.insert_token(&invite).await.unwrap();
        let open = db.store.open_invitations(at(1)).await.unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].role, Some(Role::Clinician));
        // Withdrawn once: the link is dead and says why; a second withdrawal finds nothing open.
        assert!(!db.store.invitation_withdrawn("i1").await.unwrap());
        db.store.withdraw_invitation("i1", &user, at(2)).await.unwrap();
        assert!(db.store.invitation_withdrawn("i1").await.unwrap());
        assert!(db.store.peek_token("i1", TokenPurpose::Invitation, at(3)).await.unwrap().is_none());
        assert!(db.store.open_invitations(at(3)).await.unwrap().is_empty());
        assert!(matches!(db.store.withdraw_invitation("i1", &user, at(4)).await, Err(StoreError::Conflict)));
        db.store.insert_token(&TokenRecord { token_hash: "t2".into(), ..token.clone() }).await.unwrap();
        db.store.revoke_tokens(&user, TokenPurpose::ResetPassword, at(4)).await.unwrap();
        assert!(db.store.peek_token("t2", TokenPurpose::ResetPassword, at(5)).await.unwrap().is_none());
    }

    async fn throttle_counters(engine) {
        let db = TestDb::new(engine).await;
        let policy = ThrottlePolicy::ACCOUNT;
        let cutoff = |m: i64| Timestamp::new(at(m).get() - policy.window);
        for i in 0..5 {
            let state = db.store.count_attempt("acct:a", at(i), cutoff(i)).await.unwrap();
            assert_eq!(state.failures, i as u32 + 1);
            assert_eq!(policy.judge(&state, at(i).get()), domain::platform::throttle::ThrottleDecision::Allowed);
        }
        let sixth = db.store.count_attempt("acct:a", at(5), cutoff(5)).await.unwrap();
        assert_eq!(policy.judge(&sixth, at(5).get()).retry_minutes(), Some(15));
        db.store.lock_throttle("acct:a", at(5), at(20)).await.unwrap();
        let locked = db.store.count_attempt("acct:a", at(6), cutoff(6)).await.unwrap();
        assert_eq!(locked.locked_until, Some(at(20).get()));
        assert_eq!(policy.judge(&locked, at(6).get()).retry_minutes(), Some(14));
        // Once the lock runs out the count starts again.
        let fresh = db.store.count_attempt("acct:a", at(21), cutoff(21)).await.unwrap();
        assert_eq!((fresh.failures, fresh.locked_until), (1, None));
        // Old attempts leave the window.
        let later = db.store.count_attempt("acct:a", at(40), cutoff(40)).await.unwrap();
        assert_eq!(later.failures, 1);
        db.store.forgive_attempt("acct:a").await.unwrap();
        assert_eq!(db.store.throttle_state("acct:a").await.unwrap().unwrap().failures, 0);
        db.store.clear_throttle("acct:a").await.unwrap();
        assert!(db.store.throttle_state("acct:a").await.unwrap().is_none());

    }

    async fn parallel_attempts_are_all_counted(engine) {
        let db = TestDb::new(engine).await;
        let mut tasks = Vec::new();
        for _ in 0..30 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move { store.count_attempt("burst", at(0), at(-15)).await.unwrap() }));
        }
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap().failures);
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..=30).collect::<Vec<u32>>(), "every attempt counted once");
    }

    async fn settings_round_trip(engine) {
        let db = TestDb::new(engine).await;
        assert_eq!(db.store.setting("board_name").await.unwrap(), None);
        db.store.put_setting("board_name", "Board A").await.unwrap();
        db.store.put_setting("board_name", "Board B").await.unwrap();
        assert_eq!(db.store.setting("board_name").await.unwrap().as_deref(), Some("Board B"));
    }

    async fn audit_chain_appends_lists_and_verifies(engine) {
        let db = TestDb::new(engine).await;
        let user = add_user(&db, 1, "amara@example.org", &[]).await;
        assert!(db.store.audit_head().await.unwrap().is_none());
        for (i, action) in ["signin.success", "signin.failure", "protected.read"].iter().enumerate() {
            let record = db.store.append_audit(entry(action, Some(&user)), at(i as i64)).await.unwrap();
            assert_eq!(record.seq, i as i64 + 1);
        }
        db.store.append_audit(entry("signin.failure", None), at(5)).await.unwrap();

        let mut verifier = ChainVerifier::default();
        for record in db.store.audit_events_after(0, 100).await.unwrap() {
            verifier.check(&record).unwrap();
        }
        let head = db.store.audit_head().await.unwrap();
        assert_eq!(verifier.finish(head.as_ref()), Ok(4));

        let (items, total) = db.store.list_audit(&AuditFilter { action_prefix: Some("signin".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!((items.len(), total), (3, 3));
        assert_eq!(items[0].record.seq, 4, "newest first");
        let (items, _) = db.store.list_audit(&AuditFilter { actor_email: Some("AMARA".into()), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].actor_email.as_deref(), Some("amara@example.org"));
        let (items, _) = db.store.list_audit(&AuditFilter { from: Some(at(1)), until: Some(at(2)), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].record.entry.action, "signin.failure");
    }

    async fn concurrent_audit_appends_keep_one_chain(engine) {
        let db = TestDb::new(engine).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                store.append_audit(entry("load.test", None), at(i)).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let records = db.store.audit_events_after(0, 100).await.unwrap();
        let head = db.store.audit_head().await.unwrap();
        assert_eq!(domain::platform::audit::verify_chain(&records, head.as_ref()), Ok(40));
    }

    async fn data_keys_rotate_and_shred(engine) {
        let db = TestDb::new(engine).await;
        db.store.insert_data_key("user:1", "k-old", b"wrapped-1", at(0)).await.unwrap();
        db.store.insert_data_key("user:2", "k-old", b"wrapped-2", at(0)).await.unwrap();
        assert!(matches!(db.store.insert_data_key("user:1", "k-old", b"x", at(0)).await, Err(StoreError::Conflict)));
        let stale = db.store.data_keys_not_wrapped_by("k-new", 10).await.unwrap();
        assert_eq!(stale.len(), 2);
        assert!(db.store.rewrap_data_key("user:1", "k-old", "k-new", b"rewrapped", at(1)).await.unwrap());
        assert!(!db.store.rewrap_data_key("user:1", "k-old", "k-new", b"again", at(1)).await.unwrap(), "only from the old key");
        assert_eq!(db.store.data_keys_not_wrapped_by("k-new", 10).await.unwrap().len(), 1);
        assert_eq!(db.store.data_key_counts().await.unwrap(), vec![("k-new".to_string(), 1), ("k-old".to_string(), 1)]);

        assert!(db.store.destroy_data_key("user:2", at(2)).await.unwrap());
        let shredded = db.store.data_key("user:2").await.unwrap().unwrap();
        assert!(shredded.wrapped.is_none());
        assert_eq!(shredded.destroyed_at, Some(at(2)));
        assert!(!db.store.destroy_data_key("user:2", at(3)).await.unwrap());
        assert_eq!(db.store.data_key("user:1").await.unwrap().unwrap().wrapped.as_deref(), Some(&b"rewrapped"[..]));
    }

    async fn outbox_claims_send_and_retry(engine) {
        let db = TestDb::new(engine).await;
        for n in 1..=3u32 {
            let email = OutgoingEmail {
                id: domain::platform::id::RecordId::parse(&format!("{n:032x}")).unwrap(),
                recipient: format!("p{n}@example.org"),
                subject: "Verify your address".into(),
                body_text: "https://sensate.example/verify/secret".into(),
                body_html: None,
            };
            db.store.enqueue_email(&email, at(0)).await.unwrap();
        }
        let first = db.store.claim_due_emails(at(1), at(2), 2).await.unwrap();
        assert_eq!(first.len(), 2);
        let second = db.store.claim_due_emails(at(1), at(2), 10).await.unwrap();
        assert_eq!(second.len(), 1, "claimed messages are skipped");
        db.store.mark_email_sent(&first[0].id, at(1), false).await.unwrap();
        db.store.mark_email_failed(&first[1].id, "connection refused", at(10)).await.unwrap();
        let lapsed = db.store.claim_due_emails(at(5), at(6), 10).await.unwrap();
        assert_eq!(lapsed.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), vec![second[0].id.clone()], "the lapsed claim comes back");
        let retried = db.store.claim_due_emails(at(11), at(12), 10).await.unwrap();
        assert_eq!(retried.len(), 2, "the failed message once due, and the never-finished claim again");
        assert!(retried.iter().any(|e| e.id == first[1].id));
        let log = db.store.recent_emails(None, 10).await.unwrap();
        let sent = log.iter().find(|e| e.id == first[0].id.as_str()).unwrap();
        assert!(sent.sent_at.is_some());
        assert!(sent.body_text.is_none(), "a delivered body is erased");
        let failed = log.iter().find(|e| e.id == first[1].id.as_str()).unwrap();
        assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
    }

    async fn migrations_are_idempotent(engine) {
        let db = TestDb::new(engine).await;
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
        db.store.ping().await.unwrap();
    }
}

both_engines! {
    async fn program_versions_are_kept_whole_and_never_changed(engine) {
        use store::credentialing::programs::{Imported, NewProgramVersion};
        let db = TestDb::new(engine).await;
        let store = &db.store;
        let at = Timestamp::now();
        assert_eq!(store.insert_lists("L.1", "lists one", "{}", at, None).await.unwrap(), Imported::Added);
        assert_eq!(store.insert_lists("L.1", "lists one", "{}", at, None).await.unwrap(), Imported::Unchanged);
        assert!(matches!(store.insert_lists("L.1", "lists changed", "{}", at, None).await, Err(store::StoreError::Conflict)));
        let later = Timestamp::new(at.get() + time::Duration::seconds(1));
        store.insert_lists("L.2", "lists two", "{}", later, None).await.unwrap();
        assert_eq!(store.current_lists().await.unwrap().unwrap().version, "L.2");

        let version = |version: &'static str, from: &'static str, source: &'static str| NewProgramVersion {
            code: "CST", version, name: "Certified Sex Therapist", kind: "therapist", effective_from: from,
            source, parsed: "{}", imported_by: None,
        };
        assert_eq!(store.insert_program_version(&version("2025.T.1", "2025-01-01", "a"), at).await.unwrap(), Imported::Added);
        assert_eq!(store.insert_program_version(&version("2026.T.1", "2026-07-01", "b"), at).await.unwrap(), Imported::Added);
        assert_eq!(store.insert_program_version(&version("2026.T.1", "2026-07-01", "b"), at).await.unwrap(), Imported::Unchanged);
        assert!(matches!(store.insert_program_version(&version("2026.T.1", "2026-07-01", "c"), at).await, Err(store::StoreError::Conflict)));
        // The version in force is the latest effective on or before the day.
        assert_eq!(store.program_in_force("CST", "2026-06-30").await.unwrap().unwrap().version, "2025.T.1");
        assert_eq!(store.program_in_force("CST", "2026-07-01").await.unwrap().unwrap().version, "2026.T.1");
        assert!(store.program_in_force("CST", "2024-12-31").await.unwrap().is_none());
        assert!(store.program_in_force("CSC", "2026-07-01").await.unwrap().is_none());
        let all = store.program_versions().await.unwrap();
        assert_eq!(all.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(), ["2026.T.1", "2025.T.1"]);
        assert_eq!(store.program_version("CST", "2025.T.1").await.unwrap().unwrap().source, "a");
    }
}

fn hour_row(id: &str, fingerprint: &str) -> store::credentialing::evidence::HourRow {
    store::credentialing::evidence::HourRow {
        id: id.into(),
        log: "core_knowledge".into(),
        entry_date: "2026-03-02".into(),
        hours_centi: 650,
        mode: "elearning".into(),
        provider: "Institute".into(),
        title: "Course".into(),
        split: "[[\"ethics\",650]]".into(),
        document_id: None,
        import_batch: Some("batch-1".into()),
        fingerprint: fingerprint.into(),
        created_at: at(0),
    }
}

both_engines! {
    async fn evidence_is_scoped_to_its_owner_and_imports_are_all_or_nothing(engine) {
        use store::credentialing::evidence::{EvidenceTable, LicenseRow};
        let db = TestDb::new(engine).await;
        let amara = add_user(&db, 1, "amara@example.org", &[Role::Candidate]).await.to_string();
        let other = add_user(&db, 2, "other@example.org", &[Role::Candidate]).await.to_string();
        let store = &db.store;

        store.insert_hours(&amara, &[hour_row("h1", "f1"), hour_row("h2", "f2")]).await.unwrap();
        // A batch with one row already on file is refused as a whole.
        let again = store.insert_hours(&amara, &[hour_row("h3", "f3"), hour_row("h4", "f1")]).await;
        assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
        let hours = store.hours(&amara).await.unwrap();
        assert_eq!(hours.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["h1", "h2"]);
        assert_eq!(hours[0].hours_centi, 650);
        // Another person may log the same course.
        store.insert_hours(&other, &[hour_row("h5", "f1")]).await.unwrap();

        let license = LicenseRow {
            id: "l1".into(), profession: "psychology".into(), jurisdiction: "Ontario".into(), number: "P-1".into(),
            valid_from: "2024-01-01".into(), valid_until: Some("2027-12-31".into()), document_id: None,
        };
        store.insert_license(&amara, &license, at(0)).await.unwrap();
        assert!(matches!(store.delete_evidence(EvidenceTable::Licenses, &other, "l1").await, Err(StoreError::NotFound)), "not another's");
        assert_eq!(store.licenses(&amara).await.unwrap().len(), 1);
        store.delete_evidence(EvidenceTable::Hours, &amara, "h2").await.unwrap();
        assert_eq!(store.hours(&amara).await.unwrap().len(), 1);

        store.put_attestation(&amara, "2026-01-05", "I agree", at(0)).await.unwrap();
        store.put_attestation(&amara, "2026-02-05", "I agree", at(1)).await.unwrap();
        assert_eq!(store.attestation(&amara).await.unwrap().as_deref(), Some("2026-02-05"));
        store.add_pursuit(&amara, "CST", at(0)).await.unwrap();
        store.add_pursuit(&amara, "CST", at(1)).await.unwrap();
        assert_eq!(store.pursuits(&amara).await.unwrap(), ["CST"]);
    }

    async fn a_contract_is_signed_by_its_addressee_and_sessions_are_decided_once(engine) {
        use store::credentialing::supervision::{ContractRow, GroupRow, SupervisionSessionRow};
        let db = TestDb::new(engine).await;
        let candidate = add_user(&db, 1, "cand@example.org", &[Role::Candidate]).await.to_string();
        let supervisor = add_user(&db, 2, "sup@example.org", &[Role::Supervisor]).await.to_string();
        let stranger = add_user(&db, 3, "stranger@example.org", &[Role::Supervisor]).await.to_string();
        let store = &db.store;
        let contract = ContractRow {
            id: "c1".into(), candidate_id: candidate.clone(), supervisor_id: None, supervisor_email: "sup@example.org".into(),
            program_code: "CST".into(), starts_on: "2026-01-01".into(), is_primary: true, notice_days: 30, terms: "terms".into(),
            candidate_signed_at: Some(at(0)), supervisor_signed_at: None, declined_at: None, ended_by: None,
            end_noticed_at: None, ends_on: None, end_reason: None, created_at: at(0),
        };
        store.insert_contract(&contract).await.unwrap();
        assert_eq!(store.contracts_of_supervisor(&supervisor, "sup@example.org").await.unwrap().len(), 1, "seen by the invited address");
        assert!(store.contracts_of_supervisor(&stranger, "stranger@example.org").await.unwrap().is_empty());
        assert!(matches!(store.sign_contract_as_supervisor("c1", &stranger, "stranger@example.org", at(1)).await, Err(StoreError::Conflict)));
        assert!(matches!(store.end_contract("c1", &candidate, "2026-03-01", "moving", at(1)).await, Err(StoreError::Conflict)), "unsigned contracts cannot be ended");
        store.sign_contract_as_supervisor("c1", &supervisor, "sup@example.org", at(2)).await.unwrap();
        let signed = store.contract("c1").await.unwrap().unwrap();
        assert!(signed.is_signed());
        assert_eq!(signed.supervisor_id.as_deref(), Some(supervisor.as_str()));
        assert_eq!(signed.signed_at(), Some(at(2)));
        assert!(matches!(store.sign_contract_as_supervisor("c1", &supervisor, "sup@example.org", at(3)).await, Err(StoreError::Conflict)), "signed once");

        let group = GroupRow { id: "g1".into(), supervisor_id: supervisor.clone(), name: "Tuesday group".into(), size: 3, requested_at: at(0), decided_at: None, approved: false, decision_note: None };
        store.insert_group(&group).await.unwrap();
        assert_eq!(store.groups(Some(&supervisor)).await.unwrap().len(), 1);
        assert_eq!(store.groups(None).await.unwrap().len(), 1);
        assert!(store.groups(Some(&stranger)).await.unwrap().is_empty());
        store.decide_group("g1", true, &stranger, "ok", at(1)).await.unwrap();
        assert!(matches!(store.decide_group("g1", false, &stranger, "no", at(2)).await, Err(StoreError::Conflict)));
        assert!(store.group("g1").await.unwrap().unwrap().approved);

        let session = SupervisionSessionRow {
            id: "s1".into(), contract_id: "c1".into(), session_date: "2026-02-03".into(), hours_centi: 150, format: "group".into(),
            group_id: Some("g1".into()), counts_as_training: false, topic: "case formulation".into(), status: "pending".into(),
            decided_at: None, reject_reason: None, created_at: at(3), corrects_id: None,
        };
        store.insert_supervision_session(&session).await.unwrap();
        // Only a rejected session can be corrected, and only once; the rejected one stays.
        let correction = SupervisionSessionRow { id: "s2".into(), corrects_id: Some("s1".into()), created_at: at(5), ..session.clone() };
        assert!(matches!(store.insert_supervision_session(&correction).await, Err(StoreError::Conflict)), "s1 is pending");
        store.decide_supervision_session("s1", "rejected", Some("wrong date"), at(4)).await.unwrap();
        assert!(matches!(store.decide_supervision_session("s1", "countersigned", None, at(5)).await, Err(StoreError::Conflict)));
        store.insert_supervision_session(&correction).await.unwrap();
        let again = SupervisionSessionRow { id: "s3".into(), ..correction.clone() };
        assert!(matches!(store.insert_supervision_session(&again).await, Err(StoreError::Conflict)), "corrected once");
        assert_eq!(store.supervision_session("s2").await.unwrap().unwrap().corrects_id.as_deref(), Some("s1"));
        assert_eq!(store.session_correction("s1").await.unwrap().as_deref(), Some("s2"));
        assert_eq!(store.session_correction("s2").await.unwrap(), None);
        assert_eq!(store.supervision_session("s1").await.unwrap().unwrap().status, "rejected");
        let sessions = store.supervision_sessions(&["c1".to_owned()]).await.unwrap();
        assert_eq!(sessions[0].reject_reason.as_deref(), Some("wrong date"));

        store.end_contract("c1", &candidate, "2026-03-01", "moving", at(6)).await.unwrap();
        assert!(matches!(store.end_contract("c1", &supervisor, "2026-04-01", "again", at(7)).await, Err(StoreError::Conflict)));
        assert_eq!(store.contract("c1").await.unwrap().unwrap().ends_on.as_deref(), Some("2026-03-01"));
    }
}

both_engines! {
    async fn the_integrity_check_names_a_row_without_its_parent(engine) {
        let db = TestDb::new(engine).await;
        assert_eq!(db.store.integrity_problems().await.unwrap(), Vec::<String>::new());
        // Foreign keys switched off behind the store's back, as a broken copy would have them.
        let (off, on) = match engine {
            store::Engine::Sqlite => ("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"),
            store::Engine::Postgres => ("ALTER TABLE memberships DISABLE TRIGGER ALL", "ALTER TABLE memberships ENABLE TRIGGER ALL"),
        };
        db.execute(off).await;
        db.execute("INSERT INTO memberships (id, user_id, kind, valid_from, created_at) VALUES ('m1', 'nobody', 'aasect', '2026-01-01', '2026-01-01T00:00:00Z')").await;
        db.execute(on).await;
        let problems = db.store.integrity_problems().await.unwrap();
        assert!(problems.iter().any(|p| p.contains("memberships") && p.contains("users")), "{problems:?}");
        assert!(!db.store.is_empty_database().await.unwrap());
        let counts = db.store.row_counts().await.unwrap();
        assert!(counts.iter().any(|(table, rows)| table == "users" && *rows == 0), "{counts:?}");
    }
}
