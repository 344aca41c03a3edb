//! What a guest reads: each notification rendered as a message (a subject and a plain-text
//! body) in the guest's language, from templates embedded in the binary
//! (`crates/engine/templates/messages/{ko,en}.txt`, one `== name` section each: the subject
//! line, then the body; `minijinja` syntax). Times are the listing's local times, amounts in
//! the booking's currency (`30,000원`, `KRW 30,000`, `EUR 12.50`).

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use holdfast_domain::guest::Language;
use minijinja::Environment;
use serde_json::Value;

const KO: &str = include_str!("../../templates/messages/ko.txt");
const EN: &str = include_str!("../../templates/messages/en.txt");

/// A message ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The subject (one line).
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// The booking as an iCalendar document, to attach (a confirmation's).
    pub calendar: Option<String>,
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(true);
        for (language, text) in [(Language::Ko, KO), (Language::En, EN)] {
            for (name, subject, body) in sections(text) {
                env.add_template_owned(format!("{}/{name}.subject", language.as_str()), subject)
                    .expect("the embedded subject templates parse");
                env.add_template_owned(format!("{}/{name}.body", language.as_str()), body)
                    .expect("the embedded body templates parse");
            }
        }
        env
    })
}

/// The `== name` sections of a template file (a line starting `== ` opens one): (name,
/// subject, body).
fn sections(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let starts = text
        .match_indices("== ")
        .map(|(i, _)| i)
        .filter(|i| *i == 0 || text.as_bytes()[i - 1] == b'\n');
    let starts: Vec<usize> = starts.chain(std::iter::once(text.len())).collect();
    for pair in starts.windows(2) {
        let section = &text[pair[0] + 3..pair[1]];
        let mut lines = section.splitn(3, '\n');
        let name = lines.next().unwrap_or_default().trim().to_owned();
        let subject = lines.next().unwrap_or_default().trim().to_owned();
        let body = lines.next().unwrap_or_default().trim_end().to_owned() + "\n";
        out.push((name, subject, body));
    }
    out
}

/// The names of every message (each exists in every language).
pub fn names() -> Vec<String> {
    sections(EN).into_iter().map(|(name, _, _)| name).collect()
}

/// Renders message `name` in `language` with `context`.
///
/// # Errors
///
/// The template's error (an unknown name, a missing value used strictly).
pub fn render(name: &str, language: Language, context: &Value) -> Result<Rendered, String> {
    let env = environment();
    let one = |part: &str| -> Result<String, String> {
        env.get_template(&format!("{}/{name}.{part}", language.as_str()))
            .and_then(|t| t.render(context))
            .map_err(|e| format!("message {name} ({}): {e}", language.as_str()))
    };
    Ok(Rendered {
        subject: one("subject")?.trim().to_owned(),
        body: one("body")?,
        calendar: None,
    })
}

