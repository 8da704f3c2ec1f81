//! Attack stories, injected into chosen identities of the generated population.

use palisade_schema::{
    Duration, FailureReason, FileAccessKind, Identity, IdentityKey, MailboxForwarding, MailboxRule,
    Origin, PromptResult, RuleAction, RuleChange, RuleConditions, Timestamp,
};

use super::flows::{Flow, FILES};
use super::people::{near, network_origin, Device, Person, ATTACKER_UAS};
use super::places::{city, City, ATTACKER_NETWORKS, CITIES};
use super::{Archetype, AttackKind, Gen, Label};
use crate::rng::Rng;

/// The day a story happens: in the last 40% of the period when it is long enough, so the
/// victims' baselines have matured, leaving room for stories that span days.
fn attack_day(gen: &Gen<'_>, rng: &mut Rng) -> i64 {
    let days = i64::from(gen.cfg.days.max(1));
    let lo = (days * 3 / 5).clamp(0, (days - 1).max(0));
    let hi = (days - 3).max(lo + 1);
    rng.range_i64(lo, hi)
}

/// A sign-in origin on an attacker network in a city that `pick` accepts.
fn attacker_origin(gen: &mut Gen<'_>, rng: &mut Rng, pick: impl Fn(&City) -> bool) -> Origin {
    let nets: Vec<_> = ATTACKER_NETWORKS
        .iter()
        .filter(|n| pick(&CITIES[city(n.city)]))
        .collect();
    let net = match rng.choose(&nets) {
        Some(n) => **n,
        None => ATTACKER_NETWORKS[rng.below(ATTACKER_NETWORKS.len())],
    };
    let c = &CITIES[city(net.city)];
    let ip = super::people::v4(net.isp.v4, rng.range(0, 256) as u8, rng.range(2, 255) as u8);
    let geo = near(rng, c, 0.1, net.isp.accuracy_km);
    let device = Device::random(rng, ATTACKER_UAS);
    let session = gen.session();
    network_origin(c, &net.isp, ip, geo, &device, session)
}

/// The mail service logs only the client address.
fn ip_only(o: &Origin) -> Origin {
    Origin {
        ip: o.ip,
        ..Origin::default()
    }
}

fn secs(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    rng.range_i64(lo, hi)
}

