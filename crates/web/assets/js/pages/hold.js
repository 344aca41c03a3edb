// A booking being made: the hold's countdown (from the server's expiry, so it survives a
// reload), the guest's details, and the way to pay; then the confirmation. Follows the booking
// live (`bookingChanged`): a payment, an expiry or an offer shows without a reload.
import { gql, subscribe, idempotencyKey } from '../api.js';
import { h, show, notice, announce } from '../dom.js';
import { t, lang, config, money, dateTime, mmss, now } from '../i18n.js';
import { explain } from '../errors.js';
import { signedIn } from '../session.js';
import { brand } from './business.js';

export const BOOKING_FIELDS = `id status listingId inventoryId tenantId partySize quantity slots startsAt endsAt
  holdExpiresAt offerExpiresAt confirmedAt cancelledAt createdAt
  totals { subtotal { amountMinor currency } discount { amountMinor currency } total { amountMinor currency } }
  coupon { code discount { amountMinor currency } }
  totalPaid { amountMinor currency } totalRefunded { amountMinor currency } refundDue { amountMinor currency }
  rejection { code rule } cancellation { by reason at }`;

export function when(booking, listing) {
  if (!booking.startsAt) return booking.slots.join(', ');
  const start = dateTime(booking.startsAt, listing.timeZone);
  if (listing.slotKind === 'NIGHT' && booking.endsAt) return t('stay_range', { from: start, to: dateTime(booking.endsAt, listing.timeZone) });
  return start;
}

export function details(booking, listing) {
  return h('dl', { class: 'details' },
    h('dt', {}, t('what')), h('dd', {}, listing.name),
    h('dt', {}, t('when')), h('dd', {}, when(booking, listing)),
    booking.partySize ? [h('dt', {}, t('party_label')), h('dd', {}, t('party_n', { n: booking.partySize }))] : null,
    booking.totals ? [h('dt', {}, t('total')), h('dd', { class: 'total' }, money(booking.totals.total),
      booking.coupon ? h('small', { class: 'muted' }, ` (${booking.coupon.code} −${money(booking.coupon.discount)})`) : null)] : null);
}

export function payUrl(booking) {
  const checkout = config.checkout || { kind: 'off' };
  if (checkout.kind === 'test') return `/checkout/test/${booking.id}`;
  if (checkout.kind === 'provider' && booking.totals) {
    return checkout.url
      .replace('{booking}', encodeURIComponent(booking.id))
      .replace('{amount_minor}', booking.totals.total.amountMinor)
      .replace('{currency}', booking.totals.total.currency)
      .replace('{return}', encodeURIComponent(`${location.origin}/book/${booking.id}`));
  }
  return null;
}

