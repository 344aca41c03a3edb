// Businesses and search: region, near me, dates, party, price, sort. Results link to each
// listing's page on its business's site.
import { gql } from '../api.js';
import { h, show, notice, announce } from '../dom.js';
import { t, money } from '../i18n.js';
import { explain } from '../errors.js';

const LISTING_CARD = `id tenantId name category descriptionExcerpt region timeZone displayPrice { amountMinor currency }
  photos { url alt variants { width url } } rating { count average }`;

// "★★★★☆" for 4 (out of 5), with its words for screen readers.
export function stars(rating) {
  const n = Math.round(rating);
  return h('span', { class: 'stars', role: 'img', 'aria-label': t('stars_of', { n: rating }) }, '★'.repeat(n) + '☆'.repeat(5 - n));
}

// "(1 review)", "(12 reviews)".
export function reviewCount(n) {
  return t(n === 1 ? 'reviews_count_one' : 'reviews_count', { n });
}

export function card(listing, slug, extra = null) {
  const photo = listing.photos?.[0];
  const href = slug ? `/b/${slug}/${listing.id}` : `/l/${listing.id}`;
  return h('article', { class: 'card' },
    photo ? h('img', {
      src: photo.variants?.find((v) => v.width === 320)?.url || photo.url,
      srcset: (photo.variants || []).map((v) => `${v.url} ${v.width}w`).join(', ') || null,
      sizes: '(max-width: 600px) 100vw, 320px',
      alt: photo.alt || listing.name,
      loading: 'lazy',
      width: 320,
      height: 213,
    }) : h('div', { class: 'photo-none', 'aria-hidden': 'true' }, listing.name.slice(0, 1)),
    h('div', { class: 'card-body' },
      h('h3', {}, h('a', { href }, listing.name)),
      h('p', { class: 'muted' }, t(`category_${listing.category}`)),
      listing.rating?.count ? h('p', { class: 'rating' }, stars(listing.rating.average), ' ', listing.rating.average.toFixed(1), ' ', reviewCount(listing.rating.count)) : null,
      h('p', {}, listing.descriptionExcerpt),
      h('p', { class: 'price' }, t('price_from', { price: money(listing.displayPrice) })),
      extra));
}

// The business slug of each tenant of a page of results.
async function slugs(listings) {
  const ids = [...new Set(listings.map((l) => l.tenantId))];
  const out = {};
  await Promise.all(ids.map(async (id) => {
    try {
      const data = await gql('query($id: ID!) { business(tenantId: $id) { slug } }', { id });
      out[id] = data.business.slug;
    } catch { /* a listing of a business with no site: linked by id */ }
  }));
  return out;
}

// ISO 3166-2 regions of Korea (the businesses' region codes).
const REGIONS = ['KR-11', 'KR-26', 'KR-27', 'KR-28', 'KR-29', 'KR-30', 'KR-31', 'KR-50', 'KR-41', 'KR-42', 'KR-43', 'KR-44', 'KR-45', 'KR-46', 'KR-47', 'KR-48', 'KR-49'];