/// Injects story number `n` of kind `kind` against its planned victim; `None` if nobody could
/// be its victim (an empty population).
pub(crate) fn inject(
    gen: &mut Gen<'_>,
    n: usize,
    kind: AttackKind,
    people: &[Person],
    rng: &mut Rng,
) -> Option<Label> {
    let victim = people.iter().find(|p| p.victim_of.contains(&n))?;
    let first = gen.events.len();
    let day = attack_day(gen, rng);
    let home = victim.city();
    let mut identities = vec![victim.identity.key.clone()];
    let summary: String = match kind {
        AttackKind::ReferenceCase => reference_case(gen, victim, people, day, rng),
        AttackKind::PushBombing => push_burst(gen, victim, day, rng, 8..21, true),
        AttackKind::PushBurstNoApproval => push_burst(gen, victim, day, rng, 8..16, false),
        AttackKind::IgnoredPromptsThenApproval => {
            let t0 = gen.local(day, 21.5 + rng.f64() * 2.0, home.utc_offset_min);
            let origin = attacker_origin(gen, rng, |c| c.country != home.country);
            let mut f = Flow::new(gen, &victim.identity, origin, t0).app("Microsoft Office 365");
            f.primary(None);
            let count = rng.range(5, 11);
            for _ in 0..count {
                f.wait(3);
                f.push(PromptResult::Sent, 0, &victim.authenticator);
                f.wait(secs(rng, 30, 90));
            }
            f.push(
                PromptResult::Approved,
                secs(rng, 5, 20),
                &victim.authenticator,
            );
            f.wait(1).session_start().open_apps(rng);
            format!("{count} push prompts sent and ignored, then one approved, from abroad")
        }
        AttackKind::FraudReport => {
            let t0 = gen.local(day, 9.0 + rng.f64() * 8.0, home.utc_offset_min);
            let origin = attacker_origin(gen, rng, |c| c.country != home.country);
            let mut f = Flow::new(gen, &victim.identity, origin, t0).app("Microsoft Office 365");
            f.primary(None);
            f.wait(3);
            f.push(
                PromptResult::FraudReported,
                secs(rng, 10, 40),
                &victim.authenticator,
            );
            "the user reported a push prompt from a foreign sign-in as fraud".to_owned()
        }
        AttackKind::ImpossibleTravel => {
            let t0 = gen.local(day, 9.0 + rng.f64() * 2.0, home.utc_offset_min);
            let device = victim.laptop_on(day).clone();
            let session = gen.session();
            let own = victim.office_origin(rng, &device, session);
            let mut f = Flow::new(gen, &victim.identity, own, t0).app("Microsoft Office 365");
            f.primary(None);
            f.wait(1).session_start();
            let t1 = t0 + Duration::from_mins(115 + rng.range_i64(0, 20));
            let far = attacker_origin(gen, rng, |c| c.name == "Frankfurt");
            let mut g = Flow::new(gen, &victim.identity, far, t1).app("Microsoft Office 365");
            g.primary(None);
            g.wait(1).session_start().open_apps(rng);
            format!(
                "sign-in in {}, then from Frankfurt two hours later",
                home.name
            )
        }
        AttackKind::PasswordSpray => {
            let (targets, text) = password_spray(gen, victim, people, day, rng);
            identities = targets;
            text
        }
        AttackKind::ForwardToExternal => forward_to_external(gen, victim, day, rng),
        AttackKind::ReturnAfterRefusedMfa => {
            let t0 = gen.local(day, 9.0 + rng.f64() * 9.0, home.utc_offset_min);
            let origin = attacker_origin(gen, rng, |c| c.country != home.country);
            let dev = &victim.authenticator;
            let mut f = Flow::new(gen, &victim.identity, origin.clone(), t0).app("Slack");
            f.primary(None);
            f.wait(3);
            f.push(PromptResult::Denied, secs(rng, 10, 40), dev);
            let t1 = t0 + Duration::from_days(1) + Duration::from_mins(rng.range_i64(0, 1440));
            let mut g = Flow::new(gen, &victim.identity, origin, t1).app("Slack");
            g.primary(None);
            g.wait(3);
            g.push(PromptResult::Approved, secs(rng, 8, 30), dev);
            g.wait(1).session_start().open_apps(rng);
            "a push from abroad denied; a day or two later the same network again, approved"
                .to_owned()
        }
    };
    identities.sort();
    identities.dedup();
    let mut story: Vec<(Timestamp, palisade_schema::Source, String)> = gen.events[first..]
        .iter()
        .map(|e| (e.time, e.source, e.id.clone()))
        .collect();
    story.sort();
    let start = story.first()?.0;
    let end = story.last()?.0;
    Some(Label {
        kind,
        primary: victim.identity.key.clone(),
        identities,
        start,
        end,
        evidence: story.into_iter().map(|(_, _, id)| id).collect(),
        summary,
    })
}

