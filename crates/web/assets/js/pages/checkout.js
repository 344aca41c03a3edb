// The built-in test checkout (development): no money moves. "Pay" reports the payment the way
// a provider would, through the signed payments webhook; the booking page then shows it.
import { gql, idempotencyKey } from '../api.js';
import { h, show, notice } from '../dom.js';
import { t, money } from '../i18n.js';
import { explain } from '../errors.js';
import { BOOKING_FIELDS } from './hold.js';

export async function render(root, args) {
  let booking;
  try {
    booking = (await gql(`query($id: ID!) { booking(id: $id) { ${BOOKING_FIELDS} } }`, { id: args.booking })).booking;
  } catch (e) {
    show(root, h('h1', {}, t('checkout_title')), notice('error', explain(e)));
    return;
  }
  const message = h('div', { 'aria-live': 'polite' });
  const attempt = idempotencyKey();
  const total = booking.totals?.total;
  const pay = h('button', { type: 'button', class: 'primary big', id: 'test-pay', disabled: !total || booking.status !== 'HELD' },
    total ? t('pay_amount', { amount: money(total) }) : t('pay'));
  pay.addEventListener('click', async () => {
    pay.disabled = true;
    try {
      const response = await fetch(`/checkout/test/${booking.id}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ amountMinor: total.amountMinor, currency: total.currency, attempt }),
      });
      const answer = await response.json();
      if (!response.ok) throw Object.assign(new Error(answer.message), { code: answer.code });
      show(message, notice('success', t('checkout_paid')));
      location.href = `/book/${booking.id}`;
    } catch (e) {
      pay.disabled = false;
      show(message, notice('error', e.code === 'CHECKOUT_DISABLED' ? t('no_checkout') : explain({ code: e.code || 'NETWORK', retryable: true })));
    }
  });
  show(root,
    h('h1', {}, t('checkout_title')),
    notice('info', t('checkout_test_note')),
    booking.status !== 'HELD' ? notice('error', t('checkout_not_held')) : null,
    h('p', { class: 'amount' }, total ? money(total) : ''),
    pay, message,
    h('p', {}, h('a', { href: `/book/${booking.id}` }, t('checkout_back'))));
}
