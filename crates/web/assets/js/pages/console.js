// The operator console (signed in for one business): today's sheet with check-in and no-show,
// the calendar grid per inventory (select slots, then set capacity or price, close or open
// them), bookings over dates with filters and CSV, listings and the policy in words, campaigns,
// the waitlist, notifications that could not be delivered, and the figures of a period.
// Everything live where it matters: the sheet and the grid follow availabilityChanged.
import { gql, subscribe, idempotencyKey } from '../api.js';
import { h, show, notice, announce } from '../dom.js';
import { t, lang, money, toMinor, date as fmtDate, dateTime, clock, today, addDays } from '../i18n.js';
import { explain } from '../errors.js';
import { session, signedIn, accessToken } from '../session.js';
import { ruleSentences, POLICY_FIELDS } from '../rules.js';

const TABS = ['today', 'calendar', 'bookings', 'listings', 'campaigns', 'points', 'waitlist', 'notifications', 'reports'];
const GUEST = 'guest { name phone email }';
let stops = [];
function stopLive() {
  for (const stop of stops) stop();
  stops = [];
}

function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows)));
}

async function todayTab(panel, ctx) {
  const dateInput = h('input', { type: 'date', id: 'sheet-date', value: ctx.today });
  const list = h('div', { id: 'sheet', 'aria-live': 'polite' });
  show(panel, h('div', { class: 'toolbar' }, h('label', { for: 'sheet-date' }, t('console_date')), dateInput), list);
  const load = async (token = null) => {
    try {
      const d = await gql(`query($t: ID!, $d: Date!, $c: String) { daySheet(tenantId: $t, date: $d, consistencyToken: $c) { bookingId status firstSlot slots partySize quantity startsAt inventoryId ${GUEST} } }`,
        { t: ctx.tenantId, d: dateInput.value, c: token });
      const rows = d.daySheet.map((e) => {
        const inv = ctx.inventories.get(e.inventoryId);
        const act = (mutation, extra = '') => async (ev) => {
          ev.target.disabled = true;
          try {
            const done = await gql(`mutation($k: String!, $id: ID!) { ${mutation}(idempotencyKey: $k, input: { bookingId: $id ${extra} }) { status consistencyToken } }`, { k: idempotencyKey(), id: e.bookingId });
            announce(t(mutation === 'checkIn' ? 'checked_in_done' : 'no_show_done'));
            load(done[mutation].consistencyToken);
          } catch (err) {
            ev.target.disabled = false;
            list.prepend(notice('error', explain(err)));
          }
        };
        const canAct = e.status === 'CONFIRMED';
        return h('tr', { 'data-booking': e.bookingId, 'data-status': e.status },
          h('td', {}, e.startsAt ? clock(e.startsAt, ctx.timeZone) : e.firstSlot),
          h('td', {}, e.guest?.name || t('guest_unknown')),
          h('td', {}, e.guest?.phone ? h('a', { href: `tel:${e.guest.phone}` }, e.guest.phone) : '', e.guest?.email ? [h('br'), h('a', { href: `mailto:${e.guest.email}` }, e.guest.email)] : ''),
          h('td', {}, e.partySize ?? ''),
          h('td', {}, inv?.name || ''),
          h('td', {}, t(`status_${e.status}`)),
          h('td', { class: 'actions' },
            canAct ? h('button', { type: 'button', class: 'primary small', 'data-action': 'check-in', onclick: act('checkIn') }, t('check_in')) : null,
            canAct ? h('button', { type: 'button', class: 'secondary small', 'data-action': 'no-show', onclick: act('markNoShow') }, t('no_show')) : null));
      });
      show(list, rows.length
        ? table([t('col_time'), t('col_guest'), t('col_contact'), t('col_party'), t('col_inventory'), t('col_status'), ''], rows, t('sheet_caption', { date: fmtDate(dateInput.value) }))
        : notice('info', t('sheet_empty')));
    } catch (e) {
      show(list, notice('error', explain(e)));
    }
  };
  dateInput.addEventListener('change', () => { load(); follow(); });
  const follow = () => {
    stopLive();
    for (const inv of ctx.inventories.values()) {
      stops.push(subscribe('subscription($i: ID!, $f: NaiveDate!, $t: NaiveDate!) { availabilityChanged(inventoryId: $i, from: $f, to: $t) { kind } }',
        { i: inv.id, f: dateInput.value, t: dateInput.value }, (d) => { if (d.availabilityChanged.kind !== 'SNAPSHOT') load(); }));
    }
  };
  follow();
  await load();
}