/// Digits after the point in `currency`'s minor unit (ISO 4217; 2 unless listed).
fn exponent(currency: &str) -> u32 {
    match currency {
        "KRW" | "JPY" | "VND" | "CLP" | "ISK" | "UGX" | "PYG" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "JOD" | "OMR" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

fn grouped(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount as a person reads it: `30,000원` (Korean, won), else `KRW 30,000`, `EUR 12.50`.
pub fn money(amount_minor: i64, currency: &str, language: Language) -> String {
    let exp = exponent(currency);
    let unit = 10u64.pow(exp);
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    let number = if exp == 0 {
        grouped(abs)
    } else {
        format!(
            "{}.{:0width$}",
            grouped(abs / unit),
            abs % unit,
            width = exp as usize
        )
    };
    match (language, currency) {
        (Language::Ko, "KRW") => format!("{sign}{number}원"),
        _ => format!("{sign}{currency} {number}"),
    }
}

/// A `{"amount_minor", "currency"}` value, formatted (`None` when absent or zero).
pub fn money_value(value: &Value, language: Language) -> Option<String> {
    let amount = value.get("amount_minor")?.as_i64()?;
    let currency = value.get("currency")?.as_str()?;
    (amount != 0).then(|| money(amount, currency, language))
}

/// An instant as the listing's local date and time: `2030년 2월 1일 (금) 19:00`,
/// `Fri 1 Feb 2030, 19:00`.
pub fn local(at: DateTime<Utc>, zone: Tz, language: Language) -> String {
    let at = at.with_timezone(&zone);
    match language {
        Language::Ko => {
            const DAYS: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];
            format!(
                "{}년 {}월 {}일 ({}) {}",
                at.year(),
                at.month(),
                at.day(),
                DAYS[at.weekday().num_days_from_monday() as usize],
                at.format("%H:%M")
            )
        }
        Language::En => at.format("%a %-d %b %Y, %H:%M").to_string(),
    }
}

/// The message a booking notification's payload gives, with its context: the guest's name, the
/// business (the listing's name), local times in `zone`, amounts. `None` for kinds that are no
/// booking's.
pub fn booking_message(
    payload: &Value,
    business: &str,
    zone: Tz,
    guest: &str,
    language: Language,
) -> Option<(String, Value)> {
    let kind = payload.get("kind")?.as_str()?;
    let data = payload.get("data").cloned().unwrap_or(Value::Null);
    let instant = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| local(t.to_utc(), zone, language))
    };
    let amount = |key: &str| data.get(key).and_then(|v| money_value(v, language));
    let name = match kind {
        "expired" => match data.get("what").and_then(Value::as_str) {
            Some("offer") => "expired_offer",
            _ => "expired_hold",
        },
        "confirmed" | "cancelled" | "offered" | "refunded" | "rejected" | "late_payment"
        | "waitlisted" | "reminder" | "hold_expiring" | "availability_alert" => kind,
        _ => return None,
    };
    let mut context: HashMap<&str, Value> = HashMap::new();
    context.insert("business", business.into());
    context.insert("guest", guest.into());
    context.insert(
        "booking",
        payload.get("booking_id").cloned().unwrap_or(Value::Null),
    );
    context.insert(
        "when",
        instant(data.get("starts_at")).map_or(Value::Null, Value::from),
    );
    context.insert(
        "deadline",
        instant(data.get("offer_expires_at").or(data.get("expires_at")))
            .map_or(Value::Null, Value::from),
    );
    context.insert(
        "party_size",
        data.get("party_size").cloned().unwrap_or(Value::Null),
    );
    let total = data
        .get("totals")
        .and_then(|t| t.get("total"))
        .or(data.get("total"))
        .and_then(|v| money_value(v, language));
    context.insert("total", total.map_or(Value::Null, Value::from));
    context.insert(
        "refund",
        amount("refund_due").map_or(Value::Null, Value::from),
    );
    context.insert(
        "amount",
        amount("amount")
            .or_else(|| {
                data.get("payment")
                    .and_then(|p| p.get("amount"))
                    .and_then(|v| money_value(v, language))
            })
            .map_or(Value::Null, Value::from),
    );
    context.insert(
        "paid",
        amount("total_paid").map_or(Value::Null, Value::from),
    );
    context.insert(
        "refunded",
        amount("total_refunded").map_or(Value::Null, Value::from),
    );
    // A rejection's reason is `{"code": "SoldOut", …}`: the templates say it in words.
    context.insert(
        "reason",
        data.get("reason")
            .and_then(|r| r.get("code"))
            .cloned()
            .unwrap_or(Value::Null),
    );
    context.insert(
        "wanted",
        wanted(&data, language).map_or(Value::Null, Value::from),
    );
    Some((name.to_owned(), serde_json::to_value(context).ok()?))
}

