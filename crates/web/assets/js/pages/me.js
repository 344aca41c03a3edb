// My bookings: upcoming and past, each with what can be done with it — pay a hold, cancel
// (with the refund shown before confirming), accept or decline a waitlist offer — and the
// wallet of coupons.
import { gql, idempotencyKey, upload } from '../api.js';
import { h, show, notice, announce } from '../dom.js';
import { t, money, date as fmtDate, dateTime, dateWithYear, now } from '../i18n.js';
import { explain } from '../errors.js';
import { signedIn, accessToken } from '../session.js';
import { when } from './hold.js';

// What the list shows of each booking (a page of 50 stays inside the API's complexity limit).
const LIST_FIELDS = `id status listingId partySize slots startsAt endsAt offerExpiresAt
  totals { total { amountMinor currency } } totalRefunded { amountMinor currency } refundDue { amountMinor currency }`;

const listings = new Map();
async function listingOf(id) {
  if (!listings.has(id)) {
    listings.set(id, gql('query($id: ID!) { listing(id: $id) { id name timeZone slotKind tenantId } }', { id })
      .then((d) => d.listing)
      .catch(() => ({ id, name: '—', timeZone: 'UTC', slotKind: 'NIGHT' })));
  }
  return listings.get(id);
}

const ACTIVE = ['REQUESTED', 'HELD', 'CONFIRMED', 'CHECKED_IN', 'WAITLISTED', 'OFFERED'];

function statusBadge(status) {
  return h('span', { class: `badge ${status.toLowerCase()}` }, t(`status_${status}`));
}

async function cancelFlow(booking, listing, item, reload) {
  const area = item.querySelector('.confirm-area');
  let quote;
  try {
    quote = (await gql('query($id: ID!) { cancellationQuote(bookingId: $id) { cancellable paid { amountMinor currency } refund { amountMinor currency } } }', { id: booking.id })).cancellationQuote;
  } catch (e) {
    show(area, notice('error', explain(e)));
    return;
  }
  if (!quote.cancellable) {
    show(area, notice('info', t('cancel_not_possible')));
    return;
  }
  const words = quote.refund
    ? t('cancel_refund', { refund: money(quote.refund), paid: money(quote.paid) })
    : t('cancel_nothing_paid');
  const yes = h('button', { type: 'button', class: 'danger', 'data-action': 'confirm-cancel' }, t('cancel_confirm'));
  const no = h('button', { type: 'button', class: 'secondary' }, t('cancel_keep'));
  no.addEventListener('click', () => show(area));
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      const d = await gql('mutation($k: String!, $id: ID!) { cancelBooking(idempotencyKey: $k, input: { bookingId: $id, reason: GUEST_REQUEST }) { status consistencyToken } }', { k: idempotencyKey(), id: booking.id });
      announce(t('cancelled_done'));
      reload(d.cancelBooking.consistencyToken);
    } catch (e) {
      yes.disabled = false;
      show(area, notice('error', explain(e)));
    }
  });
  show(area, h('div', { class: 'confirm', role: 'alertdialog', 'aria-label': t('cancel_question') },
    h('p', {}, h('strong', {}, t('cancel_question')), ' ', words), h('p', { class: 'actions' }, yes, no)));
  yes.focus();
}

