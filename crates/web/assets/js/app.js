// Starts the page: the navigation's signed-in state, the language links (which keep the
// page's address), then the page's own module.
import { config, t, setServerTime } from './i18n.js';
import { signedIn, session, forget } from './session.js';
import { gql } from './api.js';
import { app, show, notice, h } from './dom.js';

function navigation() {
  const link = document.getElementById('signin-link');
  const out = document.getElementById('signout');
  const update = () => {
    const inside = signedIn();
    if (link) link.hidden = inside;
    if (out) out.hidden = !inside;
  };
  update();
  window.addEventListener('holdfast:session', update);
  window.addEventListener('storage', update);
  out?.addEventListener('click', async () => {
    const s = session();
    if (s) {
      try {
        await gql('mutation($t: String!) { signOut(refreshToken: $t) }', { t: s.refreshToken });
      } catch { /* signed out here either way */ }
    }
    forget();
    location.href = '/';
  });
  for (const a of document.querySelectorAll('.langs a')) {
    const url = new URL(location.href);
    url.searchParams.set('lang', a.getAttribute('hreflang'));
    a.href = url.pathname + url.search;
  }
}

const PAGES = {
  home: () => import('./pages/home.js'),
  business: () => import('./pages/business.js'),
  listing: () => import('./pages/listing.js'),
  hold: () => import('./pages/hold.js'),
  checkout: () => import('./pages/checkout.js'),
  me: () => import('./pages/me.js'),
  signin: () => import('./pages/signin.js'),
  console: () => import('./pages/console.js'),
};

async function start() {
  navigation();
  try {
    const sent = Date.now();
    const d = await gql('{ serverTime }');
    // Half the round trip: when the server read its clock.
    setServerTime(new Date(Date.parse(d.serverTime) + (Date.now() - sent) / 2).toISOString());
  } catch { /* the device's clock, then */ }
  const load = PAGES[config.page];
  if (!load) {
    show(app(), h('h1', {}, t('not_found_title')), notice('info', t('not_found_text'), ' ', h('a', { href: '/' }, t('back_home'))));
    return;
  }
  try {
    const module = await load();
    await module.render(app(), config.args || {});
  } catch (e) {
    console.error(e);
    show(app(), notice('error', t('err_page'), ' ', h('button', { type: 'button', onclick: () => location.reload() }, t('retry'))));
  }
}

start();