fn reference_case(
    gen: &mut Gen<'_>,
    victim: &Person,
    people: &[Person],
    day: i64,
    rng: &mut Rng,
) -> String {
    let home = victim.city();
    let dev = &victim.authenticator;
    let t0 = gen.local(day, 20.5 + rng.f64() * 2.5, home.utc_offset_min);
    let us = attacker_origin(gen, rng, |c| c.country == "US");
    let mut f = Flow::new(gen, &victim.identity, us, t0).app("Microsoft Office 365");
    f.primary(None);
    f.wait(4);
    f.push(PromptResult::Denied, secs(rng, 10, 25), dev);
    f.wait(secs(rng, 90, 200));
    f.primary(None);
    f.wait(3);
    f.push(PromptResult::TimedOut, 60, dev);
    f.wait(secs(rng, 60, 240));
    f.primary(None);
    f.wait(3);
    f.push(PromptResult::Approved, secs(rng, 8, 20), dev);
    f.wait(1).session_start().open_apps(rng);
    for _ in 0..2 + rng.below(3) {
        f.wait(secs(rng, 120, 600));
        f.file(FileAccessKind::Previewed, FILES[rng.below(FILES.len())]);
    }

    let t1 = t0 + Duration::from_days(2) + Duration::from_mins(rng.range_i64(-180, 180));
    let de = attacker_origin(gen, rng, |c| c.country == "DE");
    let mut g = Flow::new(gen, &victim.identity, de, t1).app("Microsoft Office 365");
    g.primary(None);
    g.wait(1).session_start().open_apps(rng);
    for _ in 0..1 + rng.below(3) {
        g.wait(secs(rng, 60, 400));
        g.file(FileAccessKind::Previewed, FILES[rng.below(FILES.len())]);
    }
    g.wait(secs(rng, 1200, 3600));
    let colleague = colleague_of(victim, people);
    let folder = if rng.chance(0.5) {
        "RSS Feeds"
    } else {
        "Archive"
    };
    g.origin = ip_only(&g.origin);
    g.rule(MailboxRule {
        change: RuleChange::Create,
        mailbox: None,
        name: Some(".".into()),
        conditions: RuleConditions {
            from: vec![colleague.clone()],
            ..RuleConditions::default()
        },
        actions: vec![
            RuleAction::MarkAsRead,
            RuleAction::MoveToFolder(folder.into()),
        ],
    });
    format!(
        "two failed MFA prompts then success from the US; two days later a sign-in from Germany, \
         file previews and rule '.' marking mail from {colleague} read and moving it to {folder}"
    )
}

fn colleague_of(victim: &Person, people: &[Person]) -> String {
    people
        .iter()
        .filter(|p| p.index != victim.index)
        .max_by_key(|p| (p.home == victim.home, std::cmp::Reverse(p.index)))
        .map(|p| p.identity.key.as_str().to_owned())
        .unwrap_or_else(|| {
            let domain = victim.identity.key.domain().unwrap_or("example.com");
            format!("accounts.payable@{domain}")
        })
}

fn push_burst(
    gen: &mut Gen<'_>,
    victim: &Person,
    day: i64,
    rng: &mut Rng,
    count: std::ops::Range<u64>,
    approve: bool,
) -> String {
    let home = victim.city();
    let dev = &victim.authenticator;
    let t0 = gen.local(day, 22.0 + rng.f64() * 2.5, home.utc_offset_min);
    let origin = attacker_origin(gen, rng, |c| c.country != home.country);
    let country = origin.country.clone().unwrap_or_default();
    let mut f = Flow::new(gen, &victim.identity, origin, t0).app("Microsoft Office 365");
    f.primary(None);
    let n = rng.range(count.start, count.end);
    for _ in 0..n {
        f.wait(secs(rng, 2, 6));
        if rng.chance(0.6) {
            f.push(PromptResult::Denied, secs(rng, 4, 30), dev);
        } else {
            f.push(PromptResult::TimedOut, 60, dev);
        }
        f.wait(secs(rng, 5, 25));
    }
    if approve {
        f.push(PromptResult::Approved, secs(rng, 5, 20), dev);
        f.wait(1).session_start().open_apps(rng);
        format!("{n} push prompts denied or timed out from {country}, then one approved")
    } else {
        format!("{n} push prompts denied or timed out from {country}, none approved")
    }
}