// The review form of a completed booking: stars (radio buttons) and words.
function reviewForm(booking, li) {
  const area = li.querySelector('.confirm-area');
  const name = `stars-${booking.id}`;
  const message = h('div', { 'aria-live': 'polite' });
  const text = h('textarea', { id: `review-text-${booking.id}`, name: 'text', rows: 4, maxlength: 2000 });
  const photos = h('input', { type: 'file', id: `review-photos-${booking.id}`, name: 'photos', multiple: true, accept: 'image/jpeg,image/png,image/webp' });
  const uploaded = new Map();
  const form = h('form', { class: 'review-form', onsubmit: async (e) => {
    e.preventDefault();
    const picked = form.querySelector(`input[name=${name}]:checked`);
    if (!picked) { show(message, notice('error', t('review_pick_stars'))); return; }
    const files = [...photos.files];
    if (files.length > 6) { show(message, notice('error', t('review_photos_max'))); return; }
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      // Each photo once, even when the guest sends again after a refusal.
      for (const file of files) {
        if (!uploaded.has(file)) uploaded.set(file, (await upload(`/reviews/${booking.id}/photos`, file)).photoId);
      }
      const photoIds = files.map((f) => uploaded.get(f));
      await gql('mutation($k: String!, $input: WriteReviewInput!) { writeReview(idempotencyKey: $k, input: $input) { rating } }',
        { k: idempotencyKey(), input: { bookingId: booking.id, rating: Number(picked.value), text: text.value, photoIds } });
      show(area, notice('success', t('review_thanks')));
    } catch (err) {
      button.disabled = false;
      show(message, notice('error', err.code === 'ALREADY_EXISTS' ? t('review_already') : err.code === 'INVALID_STATE' ? t('review_closed') : explain(err)));
    }
  } },
  h('fieldset', { class: 'star-pick' }, h('legend', {}, t('review_stars')),
    [1, 2, 3, 4, 5].map((n) => h('label', { class: 'radio' }, h('input', { type: 'radio', name, value: n }), t('stars_n', { n })))),
  h('div', { class: 'field' }, h('label', { for: `review-text-${booking.id}` }, t('review_text')), text),
  h('div', { class: 'field' }, h('label', { for: `review-photos-${booking.id}` }, t('review_photos')), photos),
  h('button', { type: 'submit', class: 'primary' }, t('review_send')), message);
  show(area, form);
}

async function item(booking, reload) {
  const listing = await listingOf(booking.listingId);
  const li = h('li', { class: 'booking', 'data-booking': booking.id, 'data-status': booking.status });
  const actions = h('p', { class: 'actions' });
  if (booking.status === 'HELD') {
    actions.append(h('a', { class: 'button primary', href: `/book/${booking.id}` }, t('continue_paying')));
  }
  if (booking.status === 'OFFERED') {
    const act = (mutation) => async (e) => {
      e.target.disabled = true;
      try {
        const d = await gql(`mutation($k: String!, $id: ID!) { ${mutation}(idempotencyKey: $k, input: { bookingId: $id }) { status bookingId consistencyToken } }`, { k: idempotencyKey(), id: booking.id });
        if (mutation === 'acceptOffer') location.href = `/book/${booking.id}`;
        else reload(d[mutation].consistencyToken);
      } catch (err) {
        e.target.disabled = false;
        li.append(notice('error', explain(err)));
      }
    };
    actions.append(
      h('button', { type: 'button', class: 'primary', onclick: act('acceptOffer') }, t('accept_offer')),
      h('button', { type: 'button', class: 'secondary', onclick: act('declineOffer') }, t('decline_offer')));
  }
  const completed = booking.status === 'CHECKED_IN' || (booking.status === 'CONFIRMED' && booking.endsAt && Date.parse(booking.endsAt) <= now());
  if (completed) {
    actions.append(h('button', { type: 'button', class: 'secondary', 'data-action': 'review', onclick: () => reviewForm(booking, li) }, t('review_write')));
  }
  if (['REQUESTED', 'HELD', 'CONFIRMED', 'WAITLISTED', 'OFFERED'].includes(booking.status) && !completed) {
    actions.append(h('button', { type: 'button', class: 'secondary', 'data-action': 'cancel', onclick: () => cancelFlow(booking, listing, li, reload) },
      booking.status === 'WAITLISTED' ? t('leave_waitlist') : t('cancel_booking')));
  }
  show(li,
    h('h3', {}, listing.name, ' ', statusBadge(booking.status)),
    h('p', {}, when(booking, listing), booking.partySize ? ` · ${t('party_n', { n: booking.partySize })}` : ''),
    booking.status === 'OFFERED' && booking.offerExpiresAt ? notice('info', t('offer_until', { time: dateTime(booking.offerExpiresAt, listing.timeZone) })) : null,
    booking.totals ? h('p', {}, t('total'), ': ', money(booking.totals.total)) : null,
    booking.totalRefunded ? h('p', { class: 'muted' }, t('refunded', { amount: money(booking.totalRefunded) })) : null,
    booking.refundDue && !booking.totalRefunded ? h('p', { class: 'muted' }, t('refund_due', { amount: money(booking.refundDue) })) : null,
    actions,
    h('div', { class: 'confirm-area', 'aria-live': 'polite' }));
  return li;
}

