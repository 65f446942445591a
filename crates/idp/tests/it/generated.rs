//! A generated block (kept as its pattern and count, its changed users as overrides, its
//! membership as a range less removals) syncs exactly as the same users added one by one:
//! the same directory contents and, cycle by cycle, the same exchanges.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use idp::{DirGroup, DirUser, Directory, Generate, PersonaId, SyncEngine};
use serde_json::{json, Value};

use crate::peer::{Peer, Reply};

const PATTERN: &str = "gen.user{n:05}@contoso.example";

/// User `n` of the block as `Directory::generate` made it when it stored every user.
fn materialised(n: usize) -> DirUser {
    let spec = spec(0);
    let login = format!("gen.user{n:05}@contoso.example");
    let mut u = DirUser::new(spec.user_id(n), login.clone());
    u.profile.mail = Some(login.clone());
    u.profile.given_name = Some("Generated".into());
    u.profile.surname = Some(format!("User {n}"));
    u.profile.display_name = Some(login.split('@').next().unwrap().to_owned());
    u
}

fn spec(count: usize) -> Generate {
    Generate {
        count,
        pattern: PATTERN.into(),
    }
}

/// The two directories: `g1` holds the block, `g2` an explicit member or two; `boss`
/// is a user added by hand after the block.
fn directories(count: usize) -> (Directory, Directory) {
    let mut compact = Directory::new();
    let mut whole = Directory::new();
    for d in [&mut compact, &mut whole] {
        d.create_group(DirGroup::new("g1", "Block")).unwrap();
        d.create_group(DirGroup::new("g2", "Others")).unwrap();
    }
    assert_eq!(compact.generate_members("g1", &spec(count)).unwrap(), count);
    for n in 1..=count {
        whole.add_user(materialised(n)).unwrap();
        whole.add_member("g1", &spec(0).user_id(n)).unwrap();
    }
    for d in [&mut compact, &mut whole] {
        d.add_user(DirUser::new("boss", "boss@contoso.example"))
            .unwrap();
        d.add_member("g2", "boss").unwrap();
        d.add_member("g2", &spec(0).user_id(2)).unwrap();
    }
    (compact, whole)
}

/// The same changes to both: updates, a manager, disables, deletes, membership moves.
fn mutate(d: &mut Directory, count: usize) {
    let id = |n: usize| spec(0).user_id(n);
    for n in (1..=count).step_by(97) {
        d.update_user(&id(n), |p| {
            p.department = Some(format!("Dept {}", n % 7));
            p.given_name = Some(format!("Given {n}"));
            p.display_name = None;
        })
        .unwrap();
    }
    d.update_user(&id(3), |p| p.manager = Some("boss".into()))
        .unwrap();
    d.update_user(&id(4), |p| {
        p.user_principal_name = "renamed.four@contoso.example".into()
    })
    .unwrap();
    for n in (5..=count).step_by(211) {
        d.disable_user(&id(n)).unwrap();
    }
    d.soft_delete_user(&id(6)).unwrap();
    d.hard_delete_user(&id(7)).unwrap();
    d.hard_delete_user(&id(2)).unwrap();
    for n in (8..=count).step_by(331) {
        d.remove_member("g1", &id(n)).unwrap();
        d.add_member("g2", &id(n)).unwrap();
    }
    // Out and back in: a re-added member goes to the end of the group.
    d.remove_member("g1", &id(9)).unwrap();
    d.add_member("g1", &id(9)).unwrap();
    d.add_member("g1", "boss").unwrap();
}

/// A target that creates every resource with an id derived from its name and answers
/// everything else plainly, so that two runs get the same answers.
async fn target() -> Peer {
    let next = Arc::new(AtomicU64::new(0));
    Peer::start(move |r| {
        let body = r.body.clone().unwrap_or(Value::Null);
        let name = body["userName"]
            .as_str()
            .or(body["displayName"].as_str())
            .unwrap_or("");
        match r.method.as_str() {
            "POST" => {
                next.fetch_add(1, Ordering::Relaxed);
                Reply::json(201, json!({"id": format!("t-{name}"), "active": true}))
            }
            "GET" if r.query.as_deref().is_some_and(|q| q.contains("filter")) => Reply::json(
                200,
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                       "totalResults": 0, "Resources": []}),
            ),
            "GET" => Reply::json(
                200,
                json!({"id": r.path.rsplit('/').next(), "active": true}),
            ),
            _ => Reply::empty(204),
        }
    })
    .await
}

/// Each exchange as method, path and body (Okta's random password masked), in order.
fn lines(report: &idp::SyncReport) -> Vec<String> {
    report
        .exchanges
        .iter()
        .map(|e| {
            let path = e.url.splitn(4, '/').nth(3).unwrap_or_default();
            let mut body: Value = e
                .request_body
                .as_ref()
                .and_then(|b| serde_json::from_str(b.as_str()).ok())
                .unwrap_or(Value::Null);
            if let Some(o) = body.as_object_mut() {
                o.remove("password");
            }
            format!("{} {path} {body} -> {:?}", e.method, e.status)
        })
        .collect()
}

