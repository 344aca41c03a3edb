// The live availability calendar of one inventory: a month grid for nights and dated events
// (a stay is a range: the first night, then the last), a day of time chips for time slots.
// Every cell says free / few left / full / closed in words (and to screen readers: "7 December,
// 3 of 8 left"), not only by colour. It follows `availabilityChanged`, so a booking made by
// someone else shows within a moment, without a reload.
import { gql, subscribe } from './api.js';
import { h, show, announce } from './dom.js';
import { t, moneyShort, monthName, weekdays, longDate, today, addDays, date as fmtDate } from './i18n.js';

const DAY_FIELDS = 'slot date time capacity held allocated available closed price { amountMinor currency }';

export function cellState(day, wanted = 1) {
  if (!day || day.capacity === 0) return 'none';
  if (day.closed) return 'closed';
  if (day.available <= 0) return 'full';
  if (day.available < wanted) return 'full';
  if (day.available <= Math.max(2, Math.floor(day.capacity / 5))) return 'few';
  return 'free';
}

function stateWords(day) {
  const state = cellState(day);
  if (state === 'free' || state === 'few') return t('cal_left', { n: day.available, of: day.capacity });
  return t(`cal_${state}`);
}

export class Calendar {
  // options: {listing, inventoryId, onChange(selection), operator: bool}
  constructor(root, options) {
    this.root = root;
    this.listing = options.listing;
    this.kind = options.listing.slotKind;
    this.inventoryId = options.inventoryId;
    this.onChange = options.onChange || (() => {});
    // Called when the shown slots change (a load, or a change someone else made).
    this.onData = options.onData || (() => {});
    this.tz = options.listing.timeZone;
    this.today = today(this.tz);
    const start = options.start || this.today;
    this.month = start.slice(0, 7);
    this.slots = new Map();
    this.selection = null;
    this.anchor = null;
    this.day = options.day || null;
    this.stop = null;
    // The last date the listing takes bookings for today (its policy's max advance).
    const ahead = options.listing.bookingPolicy?.maxAdvanceDays;
    this.horizon = Number.isInteger(ahead) ? addDays(this.today, ahead) : null;
    this.status = h('p', { class: 'cal-status', role: 'status' });
  }

  range() {
    const [y, m] = this.month.split('-').map(Number);
    const first = `${this.month}-01`;
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    return { from: first, to: last };
  }

  async load() {
    const { from, to } = this.range();
    this.root.setAttribute('aria-busy', 'true');
    try {
      const data = await gql(`query($i: ID!, $f: Date!, $t: Date!) { availability(inventoryId: $i, from: $f, to: $t) { ${DAY_FIELDS} } }`,
        { i: this.inventoryId, f: from, t: to });
      this.slots = new Map(data.availability.map((d) => [d.slot, d]));
      this.status.textContent = '';
    } catch (e) {
      this.slots = new Map();
      this.status.textContent = t('err_calendar');
    }
    this.root.removeAttribute('aria-busy');
    this.render();
    this.onData();
    this.follow(from, to);
  }

  // Follows changes of the shown month.
  follow(from, to) {
    if (this.stop) this.stop();
    this.stop = subscribe(
      `subscription($i: ID!, $f: NaiveDate!, $t: NaiveDate!) { availabilityChanged(inventoryId: $i, from: $f, to: $t) { kind days { slot date capacity held allocated available closed } } }`,
      { i: this.inventoryId, f: from, t: to },
      (data) => {
        const change = data.availabilityChanged;
        let touched = 0;
        for (const day of change.days) {
          const old = this.slots.get(day.slot) || {};
          this.slots.set(day.slot, { ...old, ...day, time: old.time ?? (day.slot.includes('T') ? day.slot.slice(11) : null) });
          touched += 1;
        }
        if (touched) {
          this.render();
          this.onData();
          if (change.kind === 'CHANGE') this.root.dispatchEvent(new CustomEvent('holdfast:changed', { bubbles: true }));
        }
      },
      { onReconnect: () => this.load() },
    );
  }

  close() {
    if (this.stop) this.stop();
  }

  dayOf(date) {
    // For nights and events the slot is the date; for time slots, the day's best slot.
    if (this.kind !== 'TIME_SLOT') return this.slots.get(date);
    const times = [...this.slots.values()].filter((d) => d.date === date);
    if (!times.length) return undefined;
    return times.reduce((a, b) => ({
      ...a,
      capacity: a.capacity + b.capacity,
      available: a.available + (b.closed ? 0 : b.available),
      closed: a.closed && b.closed,
    }));
  }

  move(months) {
    const [y, m] = this.month.split('-').map(Number);
    const next = new Date(Date.UTC(y, m - 1 + months, 1)).toISOString().slice(0, 7);
    this.month = next;
    this.load();
  }

  pick(date) {
    if (this.kind === 'NIGHT') {
      if (!this.anchor || (this.selection && this.selection.to)) {
        this.anchor = date;
        this.selection = { from: date, to: null, nights: [date] };
      } else if (date < this.anchor) {
        this.anchor = date;
        this.selection = { from: date, to: null, nights: [date] };
      } else {
        const nights = [];
        for (let d = this.anchor; d <= date; d = addDays(d, 1)) nights.push(d);
        this.selection = { from: this.anchor, to: addDays(date, 1), nights };
      }
      announce(this.selection.to
        ? t('cal_stay_selected', { from: fmtDate(this.selection.from), to: fmtDate(this.selection.to), n: this.selection.nights.length })
        : t('cal_pick_last_night'));
    } else if (this.kind === 'DATED_EVENT') {
      this.selection = { date };
      announce(fmtDate(date));
    } else {
      this.day = date;
      this.selection = null;
    }
    this.render();
    this.onChange(this.selection);
  }