async function calendarTab(panel, ctx) {
  const invSelect = h('select', { id: 'grid-inventory' }, [...ctx.inventories.values()].map((i) => h('option', { value: i.id }, `${i.listingName} — ${i.name}`)));
  const fromInput = h('input', { type: 'date', id: 'grid-from', value: ctx.today });
  const grid = h('div', { id: 'grid', class: 'grid-wrap' });
  const actions = h('form', { class: 'grid-actions', id: 'grid-actions', hidden: true });
  const message = h('div', { 'aria-live': 'polite' });
  show(panel, h('div', { class: 'toolbar' },
    h('label', { for: 'grid-inventory' }, t('col_inventory')), invSelect,
    h('label', { for: 'grid-from' }, t('console_from')), fromInput),
  h('p', { class: 'muted' }, t('grid_help')), grid, actions, message);
  const DAYS = 14;
  let slots = new Map();
  let selected = new Set();
  let anchor = null;
  const inv = () => ctx.inventories.get(invSelect.value);

  const render = () => {
    const i = inv();
    const dates = [...Array(DAYS).keys()].map((k) => addDays(fromInput.value, k));
    const times = [...new Set([...slots.values()].map((s) => s.time).filter(Boolean))].sort();
    const rows = (times.length ? times : [null]).map((time) => h('tr', {},
      h('th', { scope: 'row' }, time ? time.slice(0, 5) : t('grid_day')),
      dates.map((d) => {
        const key = time ? `${d}T${time.slice(0, 5)}` : d;
        const s = slots.get(key);
        if (!s) return h('td', { class: 'none' }, '—');
        const sel = selected.has(key);
        return h('td', { class: `${s.closed ? 'closed' : s.available === 0 ? 'full' : ''}${sel ? ' selected' : ''}` },
          h('button', {
            type: 'button', class: 'slot', 'data-slot': key, 'aria-pressed': sel ? 'true' : 'false',
            onclick: (e) => pick(key, e.shiftKey),
          },
          h('span', { class: 'cap', 'aria-hidden': 'true' }, `${s.allocated + s.held}/${s.capacity}`),
          s.held ? h('span', { class: 'held', 'aria-hidden': 'true' }, t('grid_held', { n: s.held })) : null,
          h('span', { class: 'pr', 'aria-hidden': 'true' }, s.closed ? t('cal_closed_short') : s.price ? money(s.price) : ''),
          h('span', { class: 'sr visually-hidden' }, t('grid_cell', { slot: `${fmtDate(d)} ${time ? time.slice(0, 5) : ''}`, capacity: s.capacity, held: s.held, allocated: s.allocated, price: s.price ? money(s.price) : '—' }) + (s.closed ? `, ${t('cal_closed')}` : ''))));
      })));
    show(grid, table([t('grid_slot'), ...dates.map((d) => fmtDate(d))], rows, `${i.listingName} — ${i.name}`));
    actions.hidden = selected.size === 0;
  };

  const pick = (key, extend) => {
    if (extend && anchor) {
      // A rectangle from the anchor: dates between, times between.
      const [a, b] = [anchor, key].sort();
      const ta = anchor.slice(11);
      const tb = key.slice(11);
      const [t1, t2] = [ta, tb].sort();
      selected = new Set([...slots.keys()].filter((k) => {
        const d = k.slice(0, 10);
        const tm = k.slice(11);
        return d >= a.slice(0, 10) && d <= b.slice(0, 10) && (!tm || (tm >= t1 && tm <= t2));
      }));
    } else {
      if (selected.has(key)) selected.delete(key); else selected.add(key);
      anchor = key;
    }
    render();
    announce(t('grid_selected', { n: selected.size }));
  };

  const selection = () => {
    const keys = [...selected].sort();
    const dates = keys.map((k) => k.slice(0, 10));
    const from = dates[0];
    const to = addDays(dates[dates.length - 1], 1);
    const times = [...new Set(keys.map((k) => k.slice(11)).filter(Boolean))];
    return { from, to, times };
  };

  const capacityInput = h('input', { id: 'set-capacity', type: 'number', min: 0, inputmode: 'numeric' });
  const priceInput = h('input', { id: 'set-price', type: 'text', inputmode: 'decimal' });
  const run = async (mutation, input, done) => {
    try {
      const d = await gql(`mutation($k: String!, $input: ${mutation === 'setCapacity' ? 'SetCapacityInput' : mutation === 'setPrice' ? 'SetPriceInput' : 'SlotsInput'}!) { ${mutation}(idempotencyKey: $k, input: $input) { inventoryId consistencyToken } }`,
        { k: idempotencyKey(), input: { inventoryId: inv().id, selection: selection(), ...input } });
      show(message, notice('success', done));
      announce(done);
      selected = new Set();
      // Read our own write: the grid waits until the calendar includes it.
      await load(d[mutation].consistencyToken);
    } catch (e) {
      show(message, notice('error', explain(e)));
    }
  };
  show(actions,
    h('div', { class: 'field inline' }, h('label', { for: 'set-capacity' }, t('grid_capacity')), capacityInput,
      h('button', { type: 'button', class: 'primary small', id: 'apply-capacity', onclick: () => {
        const n = Number(capacityInput.value);
        if (!capacityInput.value || !Number.isInteger(n) || n < 0) { show(message, notice('error', t('grid_capacity_invalid'))); capacityInput.focus(); return; }
        run('setCapacity', { capacity: n }, t('grid_capacity_done', { n }));
      } }, t('apply'))),
    h('div', { class: 'field inline' }, h('label', { for: 'set-price' }, t('grid_price', { currency: inv()?.currency || '' })), priceInput,
      h('button', { type: 'button', class: 'primary small', id: 'apply-price', onclick: () => {
        const minor = toMinor(priceInput.value, inv().currency);
        if (minor === null || priceInput.value === '') { show(message, notice('error', t('grid_price_invalid'))); priceInput.focus(); return; }
        run('setPrice', { price: { amountMinor: minor, currency: inv().currency } }, t('grid_price_done', { price: money({ amountMinor: minor, currency: inv().currency }) }));
      } }, t('apply'))),
    h('button', { type: 'button', class: 'secondary small', id: 'close-slots', onclick: () => run('closeSlots', {}, t('grid_closed_done')) }, t('grid_close')),
    h('button', { type: 'button', class: 'secondary small', id: 'open-slots', onclick: () => run('openSlots', {}, t('grid_opened_done')) }, t('grid_open')),
    h('button', { type: 'button', class: 'ghost small', onclick: () => { selected = new Set(); render(); } }, t('grid_clear')));

  let refetch = null;
  const load = async (token = null) => {
    const i = inv();
    if (!i) { show(grid, notice('info', t('console_no_inventory'))); return; }
    const to = addDays(fromInput.value, DAYS - 1);
    try {
      const d = await gql('query($i: ID!, $f: Date!, $t: Date!, $c: String) { availability(inventoryId: $i, from: $f, to: $t, consistencyToken: $c) { slot date time capacity held allocated available closed price { amountMinor currency } } }',
        { i: i.id, f: fromInput.value, t: to, c: token });
      slots = new Map(d.availability.map((s) => [s.slot, s]));
      render();
    } catch (e) {
      show(grid, notice('error', explain(e)));
    }
    stopLive();
    stops.push(subscribe('subscription($i: ID!, $f: NaiveDate!, $t: NaiveDate!) { availabilityChanged(inventoryId: $i, from: $f, to: $t) { kind consistencyToken days { slot date capacity held allocated available closed } } }',
      { i: i.id, f: fromInput.value, t: to }, (data) => {
        const change = data.availabilityChanged;
        for (const day of change.days) {
          const old = slots.get(day.slot) || {};
          slots.set(day.slot, { ...old, ...day });
        }
        render();
        // A change carries counts, not prices: read the grid again (once, shortly) so a price
        // another operator set shows too.
        if (change.kind === 'CHANGE') {
          clearTimeout(refetch);
          refetch = setTimeout(() => refresh(change.consistencyToken), 300);
        }
      }, { onReconnect: () => load() }));
  };
  // Reads the prices and counts again without following anew.
  const refresh = async (token) => {
    try {
      const d = await gql('query($i: ID!, $f: Date!, $t: Date!, $c: String) { availability(inventoryId: $i, from: $f, to: $t, consistencyToken: $c) { slot date time capacity held allocated available closed price { amountMinor currency } } }',
        { i: inv().id, f: fromInput.value, t: addDays(fromInput.value, DAYS - 1), c: token });
      slots = new Map(d.availability.map((s) => [s.slot, s]));
      render();
    } catch { /* the counts shown stay */ }
  };
  invSelect.addEventListener('change', () => { selected = new Set(); load(); });
  fromInput.addEventListener('change', () => { selected = new Set(); load(); });
  await load();
}