fn password_spray(
    gen: &mut Gen<'_>,
    victim: &Person,
    people: &[Person],
    day: i64,
    rng: &mut Rng,
) -> (Vec<IdentityKey>, String) {
    // Targets: office workers no other story uses first, so benign archetypes stay clean.
    let mut pool: Vec<&Person> = people
        .iter()
        .filter(|p| p.index != victim.index && p.victim_of.is_empty())
        .filter(|p| p.archetype == Archetype::OfficeWorker)
        .collect();
    if pool.len() < 10 {
        pool.extend(people.iter().filter(|p| {
            p.index != victim.index
                && p.victim_of.is_empty()
                && p.archetype != Archetype::OfficeWorker
        }));
    }
    rng.shuffle(&mut pool);
    pool.truncate(30);
    let domain = gen.cfg.domain.clone();
    let mut attempts: Vec<Identity> = pool.iter().map(|p| p.identity.clone()).collect();
    attempts.push(victim.identity.clone());
    for name in ["admin", "it.support", "test", "scanner", "info"] {
        attempts.push(Identity::new(&format!("{name}@{domain}")));
    }
    rng.shuffle(&mut attempts);
    let known: std::collections::BTreeSet<&IdentityKey> =
        people.iter().map(|p| &p.identity.key).collect();

    let mut t = gen.local(day, 1.0 + rng.f64() * 4.0, 0);
    let origin = attacker_origin(gen, rng, |c| c.country != victim.city().country);
    for who in &attempts {
        let reason = if known.contains(&who.key) {
            FailureReason::BadPassword
        } else {
            FailureReason::UnknownUser
        };
        let mut o = origin.clone();
        o.session_id = Some(gen.session());
        let mut f = Flow::new(gen, who, o, t).app("Microsoft Office 365");
        f.primary(Some(reason));
        t = t + Duration::from_secs(secs(rng, 15, 75));
    }
    t = t + Duration::from_secs(secs(rng, 120, 600));
    let mut o = origin.clone();
    o.session_id = Some(gen.session());
    let mut f = Flow::new(gen, &victim.identity, o, t).app("Microsoft Office 365");
    f.primary(None);
    f.wait(1).session_start().open_apps(rng);
    let mut targets: Vec<IdentityKey> = pool.iter().map(|p| p.identity.key.clone()).collect();
    targets.push(victim.identity.key.clone());
    let text = format!(
        "{} sign-in attempts from one IP across {} accounts, then a success for {}",
        attempts.len(),
        attempts.len(),
        victim.identity.key
    );
    (targets, text)
}

fn forward_to_external(gen: &mut Gen<'_>, victim: &Person, day: i64, rng: &mut Rng) -> String {
    let home = victim.city();
    let t0 = gen.local(day, 10.0 + rng.f64() * 8.0, home.utc_offset_min);
    let origin = attacker_origin(gen, rng, |c| c.country != home.country);
    let mut f = Flow::new(gen, &victim.identity, origin, t0).app("Microsoft Office 365");
    f.primary(None);
    if victim.push {
        f.wait(3);
        f.push(
            PromptResult::Approved,
            secs(rng, 8, 30),
            &victim.authenticator,
        );
    }
    f.wait(1).session_start().open_apps(rng);
    f.wait(secs(rng, 600, 2400));
    f.origin = ip_only(&f.origin);
    let local = victim
        .identity
        .key
        .as_str()
        .split('@')
        .next()
        .unwrap_or("user")
        .replace('.', "");
    let provider = ["gmail.com", "outlook.com", "proton.me"][rng.below(3)];
    let external = format!("{local}.archive{}@{provider}", rng.range(10, 99));
    if rng.chance(0.5) {
        f.forwarding(MailboxForwarding {
            mailbox: None,
            forward_to: Some(external.clone()),
            keep_copy: Some(rng.chance(0.5)),
        });
        format!("unfamiliar sign-in, then mailbox forwarding to {external}")
    } else {
        let action = if rng.chance(0.5) {
            RuleAction::ForwardTo(external.clone())
        } else {
            RuleAction::RedirectTo(external.clone())
        };
        f.rule(MailboxRule {
            change: RuleChange::Create,
            mailbox: None,
            name: Some(["Invoices", "Payments", "Remittance"][rng.below(3)].into()),
            conditions: RuleConditions {
                subject_contains: vec!["invoice".into(), "payment".into()],
                ..RuleConditions::default()
            },
            actions: vec![action],
        });
        format!("unfamiliar sign-in, then an inbox rule forwarding invoice mail to {external}")
    }
}