async fn cycles(persona: PersonaId, mut dir: Directory, count: usize) -> Vec<Vec<String>> {
    let peer = target().await;
    let mut engine = SyncEngine::new(persona, peer.target());
    let mut out = Vec::new();
    let first = engine.cycle(&dir).await;
    assert!(first.is_clean(), "{}", first.summary());
    // Test Connection looks up a random userName; the rest is the directory's.
    out.push(lines(&first).split_off(1));
    mutate(&mut dir, count);
    for _ in 0..2 {
        let report = engine.cycle(&dir).await;
        assert!(report.is_clean(), "{}", report.summary());
        out.push(lines(&report));
    }
    out
}

#[rstest::rstest]
#[case::entra(PersonaId::Entra, 10_000)]
#[case::rfc(PersonaId::Rfc, 1_500)]
#[case::okta(PersonaId::Okta, 1_500)]
#[case::okta_oin(PersonaId::OktaOin, 1_500)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_block_syncs_as_the_same_users_added_one_by_one(
    #[case] persona: PersonaId,
    #[case] count: usize,
) {
    let (compact, whole) = directories(count);
    let listed = |d: &Directory| -> Vec<DirUser> { d.users().map(|u| u.into_owned()).collect() };
    assert_eq!(listed(&compact), listed(&whole));
    let (mut c2, mut w2) = (compact.clone(), whole.clone());
    mutate(&mut c2, count);
    mutate(&mut w2, count);
    assert_eq!(listed(&c2), listed(&w2));
    for g in ["g1", "g2"] {
        let ids = |d: &Directory| -> Vec<String> {
            d.group(g)
                .unwrap()
                .members
                .iter()
                .map(|m| m.into_owned())
                .collect()
        };
        assert_eq!(ids(&c2), ids(&w2), "members of {g}");
    }
    assert_eq!(
        c2.group_names_of(&spec(0).user_id(8)),
        w2.group_names_of(&spec(0).user_id(8))
    );
    let compact_run = cycles(persona, compact, count).await;
    let whole_run = cycles(persona, whole, count).await;
    for (i, (a, b)) in compact_run.iter().zip(&whole_run).enumerate() {
        assert!(!a.is_empty() || i == 2, "cycle {i} sent nothing");
        if a != b {
            let at = a
                .iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            panic!(
                "cycle {i}: exchange {at} differs ({} vs {} exchanges)\n  compact: {:?}\n  whole:   {:?}",
                a.len(),
                b.len(),
                a.get(at),
                b.get(at)
            );
        }
    }
    // The mutations reached the wire.
    let second = compact_run[1].join("\n");
    assert!(second.contains("Given "), "no update sent");
    assert!(
        second.contains("boss"),
        "no membership or manager change sent"
    );
}

/// `keep_outcomes(false)` counts what it no longer keeps: the same summary and counts.
#[tokio::test]
async fn counted_outcomes_match_kept_ones() {
    let (dir, _) = directories(50);
    let mut runs = Vec::new();
    for keep in [true, false] {
        let peer = target().await;
        let mut engine = SyncEngine::new(PersonaId::Entra, peer.target());
        engine.keep_outcomes(keep);
        let report = engine.cycle(&dir).await;
        assert!(report.is_clean(), "{}", report.summary());
        runs.push(report);
    }
    let (kept, counted) = (&runs[0], &runs[1]);
    assert_eq!(kept.outcomes.len(), 51 + 2 + 2);
    assert!(counted.outcomes.is_empty());
    assert_eq!(kept.outcome_counts, counted.outcome_counts);
    assert_eq!(kept.outcome_counts["created"], 51 + 2);
    assert_eq!(kept.outcome_counts["member adds"], 50 + 2);
    assert_eq!(kept.summary(), counted.summary());
}

/// Groups whose member PATCHes outnumber what an object may hold back: with 8 at once
/// the transcript, streamed, is the one a sequential sync keeps, in order and numbered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_groups_stream_their_member_patches_in_order() {
    let mut dir = Directory::new();
    for g in 0..4 {
        let id = format!("big{g}");
        dir.create_group(DirGroup::new(id.clone(), format!("Big {g}")))
            .unwrap();
        let pattern = format!("big{g}.user{{n}}@contoso.example");
        dir.generate_members(
            &id,
            &Generate {
                count: 2_500,
                pattern,
            },
        )
        .unwrap();
    }
    let mut runs = Vec::new();
    for limits in [
        idp::SyncLimits::SEQUENTIAL,
        idp::SyncLimits {
            concurrency: 8,
            requests_per_second: None,
        },
    ] {
        let peer = target().await;
        let mut t = peer.target();
        t.limits = Some(limits);
        let mut engine = SyncEngine::new(PersonaId::Entra, t);
        let mut streamed = Vec::new();
        let report = engine
            .cycle_to(&dir, &mut |e: idp::Exchange| streamed.push(e))
            .await;
        assert!(report.is_clean(), "{}", report.summary());
        let seqs: Vec<u64> = streamed.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=streamed.len() as u64).collect::<Vec<_>>());
        let kept = idp::SyncReport {
            exchanges: streamed,
            ..report
        };
        runs.push(lines(&kept).split_off(1));
    }
    // 10,000 users, 4 groups, 25 member PATCHes each after the group's GET.
    assert_eq!(runs[0].len(), 2 * 10_000 + 4 * 2 + 4 * 26);
    assert_eq!(runs[0], runs[1]);
}
