// What a refusal means, in words a guest or an operator understands: never a raw code.
// `context` may carry the listing's policy and the date asked for, to say which rule and when.
import { t, date as fmtDate } from './i18n.js';
import { windowOpens } from './rules.js';

const RULES = {
  WindowNotOpen: 'err_window_not_open',
  TooFarAhead: 'err_too_far_ahead',
  LeadTimeTooShort: 'err_lead_time',
  InPast: 'err_in_past',
  PartySizeOutOfRange: 'err_party_size',
  StayTooShort: 'err_stay_too_short',
  StayTooLong: 'err_stay_too_long',
  Blackout: 'err_blackout',
  ClosedToArrival: 'err_closed_to_arrival',
  ClosedToDeparture: 'err_closed_to_departure',
  GuestCapReached: 'err_guest_cap',
  SlotNotOffered: 'err_slot_unavailable',
  ConsecutiveSlotsUnavailable: 'err_slot_unavailable',
  SoldOut: 'err_sold_out',
};

const CODES = {
  SOLD_OUT: 'err_sold_out',
  SLOT_UNAVAILABLE: 'err_slot_unavailable',
  COUPON_REJECTED: 'err_coupon',
  POINTS_REJECTED: 'err_points',
  PAYMENT_REJECTED: 'err_payment',
  UNAUTHENTICATED: 'err_sign_in',
  FORBIDDEN: 'err_forbidden',
  NOT_FOUND: 'err_not_found',
  INVALID_STATE: 'err_invalid_state',
  ALREADY_EXISTS: 'err_already_exists',
  INVALID_INPUT: 'err_invalid_input',
  CONFLICT: 'err_retry',
  UNAVAILABLE: 'err_retry',
  TIMEOUT: 'err_retry',
  INTERNAL: 'err_retry',
  NETWORK: 'err_network',
};

export function explain(error, context = {}) {
  const policy = context.policy;
  if (error?.code === 'POLICY_VIOLATION' || (error?.rule && RULES[error.rule])) {
    const key = RULES[error.rule] || 'err_policy';
    const params = {
      min: policy?.partyMin ?? policy?.minStay ?? '',
      max: policy?.partyMax ?? policy?.maxStay ?? '',
      days: policy?.maxAdvanceDays ?? '',
      date: context.date ? fmtDate(context.date) : '',
      cap: policy?.perGuestActiveCap ?? '',
      when: '',
    };
    if (error.rule === 'StayTooShort') params.min = policy?.minStay ?? '';
    if (error.rule === 'StayTooLong') params.max = policy?.maxStay ?? '';
    if (error.rule === 'WindowNotOpen' && policy?.opens && context.date) {
      params.when = windowOpens(policy.opens, context.date);
      return t('err_window_opens_at', params);
    }
    return t(key, params);
  }
  const key = CODES[error?.code] || 'err_retry';
  return t(key);
}

// Whether trying again later may help (a calm "try again" instead of a reason).
export function retryable(error) {
  return !!error?.retryable;
}