  pickTime(slot) {
    this.selection = { date: this.day, start: slot.slot, time: slot.slot.slice(11) };
    this.render();
    this.onChange(this.selection);
    announce(`${fmtDate(this.day)} ${this.selection.time}`);
  }

  // Whether the selection is sold out for `wanted` units (any of its nights or its time).
  soldOut(wanted = 1) {
    const s = this.selection;
    if (!s) return false;
    const days = s.nights ? s.nights.map((d) => this.slots.get(d)) : [this.slots.get(s.start || s.date)];
    return days.some((d) => !d || d.closed || d.available < wanted);
  }

  selected(date) {
    const s = this.selection;
    if (!s) return this.kind === 'TIME_SLOT' && this.day === date;
    if (s.nights) return s.nights.includes(date);
    return s.date === date;
  }

  render() {
    const [y, m] = this.month.split('-').map(Number);
    const first = new Date(Date.UTC(y, m - 1, 1));
    const lead = (first.getUTCDay() + 6) % 7;
    const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const cells = [];
    for (let i = 0; i < lead; i += 1) cells.push(h('span', { class: 'cell empty', 'aria-hidden': 'true' }));
    for (let d = 1; d <= days; d += 1) {
      const ymd = `${this.month}-${String(d).padStart(2, '0')}`;
      const day = this.dayOf(ymd);
      const past = ymd < this.today;
      const beyond = this.horizon !== null && ymd > this.horizon;
      const state = past || beyond ? 'none' : cellState(day);
      // A full date can be picked too: to join its waitlist.
      const pickable = state === 'free' || state === 'few' || state === 'full' || (this.kind === 'TIME_SLOT' && day && !past && !beyond);
      const words = beyond ? t('cal_not_yet') : past || !day ? t('cal_none') : stateWords(day);
      const label = `${longDate(ymd)}, ${words}`;
      const price = day?.price && (state === 'free' || state === 'few') ? moneyShort(day.price) : '';
      cells.push(h('button', {
        type: 'button',
        class: `cell ${state}${this.selected(ymd) ? ' selected' : ''}${ymd === this.today ? ' today' : ''}`,
        'aria-pressed': this.selected(ymd) ? 'true' : 'false',
        'data-date': ymd,
        'data-state': state,
        disabled: !pickable,
        onclick: () => this.pick(ymd),
      },
      h('span', { class: 'num', 'aria-hidden': 'true' }, d),
      h('span', { class: 'what', 'aria-hidden': 'true' }, state === 'none' ? '' : state === 'free' || state === 'few' ? (state === 'few' ? t('cal_few_short', { n: day.available }) : price || t('cal_free_short')) : t(`cal_${state}_short`)),
      // What a screen reader says: "Thursday 10 December, 3 of 8 left".
      h('span', { class: 'sr visually-hidden' }, label)));
    }
    const head = weekdays().map((w) => h('span', { class: 'wd', 'aria-hidden': 'true' }, w));
    const canGoBack = this.month > this.today.slice(0, 7);
    const nav = h('div', { class: 'cal-nav' },
      h('button', { type: 'button', class: 'ghost', onclick: () => this.move(-1), disabled: !canGoBack, 'aria-label': t('cal_prev') }, '‹'),
      h('h3', { id: `cal-title-${this.inventoryId}` }, monthName(y, m)),
      h('button', { type: 'button', class: 'ghost', onclick: () => this.move(1), 'aria-label': t('cal_next') }, '›'));
    const grid = h('div', { class: 'cal-grid', role: 'group', 'aria-labelledby': `cal-title-${this.inventoryId}` }, head, cells);
    const legend = h('p', { class: 'legend' },
      ['free', 'few', 'full', 'closed'].map((s) => h('span', { class: `key ${s}` }, t(`cal_legend_${s}`))));
    const parts = [nav, grid, legend, this.status];
    if (this.kind === 'TIME_SLOT' && this.day) parts.push(this.renderTimes());
    show(this.root, ...parts);
  }

  renderTimes() {
    const times = [...this.slots.values()].filter((d) => d.date === this.day).sort((a, b) => a.slot.localeCompare(b.slot));
    if (!times.length) return h('p', { class: 'muted' }, t('cal_no_times'));
    return h('div', { class: 'times', role: 'group', 'aria-label': t('cal_times_of', { date: fmtDate(this.day) }) },
      times.map((slot) => {
        const state = cellState(slot);
        const open = state === 'free' || state === 'few' || state === 'full';
        const time = slot.slot.slice(11, 16);
        const isSel = this.selection?.start === slot.slot;
        return h('button', {
          type: 'button',
          class: `chip ${state}${isSel ? ' selected' : ''}`,
          'data-slot': slot.slot,
          'data-state': state,
          'aria-pressed': isSel ? 'true' : 'false',
          disabled: !open,
          onclick: () => this.pickTime(slot),
        }, h('strong', { 'aria-hidden': 'true' }, time),
        h('span', { 'aria-hidden': 'true' }, state === 'free' || state === 'few' ? t('cal_left_short', { n: slot.available }) : t(`cal_${state}_short`)),
        h('span', { class: 'sr visually-hidden' }, `${time}, ${stateWords(slot)}`));
      }));
  }
}