export async function render(root) {
  const params = new URLSearchParams(location.search);
  const field = (name, label, input, hint = null) => h('div', { class: 'field' },
    h('label', { for: name }, label), input, hint && h('small', { id: `${name}-hint`, class: 'muted' }, hint));
  const regionInput = h('select', { id: 'region', name: 'region' }, h('option', { value: '' }, t('region_any')),
    REGIONS.map((code) => h('option', { value: code, selected: params.get('region') === code }, t(`region_${code.replace('-', '_')}`))));
  const keywordInput = h('input', { id: 'keyword', name: 'keyword', type: 'search', value: params.get('keyword') || '' });
  const fromInput = h('input', { id: 'from', name: 'from', type: 'date', value: params.get('from') || '' });
  const toInput = h('input', { id: 'to', name: 'to', type: 'date', value: params.get('to') || '' });
  const partyInput = h('input', { id: 'party', name: 'party', type: 'number', min: 1, max: 50, inputmode: 'numeric', value: params.get('party') || '' });
  const maxInput = h('input', { id: 'max', name: 'max', type: 'number', min: 0, inputmode: 'numeric', value: params.get('max') || '' });
  const sortSelect = h('select', { id: 'sort', name: 'sort' },
    ['RELEVANCE', 'RATING', 'PRICE_LOW', 'PRICE_HIGH', 'DISTANCE', 'NEWEST'].map((s) => h('option', { value: s, selected: params.get('sort') === s }, t(`sort_${s}`))));
  const near = h('input', { type: 'checkbox', id: 'near', name: 'near', checked: params.has('lat') });
  const results = h('section', { id: 'results', 'aria-live': 'polite', 'aria-labelledby': 'results-title' });
  const form = h('form', { class: 'search', role: 'search', onsubmit: (e) => { e.preventDefault(); run(true); } },
    field('keyword', t('search_keyword'), keywordInput),
    field('region', t('search_region_label'), regionInput),
    h('div', { class: 'row' }, field('from', t('search_from'), fromInput), field('to', t('search_to'), toInput)),
    h('div', { class: 'row' }, field('party', t('search_party'), partyInput), field('max', t('search_max_price'), maxInput)),
    h('div', { class: 'row' }, field('sort', t('search_sort'), sortSelect),
      h('div', { class: 'field check' }, near, h('label', { for: 'near' }, t('search_near_me')))),
    h('button', { type: 'submit', class: 'primary' }, t('search_submit')));
  show(root, h('h1', {}, t('home_heading')), h('p', { class: 'lead' }, t('home_lead')), form, results);

  let position = params.has('lat') ? { lat: Number(params.get('lat')), lon: Number(params.get('lon')) } : null;
  near.addEventListener('change', () => {
    if (!near.checked) { position = null; return; }
    if (!navigator.geolocation) { near.checked = false; return; }
    navigator.geolocation.getCurrentPosition(
      (p) => { position = { lat: p.coords.latitude, lon: p.coords.longitude }; sortSelect.value = 'DISTANCE'; },
      () => { near.checked = false; show(results, notice('info', t('near_me_refused'))); },
      { timeout: 10_000 },
    );
  });

  let after = null;
  async function run(fresh) {
    if (fresh) after = null;
    const vars = { first: 12, after, sort: sortSelect.value };
    if (keywordInput.value.trim()) vars.keyword = keywordInput.value.trim();
    if (regionInput.value) vars.region = regionInput.value;
    if (partyInput.value) vars.partySize = Number(partyInput.value);
    if (fromInput.value) vars.availableFrom = fromInput.value;
    if (toInput.value) vars.availableTo = toInput.value;
    if (maxInput.value) vars.priceMax = Number(maxInput.value);
    if (position && near.checked) vars.near = { lat: position.lat, lon: position.lon, radiusKm: 25 };
    if (vars.sort === 'DISTANCE' && !vars.near) vars.sort = 'RELEVANCE';
    if (!vars.keyword && !vars.region && !vars.near) {
      // The API searches by a word, a region or a point: offer the regions as a start.
      show(results, notice('info', t('search_prompt')), h('h2', { id: 'results-title' }, t('search_quick')),
        h('p', { class: 'actions' }, ['KR-11', 'KR-26'].map((code) => h('button', { type: 'button', class: 'secondary', onclick: () => { regionInput.value = code; run(true); } },
          t(`region_${code.replace('-', '_')}`)))));
      return;
    }
    if (fresh) {
      const q = new URLSearchParams();
      for (const [k, v] of [['keyword', vars.keyword], ['region', vars.region], ['party', vars.partySize], ['from', vars.availableFrom], ['to', vars.availableTo], ['max', vars.priceMax], ['sort', sortSelect.value]]) {
        if (v !== undefined && v !== null && v !== '') q.set(k, v);
      }
      if (vars.near) { q.set('lat', vars.near.lat); q.set('lon', vars.near.lon); }
      history.replaceState(null, '', `/?${q}`);
      show(results, h('p', { class: 'loading', role: 'status' }, t('loading')));
    }
    try {
      const data = await gql(`query($keyword: String, $region: String, $partySize: Int, $availableFrom: Date, $availableTo: Date,
          $priceMax: Int, $near: NearInput, $first: Int, $after: String, $sort: SearchSort) {
        search(keyword: $keyword, region: $region, partySize: $partySize, availableFrom: $availableFrom, availableTo: $availableTo,
          priceMax: $priceMax, near: $near, first: $first, after: $after, sort: $sort) {
          pageInfo { hasNextPage endCursor } nodes { ${LISTING_CARD} } } }`, vars);
      const listings = data.search.nodes;
      const bySlug = await slugs(listings);
      if (fresh) show(results, h('h2', { id: 'results-title' }, t('results_title')));
      if (fresh && !listings.length) results.append(notice('info', t('results_none')));
      const grid = h('div', { class: 'cards' }, listings.map((l) => card(l, bySlug[l.tenantId])));
      results.append(grid);
      after = data.search.pageInfo.hasNextPage ? data.search.pageInfo.endCursor : null;
      if (after) results.append(h('button', { type: 'button', class: 'more', onclick: (e) => { e.target.remove(); run(false); } }, t('results_more')));
      announce(t('results_count', { n: listings.length }));
    } catch (e) {
      show(results, notice('error', explain(e, { date: fromInput.value }), ' ', h('button', { type: 'button', onclick: () => run(true) }, t('retry'))));
    }
  }
  await run(true);
}

