// A listing: photos, the whole description, the rules in words, the live calendar, and the
// booking form (party, coupon, "Hold 2 seats"). Refusals are said in words, with what the guest
// can do next: the window's opening time with a countdown, the waitlist when sold out.
import { gql, idempotencyKey } from '../api.js';
import { h, show, notice, announce } from '../dom.js';
import { t, lang, money, date, date as fmtDate, dateTime, zonedInstant, addDays, mmss, now } from '../i18n.js';
import { explain } from '../errors.js';
import { ruleSentences, POLICY_FIELDS } from '../rules.js';
import { Calendar } from '../calendar.js';
import { signedIn } from '../session.js';
import { brand, BUSINESS_FIELDS } from './business.js';
import { stars, reviewCount } from './home.js';

export const LISTING_FIELDS = `id tenantId name category description address region timeZone slotKind partyMin partyMax status
  displayPrice { amountMinor currency } attributes { kind value }
  photos { id url alt width height variants { width url } }
  inventories { id name currency description maxOccupancy attributes { kind value } }
  ${POLICY_FIELDS}`;

// Units to hold for a party: one per guest for tickets, else enough units of `maxOccupancy`.
export function unitsFor(party, inventory) {
  const per = inventory?.maxOccupancy || 0;
  return per > 0 ? Math.max(1, Math.ceil(party / per)) : 1;
}

// When bookings for `slotDate` open (ms), or null when the listing has no opening time.
export function opensAt(policy, slotDate, timeZone) {
  if (!policy?.opens) return null;
  return zonedInstant(addDays(slotDate, -policy.opens.daysBefore), policy.opens.at.slice(0, 5), timeZone);
}

function gallery(listing) {
  if (!listing.photos.length) return null;
  return h('div', { class: 'gallery' }, listing.photos.map((p, i) => h('img', {
    src: p.variants.find((v) => v.width === 960)?.url || p.url,
    srcset: p.variants.map((v) => `${v.url} ${v.width}w`).join(', ') || null,
    sizes: i === 0 ? '(max-width: 700px) 100vw, 700px' : '(max-width: 700px) 50vw, 320px',
    alt: p.alt || listing.name,
    width: p.width,
    height: p.height,
    loading: i === 0 ? 'eager' : 'lazy',
  })));
}