async function bookingsTab(panel, ctx) {
  const from = h('input', { type: 'date', id: 'b-from', value: ctx.today });
  const to = h('input', { type: 'date', id: 'b-to', value: addDays(ctx.today, 13) });
  const status = h('select', { id: 'b-status' }, h('option', { value: '' }, t('filter_all')),
    ['HELD', 'CONFIRMED', 'CHECKED_IN', 'NO_SHOW', 'CANCELLED', 'WAITLISTED', 'OFFERED'].map((s) => h('option', { value: s }, t(`status_${s}`))));
  const by = h('select', { id: 'b-by' }, h('option', { value: 'STARTS' }, t('by_starts')), h('option', { value: 'CREATED' }, t('by_created')));
  const out = h('div', { id: 'bookings-list', 'aria-live': 'polite' });
  const download = h('button', { type: 'button', class: 'secondary', id: 'csv' }, t('download_csv'));
  const form = h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(); } },
    h('label', { for: 'b-from' }, t('console_from')), from, h('label', { for: 'b-to' }, t('console_to')), to,
    h('label', { for: 'b-status' }, t('col_status')), status, h('label', { for: 'b-by' }, t('by_label')), by,
    h('button', { type: 'submit', class: 'primary' }, t('show')), download);
  show(panel, form, out);
  download.addEventListener('click', async () => {
    const q = new URLSearchParams({ tenantId: ctx.tenantId, from: from.value, to: to.value });
    if (status.value) q.set('status', status.value);
    const response = await fetch(`/operator/bookings.csv?${q}`, { headers: { Authorization: `Bearer ${await accessToken()}` } });
    if (!response.ok) { show(out, notice('error', t('err_retry'))); return; }
    const url = URL.createObjectURL(await response.blob());
    const a = h('a', { href: url, download: `bookings-${from.value}-${to.value}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  async function load() {
    try {
      const d = await gql(`query($t: ID!, $f: Date!, $to: Date!, $s: [BookingStatus!], $by: BookingDate) { bookingsBetween(tenantId: $t, from: $f, to: $to, status: $s, by: $by, first: 100) {
        nodes { bookingId status firstSlot partySize startsAt inventoryId ${GUEST} } } }`,
      { t: ctx.tenantId, f: from.value, to: to.value, s: status.value ? [status.value] : null, by: by.value });
      const rows = d.bookingsBetween.nodes.map((e) => h('tr', { 'data-booking': e.bookingId },
        h('td', {}, e.startsAt ? dateTime(e.startsAt, ctx.timeZone) : e.firstSlot),
        h('td', {}, e.guest?.name || t('guest_unknown')),
        h('td', {}, e.guest?.phone || e.guest?.email || ''),
        h('td', {}, e.partySize ?? ''),
        h('td', {}, ctx.inventories.get(e.inventoryId)?.name || ''),
        h('td', {}, t(`status_${e.status}`))));
      show(out, rows.length ? table([t('col_time'), t('col_guest'), t('col_contact'), t('col_party'), t('col_inventory'), t('col_status')], rows) : notice('info', t('bookings_none')));
    } catch (e) {
      show(out, notice('error', explain(e)));
    }
  }
  await load();
}

// The policy as `changeBookingPolicy` takes it, from the policy as the API returns it.
function policyInput(p) {
  const slots = p.slots;
  const slotKind = slots.kind === 'NIGHT'
    ? { night: { checkIn: slots.checkIn, checkOut: slots.checkOut } }
    : slots.kind === 'TIME_SLOT'
      ? { timeSlot: { minutes: slots.minutes, firstStart: slots.firstStart, lastStart: slots.lastStart } }
      : { datedEvent: { startsAt: slots.startsAt } };
  return {
    slotKind,
    opens: p.opens ? { daysBefore: p.opens.daysBefore, at: p.opens.at.slice(0, 5) } : null,
    minLeadMinutes: p.minLeadMinutes,
    maxAdvanceDays: p.maxAdvanceDays,
    minStay: p.minStay,
    maxStay: p.maxStay,
    closedToArrival: p.closedToArrival,
    closedToDeparture: p.closedToDeparture,
    partySize: { min: p.partyMin, max: p.partyMax },
    bufferMinutes: p.bufferMinutes,
    blackout: p.blackout.map((b) => ({ from: b.from, to: b.to })),
    perGuestActiveCap: p.perGuestActiveCap,
    holdDurationMinutes: p.holdDurationMinutes,
    offerDurationMinutes: p.offerDurationMinutes,
    noShowRefundBp: p.noShowRefundBp,
    cancellation: p.cancellation.map((c) => ({ minNoticeHours: c.minNoticeHours, refundBp: c.refundBp })),
  };
}

// The editor of a listing's booking rules, with the rules in words as they will read.
function policyEditor(listing, ctx, done) {
  const p = listing.bookingPolicy;
  const id = (name) => `p-${listing.id}-${name}`;
  const num = (name, label, value, attrs = {}) => h('div', { class: 'field inline' },
    h('label', { for: id(name) }, label),
    h('input', { id: id(name), name, type: 'number', inputmode: 'numeric', value: value ?? '', ...attrs }));
  const opensOn = h('input', { type: 'checkbox', id: id('opens-on'), checked: !!p.opens });
  const tiers = [0, 1, 2].map((i) => {
    const tier = p.cancellation[i];
    return h('div', { class: 'field inline tier' },
      h('label', { for: id(`tier-${i}-hours`) }, t('policy_tier_hours')),
      h('input', { id: id(`tier-${i}-hours`), name: `tier-${i}-hours`, type: 'number', min: 0, value: tier ? tier.minNoticeHours : '' }),
      h('label', { for: id(`tier-${i}-pct`) }, t('policy_tier_pct')),
      h('input', { id: id(`tier-${i}-pct`), name: `tier-${i}-pct`, type: 'number', min: 0, max: 100, value: tier ? tier.refundBp / 100 : '' }));
  });
  const preview = h('ul', { class: 'rules', 'aria-live': 'polite' });
  const message = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'policy-editor', 'aria-label': t('policy_edit_title', { name: listing.name }) },
    h('div', { class: 'field check' }, opensOn, h('label', { for: id('opens-on') }, t('policy_opens_on'))),
    num('opens-days', t('policy_opens_days'), p.opens?.daysBefore ?? 0, { min: 0 }),
    h('div', { class: 'field inline' }, h('label', { for: id('opens-at') }, t('policy_opens_at')),
      h('input', { id: id('opens-at'), name: 'opens-at', type: 'time', value: p.opens?.at?.slice(0, 5) || '18:00' })),
    num('lead', t('policy_lead'), p.minLeadMinutes, { min: 0 }),
    num('advance', t('policy_advance'), p.maxAdvanceDays, { min: 0 }),
    num('min-stay', t('policy_min_stay'), p.minStay, { min: 1 }),
    num('max-stay', t('policy_max_stay'), p.maxStay, { min: 1 }),
    num('party-min', t('policy_party_min'), p.partyMin, { min: 1 }),
    num('party-max', t('policy_party_max'), p.partyMax, { min: 1 }),
    num('cap', t('policy_cap'), p.perGuestActiveCap ?? '', { min: 1 }),
    num('hold', t('policy_hold'), p.holdDurationMinutes, { min: 1 }),
    h('fieldset', {}, h('legend', {}, t('policy_tiers')), tiers),
    h('h4', {}, t('policy_preview')), preview,
    h('button', { type: 'submit', class: 'primary' }, t('policy_save')), message);
  const value = (name) => form.querySelector(`[name=${name}]`).value;
  const read = () => {
    const input = policyInput(p);
    input.opens = opensOn.checked ? { daysBefore: Number(value('opens-days') || 0), at: value('opens-at') } : null;
    input.minLeadMinutes = Number(value('lead') || 0);
    input.maxAdvanceDays = Number(value('advance') || 0);
    input.minStay = Number(value('min-stay') || 1);
    input.maxStay = Number(value('max-stay') || 1);
    input.partySize = { min: Number(value('party-min') || 1), max: Number(value('party-max') || 1) };
    input.perGuestActiveCap = value('cap') ? Number(value('cap')) : null;
    input.holdDurationMinutes = Number(value('hold') || 15);
    input.cancellation = [0, 1, 2]
      .map((i) => ({ hours: value(`tier-${i}-hours`), pct: value(`tier-${i}-pct`) }))
      .filter((x) => x.hours !== '' && x.pct !== '')
      .map((x) => ({ minNoticeHours: Number(x.hours), refundBp: Math.round(Number(x.pct) * 100) }))
      .sort((a, b) => b.minNoticeHours - a.minNoticeHours);
    return input;
  };
  const draw = () => {
    const input = read();
    // The same sentences the guests will read (the terms in words are the server's once saved).
    const shown = {
      ...input,
      partyMin: input.partySize.min,
      partyMax: input.partySize.max,
      slots: p.slots,
      blackout: input.blackout,
      cancellationTerms: input.cancellation.length
        ? input.cancellation.map((c) => t('policy_tier_words', { pct: c.refundBp / 100, hours: c.minNoticeHours })).join(' ')
        : t('policy_no_refund'),
    };
    show(preview, ...ruleSentences(shown, listing.slotKind).map((r) => h('li', {}, r)));
  };
  // The opening's day and time only count when bookings open at a set time.
  const opensFields = () => {
    for (const name of ['opens-days', 'opens-at']) form.querySelector(`[name=${name}]`).disabled = !opensOn.checked;
  };
  form.addEventListener('input', () => { opensFields(); draw(); });
  opensFields();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const d = await gql('mutation($k: String!, $id: ID!, $p: BookingPolicyInput!) { changeBookingPolicy(idempotencyKey: $k, listingId: $id, policy: $p) { policyVersion consistencyToken } }',
        { k: idempotencyKey(), id: listing.id, p: read() });
      show(message, notice('success', t('policy_saved', { version: d.changeBookingPolicy.policyVersion })));
      announce(t('policy_saved', { version: d.changeBookingPolicy.policyVersion }));
      done(d.changeBookingPolicy.consistencyToken);
    } catch (err) {
      show(message, notice('error', err.code === 'INVALID_INPUT' || err.code === 'POLICY_VIOLATION' ? `${t('policy_invalid')} (${err.message})` : explain(err)));
    } finally {
      button.disabled = false;
    }
  });
  draw();
  return form;
}

async function listingsTab(panel, ctx) {
  const out = h('div', {});
  show(panel, out);
  const load = async (token = null) => {
    try {
      const d = await gql(`query($t: ID!, $language: Language, $c: String) { businessListings(tenantId: $t, first: 20, consistencyToken: $c) { nodes { id name status slotKind ${POLICY_FIELDS} } } }`,
        { t: ctx.tenantId, language: lang === 'ko' ? 'KO' : 'EN', c: token });
      show(out, ...d.businessListings.nodes.map((l) => {
        const editor = h('div', {});
        return h('article', { class: 'card wide', 'data-listing': l.id },
          h('h3', {}, l.name, ' ', h('span', { class: 'badge' }, t(`listing_${l.status}`))),
          h('p', {}, h('a', { href: `/b/${ctx.business.slug}/${l.id}` }, t('view_page'))),
          h('h4', {}, t('policy_in_words')),
          h('ul', { class: 'rules' }, ruleSentences(l.bookingPolicy, l.slotKind).map((r) => h('li', {}, r))),
          h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit-policy', onclick: (e) => {
            e.target.hidden = true;
            show(editor, policyEditor(l, ctx, load));
            editor.querySelector('input')?.focus();
          } }, t('policy_edit')),
          editor);
      }));
    } catch (e) {
      show(out, notice('error', explain(e)));
    }
  };
  await load();
}

async function campaignsTab(panel, ctx) {
  try {
    const d = await gql('query($t: ID!) { businessCampaigns(tenantId: $t, first: 50) { nodes { code total claimed redeemed remaining status validUntil } } }', { t: ctx.tenantId });
    const rows = d.businessCampaigns.nodes.map((c) => h('tr', {},
      h('td', {}, c.code), h('td', {}, c.claimed), h('td', {}, c.redeemed), h('td', {}, c.remaining), h('td', {}, c.total),
      h('td', {}, t(`campaign_${c.status}`)), h('td', {}, dateTime(c.validUntil, ctx.timeZone))));
    show(panel, rows.length ? table([t('col_code'), t('col_claimed'), t('col_redeemed'), t('col_remaining'), t('col_total'), t('col_status'), t('col_until')], rows) : notice('info', t('campaigns_none')));
  } catch (e) {
    show(panel, notice('error', explain(e)));
  }
}

// The points programme (earn share, how long points last) and a guest's points, corrected
// with a reason.
async function pointsTab(panel, ctx) {
  const message = h('div', { 'aria-live': 'polite' });
  let program = null;
  let guests = [];
  try {
    const d = await gql(`query($t: ID!) { business(tenantId: $t) { pointsProgram { earnBp expireDays } }
      businessGuests(tenantId: $t, first: 100) { nodes { guestId guest { name email } } } }`, { t: ctx.tenantId });
    program = d.business.pointsProgram;
    guests = d.businessGuests.nodes;
  } catch (e) {
    show(panel, notice('error', explain(e)));
    return;
  }
  const share = h('input', { type: 'number', id: 'points-share', min: 0.01, max: 100, step: 0.01, required: true, value: program ? program.earnBp / 100 : 5 });
  const days = h('input', { type: 'number', id: 'points-days', min: 1, max: 3650, step: 1, required: true, value: program ? program.expireDays : 365 });
  const state = h('p', { id: 'points-program' }, program
    ? t('points_program_on', { share: program.earnBp / 100, days: program.expireDays })
    : t('points_program_off'));
  const save = async (terms) => {
    try {
      const d = await gql('mutation($k: String!, $t: ID!, $terms: PointsTermsInput) { setPointsProgram(idempotencyKey: $k, tenantId: $t, terms: $terms) { program { earnBp expireDays } } }',
        { k: idempotencyKey(), t: ctx.tenantId, terms });
      const p = d.setPointsProgram.program;
      show(state, p ? t('points_program_on', { share: p.earnBp / 100, days: p.expireDays }) : t('points_program_off'));
      show(message, notice('success', t('saved')));
      announce(t('saved'));
    } catch (e) { show(message, notice('error', explain(e))); }
  };
  const programForm = h('form', { class: 'points-program', onsubmit: (e) => {
    e.preventDefault();
    save({ earnBp: Math.round(Number(share.value) * 100), expireDays: Number(days.value) });
  } },
  h('div', { class: 'row' },
    h('div', { class: 'field' }, h('label', { for: 'points-share' }, t('points_share')), share),
    h('div', { class: 'field' }, h('label', { for: 'points-days' }, t('points_days')), days)),
  h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('points_save')), ' ',
    h('button', { type: 'button', class: 'secondary', onclick: () => save(null) }, t('points_end'))));

  const who = h('select', { id: 'points-guest', required: true },
    guests.map((g) => h('option', { value: g.guestId }, g.guest?.name ? `${g.guest.name}${g.guest.email ? ` <${g.guest.email}>` : ''}` : g.guestId)));
  const amount = h('input', { type: 'number', id: 'points-amount', step: 1, required: true, inputmode: 'numeric' });
  const reason = h('input', { type: 'text', id: 'points-reason', maxlength: 200, required: true });
  const balance = h('p', { id: 'points-balance', 'aria-live': 'polite' });
  const adjustForm = h('form', { class: 'points-adjust', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const d = await gql('mutation($k: String!, $input: AdjustPointsInput!) { adjustPoints(idempotencyKey: $k, input: $input) { balance } }',
        { k: idempotencyKey(), input: { tenantId: ctx.tenantId, guestId: who.value, points: Number(amount.value), reason: reason.value } });
      show(balance, t('points_balance_now', { n: d.adjustPoints.balance.toLocaleString() }));
      amount.value = '';
      reason.value = '';
    } catch (err) {
      show(balance, notice('error', err.code === 'POINTS_REJECTED' ? t('points_overdraw') : explain(err)));
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 'points-guest' }, t('col_guest')), who),
  h('div', { class: 'row' },
    h('div', { class: 'field' }, h('label', { for: 'points-amount' }, t('points_amount')), amount),
    h('div', { class: 'field' }, h('label', { for: 'points-reason' }, t('points_reason')), reason)),
  h('button', { type: 'submit', class: 'primary' }, t('points_adjust')), balance);

  show(panel,
    h('h2', {}, t('points_program')), state, programForm, message,
    h('h2', {}, t('points_adjust_heading')), guests.length ? adjustForm : notice('info', t('points_no_guests')));
}

async function waitlistTab(panel, ctx) {
  const parts = [];
  for (const inv of ctx.inventories.values()) {
    try {
      const d = await gql(`query($i: ID!) { inventoryWaitlist(inventoryId: $i) { bookingId status partySize wantedFrom wantedTo wantedTime waitlistedAt offerExpiresAt ${GUEST} } }`, { i: inv.id });
      if (!d.inventoryWaitlist.length) continue;
      parts.push(h('h3', {}, `${inv.listingName} — ${inv.name}`), table([t('col_guest'), t('col_contact'), t('col_party'), t('col_wanted'), t('col_status')],
        d.inventoryWaitlist.map((w) => h('tr', {},
          h('td', {}, w.guest?.name || t('guest_unknown')), h('td', {}, w.guest?.phone || w.guest?.email || ''), h('td', {}, w.partySize ?? ''),
          h('td', {}, `${fmtDate(w.wantedFrom)}${w.wantedTime ? ` ${w.wantedTime}` : ''}`),
          h('td', {}, t(`status_${w.status}`), w.offerExpiresAt ? ` (${t('offer_until', { time: dateTime(w.offerExpiresAt, ctx.timeZone) })})` : '')))));
    } catch (e) {
      parts.push(notice('error', explain(e)));
    }
  }
  show(panel, ...(parts.length ? parts : [notice('info', t('waitlist_empty'))]));
}

async function notificationsTab(panel, ctx) {
  const load = async () => {
    try {
      const d = await gql('query($t: ID) { notificationDeliveries(status: DEAD, tenantId: $t, first: 50) { nodes { notificationId sink kind attempts lastError createdAt bookingId } } }', { t: ctx.tenantId });
      const rows = d.notificationDeliveries.nodes.map((n) => h('tr', {},
        h('td', {}, dateTime(n.createdAt, ctx.timeZone)), h('td', {}, t(`kind_${n.kind}`)), h('td', {}, n.sink), h('td', {}, n.attempts), h('td', {}, n.lastError || ''),
        h('td', {}, h('button', { type: 'button', class: 'secondary small', onclick: async (e) => {
          e.target.disabled = true;
          try {
            await gql('mutation($k: String!, $n: String!, $s: String) { retryNotification(idempotencyKey: $k, notificationId: $n, sink: $s) { deliveries { status } } }', { k: idempotencyKey(), n: n.notificationId, s: n.sink });
            announce(t('retry_queued'));
            load();
          } catch (err) { e.target.disabled = false; panel.prepend(notice('error', explain(err))); }
        } }, t('retry')))));
      show(panel, rows.length ? table([t('col_time'), t('col_kind'), t('col_sink'), t('col_attempts'), t('col_error'), ''], rows) : notice('success', t('notifications_none')));
    } catch (e) {
      show(panel, notice('error', explain(e)));
    }
  };
  await load();
}

function bars(items, format) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return h('div', { class: 'bars' }, items.map((i) => h('div', { class: 'bar-row' },
    h('span', { class: 'bar-label' }, i.label),
    h('span', { class: 'bar', style: null, 'data-width': Math.round((i.value / max) * 100) }),
    h('span', { class: 'bar-value' }, format(i.value)))));
}

async function reportsTab(panel, ctx) {
  const from = h('input', { type: 'date', id: 'r-from', value: addDays(ctx.today, -29) });
  const to = h('input', { type: 'date', id: 'r-to', value: ctx.today });
  const out = h('div', { 'aria-live': 'polite' });
  show(panel, h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); load(); } },
    h('label', { for: 'r-from' }, t('console_from')), from, h('label', { for: 'r-to' }, t('console_to')), to,
    h('button', { type: 'submit', class: 'primary' }, t('show'))), out);
  async function load() {
    try {
      const weeks = [];
      for (let d = from.value; d <= to.value; d = addDays(d, 7)) {
        const end = addDays(d, 6) < to.value ? addDays(d, 6) : to.value;
        weeks.push({ from: d, to: end });
      }
      const q = `query($t: ID!, $f: Date!, $to: Date!) { businessDashboard(tenantId: $t, from: $f, to: $to) { bookings cancellations noShows occupancy unitsOffered unitsAllocated revenue { amountMinor currency } leadTimeMedianDays } }`;
      const total = (await gql(q, { t: ctx.tenantId, f: from.value, to: to.value })).businessDashboard;
      const perWeek = await Promise.all(weeks.slice(0, 26).map(async (w) => ({ w, d: (await gql(q, { t: ctx.tenantId, f: w.from, to: w.to })).businessDashboard })));
      const revenue = total.revenue.map(money).join(' + ') || money({ amountMinor: 0, currency: ctx.business.currency });
      const currency = total.revenue[0]?.currency || ctx.business.currency;
      show(out,
        h('dl', { class: 'figures' },
          h('div', {}, h('dt', {}, t('fig_bookings')), h('dd', {}, total.bookings)),
          h('div', {}, h('dt', {}, t('fig_revenue')), h('dd', {}, revenue)),
          h('div', {}, h('dt', {}, t('fig_occupancy')), h('dd', {}, `${(total.occupancy * 100).toFixed(1)}%`)),
          h('div', {}, h('dt', {}, t('fig_cancellations')), h('dd', {}, total.cancellations)),
          h('div', {}, h('dt', {}, t('fig_no_shows')), h('dd', {}, total.noShows)),
          h('div', {}, h('dt', {}, t('fig_lead')), h('dd', {}, total.leadTimeMedianDays === null ? '—' : t('days_n', { n: total.leadTimeMedianDays.toFixed(1) })))),
        h('h3', {}, t('chart_occupancy')),
        bars(perWeek.map(({ w, d }) => ({ label: fmtDate(w.from), value: d.occupancy * 100 })), (v) => `${v.toFixed(1)}%`),
        h('h3', {}, t('chart_revenue')),
        bars(perWeek.map(({ w, d }) => ({ label: fmtDate(w.from), value: (d.revenue.find((r) => r.currency === currency)?.amountMinor || 0) })),
          (v) => money({ amountMinor: v, currency })));
      for (const bar of out.querySelectorAll('.bar')) bar.style.width = `${bar.dataset.width}%`;
    } catch (e) {
      show(out, notice('error', explain(e)));
    }
  }
  await load();
}

const RENDER = { today: todayTab, calendar: calendarTab, bookings: bookingsTab, listings: listingsTab, campaigns: campaignsTab, points: pointsTab, waitlist: waitlistTab, notifications: notificationsTab, reports: reportsTab };

export async function render(root) {
  const s = session();
  if (!signedIn() || !s?.tenantId) {
    location.href = `/signin?next=${encodeURIComponent('/console')}`;
    return;
  }
  let business;
  const inventories = new Map();
  try {
    business = (await gql('query($t: ID!) { business(tenantId: $t) { tenantId name slug timeZone currency brandColour } }', { t: s.tenantId })).business;
    const l = await gql('query($t: ID!) { businessListings(tenantId: $t, first: 50) { nodes { id name timeZone inventories { id name currency } } } }', { t: s.tenantId });
    for (const listing of l.businessListings.nodes) {
      for (const inv of listing.inventories) inventories.set(inv.id, { ...inv, listingName: listing.name, timeZone: listing.timeZone });
    }
  } catch (e) {
    show(root, h('h1', {}, t('console_title')), notice('error', e.code === 'FORBIDDEN' ? t('console_forbidden') : explain(e)));
    return;
  }
  if (business.brandColour) document.documentElement.style.setProperty('--accent', business.brandColour);
  const ctx = { tenantId: s.tenantId, business, timeZone: business.timeZone, today: today(business.timeZone), inventories };
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('console_sections') });
  const panel = h('section', { class: 'panel', role: 'tabpanel', id: 'panel', tabindex: '0' });
  const select = async (name, focus = false) => {
    stopLive();
    for (const b of tabs.children) {
      const on = b.dataset.tab === name;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    }
    panel.setAttribute('aria-labelledby', `tab-${name}`);
    history.replaceState(null, '', `#${name}`);
    show(panel, h('p', { class: 'loading', role: 'status' }, t('loading')));
    await RENDER[name](panel, ctx);
  };
  for (const name of TABS) {
    tabs.append(h('button', { type: 'button', role: 'tab', id: `tab-${name}`, 'data-tab': name, 'aria-controls': 'panel', onclick: () => select(name) }, t(`tab_${name}`)));
  }
  tabs.addEventListener('keydown', (e) => {
    const i = TABS.indexOf(document.activeElement?.dataset?.tab);
    if (i < 0) return;
    if (e.key === 'ArrowRight') select(TABS[(i + 1) % TABS.length], true);
    if (e.key === 'ArrowLeft') select(TABS[(i + TABS.length - 1) % TABS.length], true);
  });
  show(root, h('h1', {}, business.name, ' ', h('small', { class: 'muted' }, t('console_title'))), tabs, panel);
  const first = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'today';
  await select(first);
}

