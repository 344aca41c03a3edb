// A business's site: its published listings with photo, price from and next free dates, and
// how to reach it. Its brand colour becomes the page's accent.
import { gql } from '../api.js';
import { h, show, notice } from '../dom.js';
import { t, date as fmtDate, money } from '../i18n.js';
import { explain } from '../errors.js';
import { card } from './home.js';

export function brand(business) {
  if (business?.brandColour) document.documentElement.style.setProperty('--accent', business.brandColour);
  const link = document.getElementById('brand');
  if (link && business) {
    link.textContent = business.name;
    link.href = `/b/${business.slug}`;
  }
}

export const BUSINESS_FIELDS = 'tenantId name slug timeZone currency brandColour logo status contactEmail contactPhone';

export async function render(root, args) {
  let data;
  try {
    data = await gql(`query($slug: String!) { business(slug: $slug) { ${BUSINESS_FIELDS} } }`, { slug: args.slug });
  } catch (e) {
    show(root, h('h1', {}, t('not_found_title')), notice(e.code === 'NOT_FOUND' ? 'info' : 'error', e.code === 'NOT_FOUND' ? t('business_not_found') : explain(e)));
    return;
  }
  const business = data.business;
  brand(business);
  document.title = `${business.name} · Holdfast`;
  const contact = h('p', { class: 'contact' },
    business.contactPhone && h('a', { href: `tel:${business.contactPhone}` }, business.contactPhone),
    business.contactPhone && business.contactEmail && ' · ',
    business.contactEmail && h('a', { href: `mailto:${business.contactEmail}` }, business.contactEmail));
  const list = h('div', { class: 'cards' }, h('p', { class: 'loading', role: 'status' }, t('loading')));
  show(root, h('h1', {}, business.name),
    business.status !== 'ACTIVE' ? notice('info', t('business_not_taking')) : null,
    contact, h('h2', {}, t('business_listings')), list);
  try {
    const listings = await gql(`query($id: ID!) { businessListings(tenantId: $id, status: PUBLISHED, first: 50) {
      nodes { id tenantId name category descriptionExcerpt region timeZone displayPrice { amountMinor currency } photos { url alt variants { width url } } } } }`,
    { id: business.tenantId });
    const nodes = listings.businessListings.nodes;
    if (!nodes.length) {
      show(list, notice('info', t('business_no_listings')));
      return;
    }
    const cards = await Promise.all(nodes.map(async (l) => {
      let next = null;
      try {
        const d = await gql('query($id: ID!) { nextAvailableDates(listingId: $id, count: 3) { date lowestPrice { amountMinor currency } } }', { id: l.id });
        const dates = d.nextAvailableDates;
        next = h('p', { class: 'next' }, dates.length
          ? t('next_free', { dates: dates.map((x) => fmtDate(x.date)).join(', ') })
          : t('next_free_none'));
        if (dates[0]?.lowestPrice) next.append(' · ', t('price_from', { price: money(dates[0].lowestPrice) }));
      } catch { /* the card shows without dates */ }
      return card(l, business.slug, next);
    }));
    show(list, ...cards);
  } catch (e) {
    show(list, notice('error', explain(e)));
  }
}