// The ratings and the newest reviews, with "more".
async function showReviews(box, listingId) {
  let after = null;
  const list = h('ul', { class: 'review-list' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('reviews_more'));
  const load = async () => {
    try {
      const d = await gql('query($id: ID!, $after: String) { listing(id: $id) { rating { count average distribution } reviews(first: 5, after: $after) { nodes { bookingId rating text reply writtenAt photos { url variants { width url } } } hasNextPage endCursor } } }',
        { id: listingId, after });
      const { rating, reviews } = d.listing;
      if (!after) {
        show(box, h('h2', { id: 'reviews-title' }, t('reviews_heading')),
          rating.count
            ? h('p', { class: 'rating' }, stars(rating.average), ' ', h('strong', {}, rating.average.toFixed(1)), ' ', reviewCount(rating.count))
            : h('p', { class: 'muted' }, t('reviews_none')),
          list, more);
      }
      for (const r of reviews.nodes) {
        list.append(h('li', { class: 'review', 'data-review': r.bookingId },
          h('p', {}, stars(r.rating), ' ', h('small', { class: 'muted' }, date(r.writtenAt.slice(0, 10), true))),
          r.text ? h('p', {}, r.text) : null,
          r.photos.length ? h('p', { class: 'review-photos' }, r.photos.map((p, i) => h('a', { href: p.url },
            h('img', { src: p.variants.find((v) => v.width === 320)?.url || p.url, alt: t('review_photo_n', { n: i + 1 }), width: 96, height: 72, loading: 'lazy' })))) : null,
          r.reply ? h('p', { class: 'reply' }, h('strong', {}, t('review_reply')), ' ', r.reply) : null));
      }
      after = reviews.endCursor;
      more.hidden = !reviews.hasNextPage;
    } catch { /* the listing shows without its reviews */ }
  };
  more.addEventListener('click', load);
  await load();
}

export async function render(root, args) {
  let data;
  try {
    data = await gql(`query($id: ID!, $language: Language) { listing(id: $id) { ${LISTING_FIELDS} } }`,
      { id: args.listing, language: lang === 'ko' ? 'KO' : 'EN' });
  } catch (e) {
    show(root, h('h1', {}, t('not_found_title')), notice('info', e.code === 'NOT_FOUND' ? t('listing_not_found') : explain(e)));
    return;
  }
  const listing = data.listing;
  document.title = `${listing.name} · Holdfast`;
  if (args.slug) {
    gql(`query($slug: String!) { business(slug: $slug) { ${BUSINESS_FIELDS} } }`, { slug: args.slug })
      .then((d) => brand(d.business)).catch(() => {});
  }
  const policy = listing.bookingPolicy;
  const bookable = listing.status === 'PUBLISHED';
  const params = new URLSearchParams(location.search);

  let inventory = listing.inventories[0];
  let selection = null;
  let calendar = null;
  const calendarBox = h('div', { class: 'calendar', id: 'calendar' });
  const message = h('div', { class: 'form-message', 'aria-live': 'polite' });
  const partySelect = h('select', { id: 'party', name: 'party' });
  for (let n = listing.partyMin; n <= Math.min(listing.partyMax, 50); n += 1) {
    partySelect.append(h('option', { value: n, selected: n === Number(params.get('party') || 2) || (n === listing.partyMin && !params.get('party') && listing.partyMin > 2) }, t('party_n', { n })));
  }
  const couponSelect = h('select', { id: 'coupon', name: 'coupon' }, h('option', { value: '' }, t('coupon_none')));
  const couponField = h('div', { class: 'field', hidden: true }, h('label', { for: 'coupon' }, t('coupon_label')), couponSelect);
  const pointsInput = h('input', { type: 'number', id: 'points', name: 'points', min: 0, step: 1, inputmode: 'numeric', value: '' });
  const pointsHint = h('small', { class: 'muted', id: 'points-hint' });
  const pointsField = h('div', { class: 'field', hidden: true },
    h('label', { for: 'points' }, t('points_use')), pointsInput, pointsHint);
  pointsInput.setAttribute('aria-describedby', 'points-hint');
  const holdButton = h('button', { type: 'submit', class: 'primary big', id: 'hold', disabled: true }, t('pick_first'));
  const summary = h('p', { class: 'summary', id: 'summary' });
  let countdown = null;

  const party = () => Number(partySelect.value || listing.partyMin);
  const units = () => unitsFor(party(), inventory);

  function describeSelection() {
    if (!selection) return '';
    if (selection.nights) {
      return selection.to
        ? t('sel_stay', { from: fmtDate(selection.from), to: fmtDate(selection.to), n: selection.nights.length })
        : t('cal_pick_last_night');
    }
    if (selection.time) return `${fmtDate(selection.date)} ${selection.time}`;
    return fmtDate(selection.date);
  }

  function firstDate() {
    if (!selection) return null;
    return selection.from || selection.date;
  }

  function update() {
    if (countdown) { clearInterval(countdown); countdown = null; }
    show(message);
    const ready = selection && (selection.to || selection.date) && !(selection.nights && !selection.to);
    summary.textContent = describeSelection();
    if (!bookable) {
      holdButton.disabled = true;
      holdButton.textContent = t('not_bookable');
      return;
    }
    if (!ready) {
      holdButton.disabled = true;
      holdButton.textContent = t('pick_first');
      return;
    }
    const opens = opensAt(policy, firstDate(), listing.timeZone);
    if (opens && opens > now()) {
      holdButton.disabled = true;
      holdButton.textContent = t('window_closed_button');
      const say = () => {
        const left = (opens - now()) / 1000;
        if (left <= 0) { update(); return; }
        show(message, notice('info', h('strong', {}, t('window_opens', { when: dateTime(new Date(opens).toISOString(), listing.timeZone) })),
          ' ', h('span', { class: 'countdown', role: 'timer' }, t('opens_in', { left: left > 3600 ? `${Math.floor(left / 3600)}h ${mmss(left % 3600)}` : mmss(left) }))));
      };
      say();
      countdown = setInterval(say, 1000);
      return;
    }
    if (calendar?.soldOut(units())) {
      holdButton.disabled = true;
      holdButton.textContent = t('sold_out_button');
      show(message, notice('info', t('err_sold_out'), ' ',
        h('button', { type: 'button', class: 'secondary', id: 'join-waitlist', onclick: (ev) => (signedIn() ? joinWaitlist(ev.target) : hold(ev)) }, t('join_waitlist')), ' ',
        h('button', { type: 'button', class: 'secondary', id: 'watch', onclick: (ev) => (signedIn() ? watch(ev.target) : hold(ev)) }, t('watch_button'))));
      return;
    }
    holdButton.disabled = false;
    if (!signedIn()) {
      holdButton.textContent = t('sign_in_to_book');
      return;
    }
    const n = units();
    const unitWord = listing.slotKind === 'NIGHT' ? 'hold_rooms' : listing.slotKind === 'DATED_EVENT' ? 'hold_tickets' : 'hold_tables';
    holdButton.textContent = t(unitWord, { n, party: party() });
  }

  function mountCalendar() {
    if (calendar) calendar.close();
    selection = null;
    const start = params.get('date') || null;
    calendar = new Calendar(calendarBox, {
      listing,
      inventoryId: inventory.id,
      start,
      day: listing.slotKind === 'TIME_SLOT' ? start : null,
      onChange: (s) => { selection = s; update(); },
      onData: () => update(),
    });
    calendar.load();
  }

  // Tell me when these places free up: nothing is held (unlike the waitlist).
  async function watch(button) {
    button.disabled = true;
    const input = { listingId: listing.id, inventoryId: inventory.id, partySize: party(), quantity: units() };
    if (selection.nights) input.stay = { from: selection.from, to: selection.to };
    else if (selection.start) input.timeSlot = { start: selection.start, count: 1 };
    else input.eventDate = selection.date || firstDate();
    try {
      await gql(`mutation($k: String!, $input: WatchAvailabilityInput!) { watchAvailability(idempotencyKey: $k, input: $input) { watchId status } }`,
        { k: idempotencyKey(), input });
      show(message, notice('success', t('watch_started'), ' ', h('a', { href: '/me' }, t('see_my_bookings'))));
      announce(t('watch_started'));
    } catch (e) {
      show(message, notice('error', e.code === 'INVALID_STATE' ? t('watch_not_sold_out') : explain(e, { policy, date: firstDate() })));
      button.disabled = false;
    }
  }

  async function joinWaitlist(button) {
    button.disabled = true;
    const from = firstDate();
    const input = {
      listingId: listing.id,
      inventoryId: inventory.id,
      wanted: selection.nights ? { from: selection.from, to: selection.to } : { from, to: addDays(from, 1) },
      partySize: party(),
      quantity: units(),
    };
    if (selection.time) input.time = selection.time;
    try {
      const d = await gql(`mutation($k: String!, $input: JoinWaitlistInput!) { joinWaitlist(idempotencyKey: $k, input: $input) { bookingId status } }`,
        { k: idempotencyKey(), input });
      show(message, notice('success', t('waitlist_joined'), ' ', h('a', { href: '/me' }, t('see_my_bookings'))));
      announce(t('waitlist_joined'));
      return d;
    } catch (e) {
      show(message, notice('error', explain(e, { policy, date: from })));
      button.disabled = false;
      return null;
    }
  }

  async function hold(event) {
    event.preventDefault();
    if (!signedIn()) {
      const back = new URL(location.href);
      if (firstDate()) back.searchParams.set('date', firstDate());
      back.searchParams.set('party', party());
      location.href = `/signin?next=${encodeURIComponent(back.pathname + back.search)}`;
      return;
    }
    holdButton.disabled = true;
    const label = holdButton.textContent;
    holdButton.textContent = t('holding');
    const input = { listingId: listing.id, inventoryId: inventory.id, partySize: party(), quantity: units() };
    if (selection.nights) input.stay = { from: selection.from, to: selection.to };
    else if (selection.start) input.timeSlot = { start: selection.start, count: 1 };
    else input.eventDate = selection.date;
    if (couponSelect.value) input.couponCampaignId = couponSelect.value;
    const points = Number(pointsInput.value);
    if (!pointsField.hidden && Number.isInteger(points) && points > 0) input.points = points;
    try {
      const d = await gql(`mutation($k: String!, $input: PlaceBookingInput!) { placeBooking(idempotencyKey: $k, input: $input) { bookingId status holdExpiresAt } }`,
        { k: idempotencyKey(), input });
      location.href = `/book/${d.placeBooking.bookingId}`;
    } catch (e) {
      holdButton.textContent = label;
      holdButton.disabled = false;
      const parts = [explain(e, { policy, date: firstDate() })];
      if (e.code === 'SOLD_OUT' || e.rule === 'SoldOut') {
        parts.push(' ', h('button', { type: 'button', class: 'secondary', onclick: (ev) => joinWaitlist(ev.target) }, t('join_waitlist')),
          ' ', h('button', { type: 'button', class: 'secondary', onclick: (ev) => watch(ev.target) }, t('watch_button')));
      } else if (e.retryable) {
        parts.push(' ', h('button', { type: 'button', class: 'secondary', onclick: hold }, t('retry')));
      }
      show(message, notice(e.retryable ? 'info' : 'error', ...parts));
      announce(explain(e, { policy, date: firstDate() }));
    }
  }

  const inventoryPicker = listing.inventories.length > 1
    ? h('fieldset', { class: 'inventories' }, h('legend', {}, t('choose_inventory')),
      listing.inventories.map((inv, i) => h('label', { class: 'radio' },
        h('input', { type: 'radio', name: 'inventory', value: inv.id, checked: i === 0, onchange: () => { inventory = inv; mountCalendar(); update(); } }),
        h('span', {}, h('strong', {}, inv.name), inv.description ? h('small', { class: 'muted' }, inv.description) : null))))
    : null;

  const rules = ruleSentences(policy, listing.slotKind);
  const reviewsBox = h('section', { class: 'reviews', 'aria-labelledby': 'reviews-title' });
  const form = h('form', { class: 'book', onsubmit: hold, 'aria-labelledby': 'book-title' },
    h('h2', { id: 'book-title' }, t('book_heading')),
    inventoryPicker,
    calendarBox,
    h('div', { class: 'field' }, h('label', { for: 'party' }, t('party_label')), partySelect),
    couponField,
    pointsField,
    summary,
    holdButton,
    message);
  partySelect.addEventListener('change', update);

  show(root,
    h('nav', { class: 'crumbs', 'aria-label': t('breadcrumbs') }, args.slug ? h('a', { href: `/b/${args.slug}` }, t('back_to_business')) : h('a', { href: '/' }, t('back_home'))),
    h('h1', {}, listing.name),
    h('p', { class: 'muted' }, `${t(`category_${listing.category}`)} · ${listing.address}`),
    gallery(listing),
    h('div', { class: 'columns' },
      h('section', { class: 'about', 'aria-labelledby': 'about-title' },
        h('h2', { id: 'about-title' }, t('about')),
        listing.description.split(/\n{2,}/).map((para) => h('p', {}, para)),
        listing.attributes.length ? h('ul', { class: 'tags' }, listing.attributes.map((a) => h('li', {}, a.value))) : null,
        h('h2', {}, t('rules_heading')),
        h('ul', { class: 'rules' }, rules.map((r) => h('li', {}, r))),
        listing.inventories.length === 1 && inventory.description ? h('p', { class: 'muted' }, inventory.description) : null,
        reviewsBox),
      form));
  mountCalendar();
  update();
  showReviews(reviewsBox, listing.id);

  if (signedIn()) {
    try {
      const w = await gql('{ myWallet { campaignId tenantId code unused status discount { fixed { amountMinor currency } percentBp } } }');
      const usable = w.myWallet.filter((c) => c.tenantId === listing.tenantId && c.unused > 0 && c.status === 'ACTIVE');
      for (const c of usable) {
        const off = c.discount.fixed ? money(c.discount.fixed) : `${c.discount.percentBp / 100}%`;
        couponSelect.append(h('option', { value: c.campaignId }, `${c.code} (−${off})`));
      }
      couponField.hidden = usable.length === 0;
    } catch { /* no wallet: no coupons offered */ }
    try {
      const p = await gql('query($t: ID!) { pointsAccount(tenantId: $t) { balance nextExpiry } }', { t: listing.tenantId });
      const { balance } = p.pointsAccount;
      if (balance > 0) {
        pointsInput.max = balance;
        // One point is one minor unit of the listing's currency.
        const worth = money({ amountMinor: balance, currency: listing.displayPrice.currency });
        show(pointsHint, t('points_have', { n: balance.toLocaleString(), worth }));
        pointsField.hidden = false;
      }
    } catch { /* no points: none offered */ }
  }
}