// A watched slot as people read it: "Fri 22 Jan", "Fri 22 Jan 19:00" (local already).
function slotText(slot) {
  return slot.includes('T') ? `${fmtDate(slot.slice(0, 10))} ${slot.slice(11)}` : fmtDate(slot);
}

// Points at each business the guest booked with: the balance, when the soonest expire, and
// what happened (newest first).
async function pointsLines(bookings) {
  const tenants = new Map();
  for (const b of bookings) {
    const listing = await listingOf(b.listingId);
    if (listing.tenantId && !tenants.has(listing.tenantId)) tenants.set(listing.tenantId, listing);
  }
  const lines = [];
  // The platform-wide programme's points first (earned at every business; shown in the
  // guest's own zone, as no one business's).
  const platform = ['platform', { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone }];
  for (const [tenantId, listing] of [platform, ...tenants]) {
    try {
      const [p, biz] = await Promise.all([
        gql(`query($t: ID!) { pointsAccount(tenantId: $t) { balance nextExpiry history { kind points reason at } } }`, { t: tenantId }),
        tenantId === 'platform'
          ? { business: { name: t('points_platform'), timeZone: listing.timeZone } }
          : gql('query($t: ID!) { business(tenantId: $t) { name timeZone } }', { t: tenantId }),
      ]);
      const a = p.pointsAccount;
      if (!a.history.length) continue;
      const zone = biz.business.timeZone || listing.timeZone;
      lines.push(h('li', { class: 'points', 'data-tenant': tenantId },
        h('p', {}, h('strong', {}, biz.business.name), ' — ', t('points_balance', { n: a.balance.toLocaleString() }),
          a.nextExpiry ? ` · ${t('points_next_expiry', { date: dateWithYear(a.nextExpiry, zone) })}` : ''),
        h('details', {}, h('summary', {}, t('points_history')),
          h('ul', { class: 'points-history' }, a.history.map((e) => h('li', {},
            `${dateTime(e.at, zone)} · ${t(`points_${e.kind}`)} · ${e.points > 0 ? '+' : ''}${e.points.toLocaleString()}`,
            e.reason ? ` · ${e.reason}` : ''))))));
    } catch { /* a business whose points cannot be read now: left out */ }
  }
  return lines;
}

