// A listing's booking rules in words ("Bookings open every day at 18:00 for the same day",
// "Parties of 1 to 4"), from its policy as the API returns it. The cancellation terms come
// from the API in the page's language (`cancellationTerms`).
import { t, date as fmtDate, addDays, weekdays } from './i18n.js';

const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const dayNames = (list) => list.map((d) => weekdays()[WEEKDAYS.indexOf(d)] ?? d).join(', ');

export const POLICY_FIELDS = `bookingPolicy { version slots { kind checkIn checkOut minutes firstStart lastStart startsAt }
  opens { daysBefore at } minLeadMinutes maxAdvanceDays minStay maxStay partyMin partyMax bufferMinutes
  blackout { from to } perGuestActiveCap holdDurationMinutes offerDurationMinutes noShowRefundBp
  closedToArrival { weekdays dates } closedToDeparture { weekdays dates } cancellation { minNoticeHours refundBp }
  cancellationTerms(language: $language) }`;

const hhmm = (time) => (time || '').slice(0, 5);

// When the window for `slotDate` opens: "today at 18:00" or "Mon 7 Dec at 18:00".
export function windowOpens(opens, slotDate) {
  const day = addDays(slotDate, -opens.daysBefore);
  return t('opens_on_at', { date: fmtDate(day), time: hhmm(opens.at) });
}

// The rules, each a sentence.
export function ruleSentences(policy, slotKind) {
  if (!policy) return [];
  const out = [];
  if (policy.opens) {
    out.push(policy.opens.daysBefore === 0
      ? t('rule_opens_same_day', { time: hhmm(policy.opens.at) })
      : t('rule_opens_days_before', { time: hhmm(policy.opens.at), days: policy.opens.daysBefore }));
  }
  if (policy.maxAdvanceDays === 0) out.push(t('rule_same_day_only'));
  else out.push(t('rule_max_advance', { days: policy.maxAdvanceDays }));
  if (policy.minLeadMinutes > 0) {
    out.push(policy.minLeadMinutes % 60 === 0
      ? t('rule_lead_hours', { hours: policy.minLeadMinutes / 60 })
      : t('rule_lead_minutes', { minutes: policy.minLeadMinutes }));
  }
  out.push(policy.partyMin === policy.partyMax
    ? t('rule_party_exact', { n: policy.partyMin })
    : t('rule_party', { min: policy.partyMin, max: policy.partyMax }));
  const unit = slotKind === 'NIGHT' ? 'nights' : 'slots';
  if (policy.minStay > 1) out.push(t(`rule_min_${unit}`, { n: policy.minStay }));
  if (policy.maxStay > 1 && slotKind !== 'DATED_EVENT') out.push(t(`rule_max_${unit}`, { n: policy.maxStay }));
  if (policy.slots?.kind === 'NIGHT' && policy.slots.checkIn) {
    out.push(t('rule_check_in_out', { in: hhmm(policy.slots.checkIn), out: hhmm(policy.slots.checkOut) }));
  }
  if (policy.closedToArrival?.weekdays?.length) {
    out.push(t(slotKind === 'NIGHT' ? 'rule_no_arrival' : 'rule_closed_days', { days: dayNames(policy.closedToArrival.weekdays) }));
  }
  if (policy.perGuestActiveCap) out.push(t('rule_guest_cap', { n: policy.perGuestActiveCap }));
  for (const span of policy.blackout || []) {
    out.push(t('rule_blackout', { from: fmtDate(span.from), to: fmtDate(span.to) }));
  }
  out.push(t('rule_hold', { minutes: policy.holdDurationMinutes }));
  if (policy.cancellationTerms) out.push(policy.cancellationTerms);
  return out;
}
