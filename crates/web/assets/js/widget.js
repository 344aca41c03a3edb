// The embeddable widget. On any website:
//
//   <script type="module" src="https://<holdfast>/widget.js"></script>
//   <holdfast-booking listing="01J…" lang="ko"></holdfast-booking>
//
// It shows the listing's name, price and its next free dates with what is left, live (it
// follows availabilityChanged over WebSocket), and hands the guest to the listing's booking
// page on the Holdfast site to hold and pay (sign-in and payment stay on that origin). It
// lives in a shadow root (the host page's styles do not leak in or out), reads only public
// data and sends no credentials, which is what the API's CORS policy allows from any origin.
const ORIGIN = new URL(import.meta.url).origin;
// How far ahead the widget looks for free dates.
const DAYS = 90;

const WORDS = {
  en: { from: 'from {price}', next: 'Next free dates', none: 'No free dates in the next 90 days', left: '{n} left', book: 'Book', loading: 'Loading…', error: 'Availability cannot be shown right now.', powered: 'Bookings by Holdfast' },
  ko: { from: '{price}부터', next: '예약 가능한 날짜', none: '앞으로 90일 동안 빈 날짜가 없습니다', left: '{n}자리 남음', book: '예약하기', loading: '불러오는 중…', error: '지금은 예약 현황을 볼 수 없습니다.', powered: 'Holdfast 예약' },
};

const STYLE = `
:host { display: block; font-family: system-ui, "Apple SD Gothic Neo", "Noto Sans KR", sans-serif; color: #1b1f23; max-width: 28rem; }
.box { border: 1px solid #c9d1d9; border-radius: 12px; padding: 1rem; background: #fff; }
h2 { font-size: 1.15rem; margin: 0 0 .25rem; }
.price { margin: 0 0 .75rem; color: #444; }
ul { list-style: none; padding: 0; margin: 0 0 .75rem; display: flex; flex-wrap: wrap; gap: .5rem; }
a.date { display: inline-block; border: 1px solid var(--accent, #0b6e4f); border-radius: 8px; padding: .4rem .6rem; color: #1b1f23; text-decoration: none; min-height: 44px; box-sizing: border-box; }
a.date:focus-visible, a.book:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
a.date small { display: block; color: #444; }
a.book { display: inline-block; background: var(--accent, #0b6e4f); color: #fff; border-radius: 8px; padding: .6rem 1rem; text-decoration: none; font-weight: 600; }
.muted { color: #555; font-size: .85rem; margin: .5rem 0 0; }
`;

function fill(phrase, params) {
  return phrase.replace(/\{(\w+)\}/g, (m, n) => (n in params ? params[n] : m));
}

async function gql(query, variables) {
  const response = await fetch(`${ORIGIN}/graphql`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

function todayIn(timeZone, at) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
}

function addDays(ymd, n) {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

class HoldfastBooking extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const lang = (this.getAttribute('lang') || navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en';
    this.lang = lang;
    this.words = WORDS[lang];
    this.locale = lang === 'ko' ? 'ko-KR' : 'en-GB';
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.box = document.createElement('div');
    this.box.className = 'box';
    this.box.setAttribute('role', 'region');
    this.box.setAttribute('aria-live', 'polite');
    this.box.textContent = this.words.loading;
    root.append(style, this.box);
    this.start().catch(() => { this.box.textContent = this.words.error; });
  }

  disconnectedCallback() {
    if (this.socket) this.socket.close();
  }

  async start() {
    const id = this.getAttribute('listing');
    const d = await gql('query($id: ID!) { serverTime listing(id: $id) { id tenantId name timeZone displayPrice { amountMinor currency } inventories { id } } }', { id });
    this.listing = d.listing;
    try {
      const b = await gql('query($t: ID!) { business(tenantId: $t) { slug brandColour } }', { t: this.listing.tenantId });
      this.slug = b.business.slug;
      if (b.business.brandColour) this.style.setProperty('--accent', b.business.brandColour);
    } catch { this.slug = null; }
    // The server's today (every rule runs on its clock).
    this.from = todayIn(this.listing.timeZone, d.serverTime);
    this.to = addDays(this.from, DAYS - 1);
    this.slots = new Map();
    const inventory = this.listing.inventories[0]?.id;
    if (inventory) {
      const a = await gql('query($i: ID!, $f: Date!, $t: Date!) { availability(inventoryId: $i, from: $f, to: $t) { slot date available closed } }', { i: inventory, f: this.from, t: this.to });
      for (const s of a.availability) this.slots.set(s.slot, s);
      this.follow(inventory);
    }
    this.render();
  }

  follow(inventory) {
    const url = `${ORIGIN.replace(/^http/, 'ws')}/graphql/ws`;
    const socket = new WebSocket(url, 'graphql-transport-ws');
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    socket.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: 'w', type: 'subscribe', payload: {
          query: 'subscription($i: ID!, $f: NaiveDate!, $t: NaiveDate!) { availabilityChanged(inventoryId: $i, from: $f, to: $t) { days { slot date available closed } } }',
          variables: { i: inventory, f: this.from, t: this.to } } }));
      } else if (msg.type === 'next') {
        for (const s of msg.payload.data?.availabilityChanged?.days || []) this.slots.set(s.slot, s);
        this.render();
      } else if (msg.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    };
    socket.onclose = () => { if (this.isConnected) setTimeout(() => this.follow(inventory), 2000); };
  }

  pageUrl(date) {
    const path = this.slug ? `/b/${this.slug}/${this.listing.id}` : `/l/${this.listing.id}`;
    const q = new URLSearchParams({ lang: this.lang });
    if (date) q.set('date', date);
    return `${ORIGIN}${path}?${q}`;
  }

  render() {
    const l = this.listing;
    const byDate = new Map();
    for (const s of this.slots.values()) {
      if (s.closed) continue;
      byDate.set(s.date, (byDate.get(s.date) || 0) + s.available);
    }
    const free = [...byDate.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b)).slice(0, 6);
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency: l.displayPrice.currency }).resolvedOptions().maximumFractionDigits;
    const price = new Intl.NumberFormat(this.locale, { style: 'currency', currency: l.displayPrice.currency }).format(l.displayPrice.amountMinor / 10 ** digits);
    const fmt = new Intl.DateTimeFormat(this.locale, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
    const el = (tag, attrs, ...kids) => {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
      e.append(...kids);
      return e;
    };
    const list = el('ul', { 'aria-label': this.words.next });
    for (const [date, n] of free) {
      const [y, m, d] = date.split('-').map(Number);
      list.append(el('li', {}, el('a', { class: 'date', href: this.pageUrl(date), target: '_blank', rel: 'noopener', 'data-date': date },
        fmt.format(new Date(Date.UTC(y, m - 1, d))), el('small', {}, fill(this.words.left, { n })))));
    }
    this.box.replaceChildren(
      el('h2', {}, l.name),
      el('p', { class: 'price' }, fill(this.words.from, { price })),
      el('p', { class: 'muted' }, this.words.next),
      free.length ? list : el('p', {}, this.words.none),
      el('a', { class: 'book', href: this.pageUrl(null), target: '_blank', rel: 'noopener' }, this.words.book),
      el('p', { class: 'muted' }, this.words.powered));
  }
}

if (!customElements.get('holdfast-booking')) customElements.define('holdfast-booking', HoldfastBooking);