export async function render(root) {
  if (!signedIn()) {
    location.href = `/signin?next=${encodeURIComponent('/me')}`;
    return;
  }
  const upcoming = h('ul', { class: 'bookings', id: 'upcoming' });
  const past = h('ul', { class: 'bookings', id: 'past' });
  const wallet = h('div', { id: 'wallet' });
  const pointsBox = h('div', { id: 'points' });
  const watchesBox = h('div', { id: 'watches' });
  const live = h('div', { id: 'live-alerts', 'aria-live': 'polite' });
  show(root, h('h1', {}, t('me_title')),
    h('section', { 'aria-labelledby': 'up-title' }, h('h2', { id: 'up-title' }, t('me_upcoming')), upcoming),
    h('section', { 'aria-labelledby': 'past-title' }, h('h2', { id: 'past-title' }, t('me_past')), past),
    h('section', { 'aria-labelledby': 'wallet-title' }, h('h2', { id: 'wallet-title' }, t('me_wallet')), wallet),
    h('section', { 'aria-labelledby': 'points-title' }, h('h2', { id: 'points-title' }, t('me_points')), pointsBox),
    h('section', { 'aria-labelledby': 'watches-title' }, h('h2', { id: 'watches-title' }, t('me_watches')), live, watchesBox));

  async function showWatches() {
    const d = await gql('{ myWatches { watchId status listingId slots partySize alerts expiresAt } }');
    const rows = await Promise.all(d.myWatches.filter((w) => w.status === 'ARMED' || w.status === 'ALERTED').map(async (w) => {
      const listing = await listingOf(w.listingId);
      const when = w.slots.length > 1 ? `${slotText(w.slots[0])} – ${slotText(w.slots[w.slots.length - 1])}` : slotText(w.slots[0]);
      const stop = h('button', { type: 'button', class: 'secondary', 'data-action': 'stop-watch', onclick: async () => {
        stop.disabled = true;
        try {
          await gql('mutation($k: String!, $id: ID!) { stopWatching(idempotencyKey: $k, watchId: $id) { status } }', { k: idempotencyKey(), id: w.watchId });
          await showWatches();
          announce(t('watch_stopped'));
        } catch (e) { stop.disabled = false; show(live, notice('error', explain(e))); }
      } }, t('watch_stop'));
      return h('li', { 'data-watch': w.watchId },
        h('p', {}, h('a', { href: `/l/${w.listingId}` }, listing.name), ` · ${when} · ${t('party_n', { n: w.partySize })} · `,
          h('strong', {}, t(w.status === 'ALERTED' ? 'watch_freed' : 'watch_waiting'))),
        stop);
    }));
    show(watchesBox, rows.length ? h('ul', { class: 'watches' }, rows) : h('p', { class: 'muted' }, t('me_watches_none')));
  }

  // Alerts as they happen (Server-Sent Events; the browser reconnects with the last id).
  function listen() {
    if (!window.EventSource) return;
    accessToken().then((token) => {
      if (!token) return;
      const source = new EventSource(`/alerts?access_token=${encodeURIComponent(token)}`);
      source.addEventListener('alert', async (e) => {
        const a = JSON.parse(e.data);
        const listing = await listingOf(a.listingId);
        const text = t('watch_alert', { name: listing.name, when: slotText(a.slots[0]) });
        show(live, notice('success', text, ' ', h('a', { href: `/l/${a.listingId}?date=${a.slots[0].slice(0, 10)}` }, t('book_now'))));
        announce(text);
        showWatches().catch(() => {});
      });
    });
  }

  async function showPoints(bookings) {
    const lines = await pointsLines(bookings);
    show(pointsBox, lines.length ? h('ul', { class: 'points-list' }, lines) : h('p', { class: 'muted' }, t('me_points_none')));
  }

  async function load(token = null) {
    try {
      const d = await gql(`query($c: String) { all: myBookings(includeCancelled: true, first: 50, consistencyToken: $c) { nodes { ${LIST_FIELDS} } }
        myWallet { code unused redeemed status validUntil discount { fixed { amountMinor currency } percentBp cap { amountMinor currency } } } }`, { c: token });
      const at = now();
      const active = (b) => ACTIVE.includes(b.status) && (!b.endsAt || Date.parse(b.endsAt) > at);
      const ups = await Promise.all(d.all.nodes.filter(active).reverse().map((b) => item(b, load)));
      show(upcoming, ...(ups.length ? ups : [h('li', { class: 'muted' }, t('me_none_upcoming'))]));
      // Over, and cancelled, expired or refused ones.
      const pastOnes = await Promise.all(d.all.nodes.filter((b) => !active(b)).map((b) => item(b, load)));
      show(past, ...(pastOnes.length ? pastOnes : [h('li', { class: 'muted' }, t('me_none_past'))]));
      const coupons = d.myWallet;
      show(wallet, coupons.length
        ? h('ul', { class: 'wallet' }, coupons.map((c) => h('li', {},
          h('strong', {}, c.code), ' — ',
          c.discount.fixed ? money(c.discount.fixed) : `${c.discount.percentBp / 100}%${c.discount.cap ? ` (${t('at_most', { amount: money(c.discount.cap) })})` : ''}`,
          ' · ', t(`wallet_${c.status}`), ' · ', t('valid_until', { date: fmtDate(c.validUntil.slice(0, 10)) }))))
        : h('p', { class: 'muted' }, t('me_wallet_empty')));
      await showPoints(d.all.nodes);
      await showWatches();
    } catch (e) {
      show(upcoming, h('li', {}, notice('error', explain(e), ' ', h('button', { type: 'button', onclick: () => load() }, t('retry')))));
    }
  }
  await load();
  listen();
}