/// A refund share in basis points as people write it: `100%`, `50%`, `12.5%`.
fn percent(bp: u32) -> String {
    if bp.is_multiple_of(100) {
        format!("{}%", bp / 100)
    } else {
        let text = format!("{:.2}", f64::from(bp) / 100.0);
        format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// A notice as people say it: whole days when it is a multiple of 24 hours.
fn notice(hours: u32, language: Language) -> String {
    match (language, hours) {
        (Language::Ko, h) if h > 0 && h % 24 == 0 => format!("이용 {}일 전까지", h / 24),
        (Language::Ko, 0) => "이용 시작 전까지".to_owned(),
        (Language::Ko, h) => format!("이용 {h}시간 전까지"),
        (Language::En, 0) => "up to the start".to_owned(),
        (Language::En, 24) => "at least 1 day before the start".to_owned(),
        (Language::En, h) if h % 24 == 0 => format!("at least {} days before the start", h / 24),
        (Language::En, 1) => "at least 1 hour before the start".to_owned(),
        (Language::En, h) => format!("at least {h} hours before the start"),
    }
}

/// A booking's cancellation terms in words, from its refund tiers (longest notice first): what
/// a guest agrees to before booking.
pub fn cancellation_terms(
    policy: &holdfast_domain::common::CancellationPolicy,
    language: Language,
) -> String {
    let tiers = policy.tiers();
    if tiers.iter().all(|t| t.refund_bp == 0) {
        return match language {
            Language::Ko => "취소하면 환불되지 않습니다.".to_owned(),
            Language::En => "Cancelling gives no refund.".to_owned(),
        };
    }
    let parts: Vec<String> = tiers
        .iter()
        .map(|t| {
            let when = notice(t.min_notice_hours, language);
            match (language, t.refund_bp) {
                (Language::Ko, 10_000) => format!("{when} 취소하면 전액 환불"),
                (Language::Ko, bp) => format!("{when} 취소하면 {} 환불", percent(bp)),
                (Language::En, 10_000) => format!("a full refund when cancelled {when}"),
                (Language::En, bp) => format!("{} back when cancelled {when}", percent(bp)),
            }
        })
        .collect();
    let last_is_start = tiers.last().is_some_and(|t| t.min_notice_hours == 0);
    match language {
        Language::Ko => {
            let mut text = parts.join(", ");
            if !last_is_start {
                text.push_str(", 그 이후에는 환불되지 않습니다.");
            } else {
                text.push_str("됩니다.");
            }
            text
        }
        Language::En => {
            let mut text = parts.join("; ");
            if !last_is_start {
                text.push_str("; no refund after that.");
            } else {
                text.push('.');
            }
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

/// A waitlist entry's wanted dates (and time) as a person reads them: `2월 1일–2월 3일 19:00`,
/// `1 Feb–3 Feb 19:00` (one date alone when they are the same).
fn wanted(data: &Value, language: Language) -> Option<String> {
    let date = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let (from, to) = (date("wanted_from")?, date("wanted_to")?);
    let show = |d: chrono::NaiveDate| match language {
        Language::Ko => format!("{}월 {}일", d.month(), d.day()),
        Language::En => d.format("%-d %b").to_string(),
    };
    let mut text = if from == to {
        show(from)
    } else {
        format!("{}–{}", show(from), show(to))
    };
    if let Some(time) = data.get("time").and_then(Value::as_str) {
        text.push(' ');
        text.push_str(time);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_message_exists_in_both_languages_and_renders() {
        let names = names();
        assert!(names.len() >= 10, "{names:?}");
        let ko: Vec<String> = sections(KO).into_iter().map(|(n, _, _)| n).collect();
        assert_eq!(ko, names);
        let context = json!({"business": "B", "guest": "G", "booking": "X", "when": "W",
            "deadline": "D", "party_size": 2, "total": "T", "refund": "R", "amount": "A",
            "paid": "P", "refunded": "F", "reason": "SoldOut", "link": "L", "hours": 72,
            "minutes": 60});
        for name in &names {
            for language in Language::ALL {
                let m = render(name, language, &context).unwrap();
                assert!(!m.subject.is_empty() && !m.subject.contains('\n'), "{name}");
                assert!(!m.body.contains("{{"), "{name}: {}", m.body);
            }
        }
        assert!(render("nope", Language::En, &context).is_err());
    }

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(money(30_000, "KRW", Language::Ko), "30,000원");
        assert_eq!(money(30_000, "KRW", Language::En), "KRW 30,000");
        assert_eq!(money(1_234_567, "KRW", Language::Ko), "1,234,567원");
        assert_eq!(money(1250, "EUR", Language::En), "EUR 12.50");
        assert_eq!(money(5, "USD", Language::Ko), "USD 0.05");
        assert_eq!(money(1_000_500, "KWD", Language::En), "KWD 1,000.500");
        assert_eq!(money(-700, "KRW", Language::Ko), "-700원");
    }

    #[test]
    fn reminders_say_when_and_the_hold_warning_says_until_when_and_how_much() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        let reminder = json!({"kind": "reminder", "booking_id": "01B",
            "data": {"starts_at": "2030-02-01T10:00:00Z", "party_size": 4,
                     "total": {"amount_minor": 30000, "currency": "KRW"}, "expires_at": null}});
        let (name, context) =
            booking_message(&reminder, "눈꽃 빙수", seoul, "김민지", Language::Ko).unwrap();
        let m = render(&name, Language::Ko, &context).unwrap();
        assert_eq!(
            m.subject,
            "[눈꽃 빙수] 예약 일정 안내 — 2030년 2월 1일 (금) 19:00"
        );
        assert!(m.body.contains("인원: 4명"), "{}", m.body);
        let warning = json!({"kind": "hold_expiring", "booking_id": "01B",
            "data": {"starts_at": "2030-02-01T10:00:00Z", "party_size": 4,
                     "total": {"amount_minor": 1250, "currency": "EUR"},
                     "expires_at": "2030-01-20T03:15:00Z"}});
        let (name, context) =
            booking_message(&warning, "Snowflake", seoul, "Mia", Language::En).unwrap();
        let m = render(&name, Language::En, &context).unwrap();
        assert_eq!(
            m.subject,
            "[Snowflake] Pay by Sun 20 Jan 2030, 12:15 to keep your booking"
        );
        assert!(m.body.contains("To pay: EUR 12.50"), "{}", m.body);
        assert!(m.body.contains("(Fri 1 Feb 2030, 19:00)"), "{}", m.body);
    }

    #[test]
    fn an_availability_alert_says_which_places_freed_up_in_both_languages() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        let alert = json!({"kind": "availability_alert", "booking_id": null, "watch_id": "01W",
            "data": {"wanted_from": "2030-02-01", "wanted_to": "2030-02-03", "time": null,
                     "party_size": 2, "free": 1, "alert": 1,
                     "starts_at": "2030-02-01T06:00:00Z"}});
        let (name, context) =
            booking_message(&alert, "Seaside Stay", seoul, "Mia", Language::En).unwrap();
        let m = render(&name, Language::En, &context).unwrap();
        assert_eq!(
            m.subject,
            "[Seaside Stay] Places are free again — 1 Feb–3 Feb"
        );
        assert!(m.body.contains("(1 Feb–3 Feb, 2 guests)"), "{}", m.body);
        assert!(m.body.contains("Nothing is held for you"), "{}", m.body);
        let (name, context) =
            booking_message(&alert, "해운대 호텔", seoul, "김민지", Language::Ko).unwrap();
        let m = render(&name, Language::Ko, &context).unwrap();
        assert_eq!(
            m.subject,
            "[해운대 호텔] 자리가 다시 났습니다 — 2월 1일–2월 3일"
        );
        assert!(m.body.contains("2명"), "{}", m.body);
    }

    #[test]
    fn cancellation_terms_read_as_sentences() {
        use holdfast_domain::common::{CancellationPolicy, RefundTier};
        let tiers = |t: &[(u32, u32)]| {
            CancellationPolicy::new(
                t.iter()
                    .map(|&(min_notice_hours, refund_bp)| RefundTier {
                        min_notice_hours,
                        refund_bp,
                    })
                    .collect(),
            )
            .unwrap()
        };
        let hotel = tiers(&[(72, 10_000), (24, 5_000)]);
        assert_eq!(
            cancellation_terms(&hotel, Language::En),
            "A full refund when cancelled at least 3 days before the start; 50% back when \
             cancelled at least 1 day before the start; no refund after that."
        );
        assert_eq!(
            cancellation_terms(&hotel, Language::Ko),
            "이용 3일 전까지 취소하면 전액 환불, 이용 1일 전까지 취소하면 50% 환불, 그 이후에는 \
             환불되지 않습니다."
        );
        let flexible = tiers(&[(2, 10_000), (0, 1_250)]);
        assert_eq!(
            cancellation_terms(&flexible, Language::En),
            "A full refund when cancelled at least 2 hours before the start; 12.5% back when \
             cancelled up to the start."
        );
        assert_eq!(
            cancellation_terms(&flexible, Language::Ko),
            "이용 2시간 전까지 취소하면 전액 환불, 이용 시작 전까지 취소하면 12.5% 환불됩니다."
        );
        for none in [CancellationPolicy::non_refundable(), tiers(&[(48, 0)])] {
            assert_eq!(
                cancellation_terms(&none, Language::En),
                "Cancelling gives no refund."
            );
            assert_eq!(
                cancellation_terms(&none, Language::Ko),
                "취소하면 환불되지 않습니다."
            );
        }
    }

    #[test]
    fn times_are_the_listings_local_times() {
        let at = DateTime::parse_from_rfc3339("2030-02-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        assert_eq!(local(at, seoul, Language::Ko), "2030년 2월 1일 (금) 19:00");
        assert_eq!(local(at, seoul, Language::En), "Fri 1 Feb 2030, 19:00");
        let london: Tz = "Europe/London".parse().unwrap();
        assert_eq!(local(at, london, Language::En), "Fri 1 Feb 2030, 10:00");
    }

    #[test]
    fn a_confirmation_says_where_when_who_and_how_much() {
        let payload = json!({"kind": "confirmed", "booking_id": "01BOOKING",
            "data": {"starts_at": "2030-02-01T10:00:00Z", "party_size": 2,
                     "totals": {"total": {"amount_minor": 30000, "currency": "KRW"}}}});
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        let (name, context) =
            booking_message(&payload, "눈꽃 빙수", seoul, "김민지", Language::Ko).unwrap();
        let m = render(&name, Language::Ko, &context).unwrap();
        assert_eq!(
            m.subject,
            "[눈꽃 빙수] 예약이 확정되었습니다 — 2030년 2월 1일 (금) 19:00"
        );
        assert!(m.body.contains("김민지님"), "{}", m.body);
        assert!(m.body.contains("인원: 2명"), "{}", m.body);
        assert!(m.body.contains("결제 금액: 30,000원"), "{}", m.body);
        assert!(m.body.contains("01BOOKING"));
        let cancelled = json!({"kind": "cancelled", "booking_id": "01B",
            "data": {"starts_at": "2030-02-01T10:00:00Z",
                     "refund_due": {"amount_minor": 27000, "currency": "KRW"}}});
        let (name, context) =
            booking_message(&cancelled, "Snowflake", seoul, "Mia", Language::En).unwrap();
        let m = render(&name, Language::En, &context).unwrap();
        assert_eq!(
            m.subject,
            "[Snowflake] Your booking is cancelled — Fri 1 Feb 2030, 19:00"
        );
        assert!(m.body.contains("Refund due: KRW 27,000"), "{}", m.body);
        let none = json!({"kind": "cancelled", "booking_id": "01B", "data": {"refund_due": null}});
        let (name, context) =
            booking_message(&none, "Snowflake", seoul, "Mia", Language::En).unwrap();
        let m = render(&name, Language::En, &context).unwrap();
        assert!(m.body.contains("No refund is due."), "{}", m.body);
        assert_eq!(m.subject, "[Snowflake] Your booking is cancelled");
        let rejected = json!({"kind": "rejected", "booking_id": "01B",
            "data": {"reason": {"code": "SoldOut"}}});
        let (name, context) =
            booking_message(&rejected, "Snowflake", seoul, "Mia", Language::En).unwrap();
        let m = render(&name, Language::En, &context).unwrap();
        assert!(
            m.body.contains("could not be completed: it is sold out."),
            "{}",
            m.body
        );
        let (name, context) =
            booking_message(&rejected, "눈꽃 빙수", seoul, "김민지", Language::Ko).unwrap();
        let m = render(&name, Language::Ko, &context).unwrap();
        assert!(m.body.contains("자리가 모두 찼습니다."), "{}", m.body);
        assert!(
            booking_message(
                &json!({"kind": "verify_email"}),
                "",
                seoul,
                "",
                Language::En
            )
            .is_none()
        );
    }
}