export async function render(root, args) {
  if (!signedIn()) {
    location.href = `/signin?next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  let booking;
  let listing;
  let profile = null;
  let timer = null;
  const load = async () => {
    const d = await gql(`query($id: ID!) { booking(id: $id) { ${BOOKING_FIELDS} } me { email profile { name phone email language } } }`, { id: args.booking });
    booking = d.booking;
    profile = d.me.profile;
    if (!listing) {
      const l = await gql('query($id: ID!) { listing(id: $id) { id name timeZone slotKind tenantId } }', { id: booking.listingId });
      listing = l.listing;
      // The business's name and colour, as on its site.
      gql('query($t: ID!) { business(tenantId: $t) { name slug brandColour } }', { t: listing.tenantId })
        .then((b) => brand(b.business)).catch(() => {});
    }
  };
  try {
    await load();
  } catch (e) {
    show(root, h('h1', {}, t('hold_title')), notice('error', explain(e)));
    return;
  }

  const draw = () => {
    if (timer) { clearInterval(timer); timer = null; }
    const head = h('h1', {}, t(`status_title_${booking.status}`));
    const back = h('p', {}, h('a', { href: '/me' }, t('see_my_bookings')));
    switch (booking.status) {
      case 'REQUESTED':
        show(root, head, notice('info', t('hold_pending')));
        setTimeout(refresh, 500);
        break;
      case 'HELD': {
        const clock = h('span', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
        const tick = () => {
          const left = (Date.parse(booking.holdExpiresAt) - now()) / 1000;
          clock.textContent = mmss(left);
          if (left <= 0) { clearInterval(timer); timer = null; refresh(); }
          if (Math.floor(left) === 60) announce(t('hold_one_minute'));
        };
        tick();
        timer = setInterval(tick, 250);
        const name = h('input', { id: 'guest-name', name: 'name', required: true, autocomplete: 'name', value: profile?.name || '' });
        const phone = h('input', { id: 'guest-phone', name: 'phone', type: 'tel', autocomplete: 'tel', value: profile?.phone || '' });
        const email = h('input', { id: 'guest-email', name: 'email', type: 'email', autocomplete: 'email', value: profile?.email || '' });
        const error = h('div', { 'aria-live': 'polite' });
        const url = payUrl(booking);
        const pay = h('button', { type: 'submit', class: 'primary big', id: 'pay', disabled: !url },
          booking.totals ? t('pay_amount', { amount: money(booking.totals.total) }) : t('pay'));
        const form = h('form', {
          class: 'guest',
          onsubmit: async (e) => {
            e.preventDefault();
            if (!name.value.trim()) { show(error, notice('error', t('name_required'))); name.focus(); return; }
            pay.disabled = true;
            try {
              await gql('mutation($input: GuestProfileInput!) { updateMyProfile(input: $input) { guestId } }', {
                input: { name: name.value.trim(), phone: phone.value.trim() || null, email: email.value.trim() || null, language: lang === 'ko' ? 'KO' : 'EN' },
              });
              location.href = url;
            } catch (err) {
              pay.disabled = false;
              show(error, notice('error', err.code === 'INVALID_INPUT' ? t('contact_invalid') : explain(err)));
            }
          },
        },
        h('h2', {}, t('guest_details')),
        h('div', { class: 'field' }, h('label', { for: 'guest-name' }, t('guest_name')), name),
        h('div', { class: 'field' }, h('label', { for: 'guest-phone' }, t('guest_phone')), phone),
        h('div', { class: 'field' }, h('label', { for: 'guest-email' }, t('guest_email')), email),
        url ? null : notice('info', t('no_checkout')),
        pay, error);
        show(root, head,
          notice('info', h('strong', {}, t('hold_yours_for')), ' ', clock, ' ', h('span', { class: 'muted' }, t('hold_until', { time: dateTime(booking.holdExpiresAt, listing.timeZone) }))),
          details(booking, listing), form);
        break;
      }
      case 'EXPIRED':
        show(root, head, notice('error', t('hold_expired')), details(booking, listing),
          h('p', {}, h('a', { class: 'button primary', href: `/l/${listing.id}` }, t('try_again'))));
        break;
      case 'CONFIRMED':
      case 'CHECKED_IN':
        show(root, head, notice('success', t('confirmed_text')), details(booking, listing),
          booking.totalPaid ? h('p', {}, t('paid', { amount: money(booking.totalPaid) })) : null, back);
        announce(t('status_title_CONFIRMED'));
        break;
      case 'OFFERED': {
        const act = async (mutation, button) => {
          button.disabled = true;
          try {
            await gql(`mutation($k: String!, $id: ID!) { ${mutation}(idempotencyKey: $k, input: { bookingId: $id }) { status } }`, { k: idempotencyKey(), id: booking.id });
            refresh();
          } catch (e) {
            button.disabled = false;
            root.append(notice('error', explain(e)));
          }
        };
        show(root, head, notice('info', t('offer_until', { time: dateTime(booking.offerExpiresAt, listing.timeZone) })), details(booking, listing),
          h('p', { class: 'actions' },
            h('button', { type: 'button', class: 'primary', onclick: (e) => act('acceptOffer', e.target) }, t('accept_offer')),
            h('button', { type: 'button', class: 'secondary', onclick: (e) => act('declineOffer', e.target) }, t('decline_offer'))));
        break;
      }
      default:
        show(root, head, notice('info', t(`status_text_${booking.status}`)), details(booking, listing), back);
    }
  };

  async function refresh() {
    try {
      await load();
      draw();
    } catch { setTimeout(refresh, 1000); }
  }

  draw();
  subscribe('subscription($id: ID!) { bookingChanged(id: $id) { status } }', { id: booking.id }, (d) => {
    if (d.bookingChanged.status !== booking.status) refresh();
  }, { onReconnect: refresh });
}
