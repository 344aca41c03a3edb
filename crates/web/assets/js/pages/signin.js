// Sign in or sign up (the embedded identity provider), then back to where the guest was.
// An operator signs in with their business chosen, for the console.
import { gql } from '../api.js';
import { h, show, notice } from '../dom.js';
import { t, lang } from '../i18n.js';
import { save, SESSION_FIELDS } from '../session.js';

function safeNext() {
  const next = new URLSearchParams(location.search).get('next') || '/me';
  // Only a path of this site (never another origin).
  return next.startsWith('/') && !next.startsWith('//') ? next : '/me';
}

function authError(e) {
  switch (e.code) {
    case 'UNAUTHENTICATED': return t('signin_wrong');
    case 'ALREADY_EXISTS': return t('signup_taken');
    case 'INVALID_INPUT': return /password/i.test(e.message) ? t('signup_password_rule') : t('signup_invalid');
    case 'FORBIDDEN': return t('signin_not_member');
    case 'NOT_FOUND': return t('signin_no_identity');
    case 'NO_BUSINESS': return t('signin_no_business');
    default: return t('err_retry');
  }
}

export async function render(root) {
  const next = safeNext();
  const operator = next.startsWith('/console');
  const field = (id, label, attrs) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, required: true, ...attrs }));
  const inMessage = h('div', { 'aria-live': 'polite' });
  const upMessage = h('div', { 'aria-live': 'polite' });

  const signIn = h('form', {
    class: 'auth', id: 'signin-form', 'aria-labelledby': 'signin-title',
    onsubmit: async (e) => {
      e.preventDefault();
      const form = new FormData(e.target);
      const button = e.target.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const variables = { email: form.get('signin-email'), password: form.get('signin-password'), tenant: null };
        if (operator) {
          // An operator's session names the business, found by its address.
          const slug = String(form.get('signin-business') || '').trim().replace(/^.*\/b\//, '');
          try {
            variables.tenant = (await gql('query($slug: String!) { business(slug: $slug) { tenantId } }', { slug })).business.tenantId;
          } catch {
            throw Object.assign(new Error('no business'), { code: 'NO_BUSINESS' });
          }
        }
        const d = await gql(`mutation($email: String!, $password: String!, $tenant: ID) { signIn(email: $email, password: $password, tenantId: $tenant) { ${SESSION_FIELDS} } }`, variables);
        save(d.signIn);
        if (operator) localStorage.setItem('holdfast.business', String(form.get('signin-business')).trim());
        location.href = next;
      } catch (err) {
        button.disabled = false;
        show(inMessage, notice('error', authError(err)));
      }
    },
  },
  h('h2', { id: 'signin-title' }, t('signin_heading')),
  operator ? field('signin-business', t('signin_business'), { autocomplete: 'organization', value: new URLSearchParams(location.search).get('b') || localStorage.getItem('holdfast.business') || '' }) : null,
  field('signin-email', t('email'), { type: 'email', autocomplete: 'username' }),
  field('signin-password', t('password'), { type: 'password', autocomplete: 'current-password' }),
  h('button', { type: 'submit', class: 'primary' }, t('signin_submit')),
  inMessage);

  const signUp = h('form', {
    class: 'auth', id: 'signup-form', 'aria-labelledby': 'signup-title',
    onsubmit: async (e) => {
      e.preventDefault();
      const form = new FormData(e.target);
      const button = e.target.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const input = {
          email: form.get('signup-email'),
          password: form.get('signup-password'),
          name: form.get('signup-name'),
          phone: form.get('signup-phone') || null,
          language: lang === 'ko' ? 'KO' : 'EN',
        };
        const d = await gql(`mutation($input: SignUpInput!) { signUp(input: $input) { ${SESSION_FIELDS} } }`, { input });
        save(d.signUp);
        location.href = next;
      } catch (err) {
        button.disabled = false;
        show(upMessage, notice('error', authError(err)));
      }
    },
  },
  h('h2', { id: 'signup-title' }, t('signup_heading')),
  field('signup-name', t('guest_name'), { autocomplete: 'name' }),
  field('signup-email', t('email'), { type: 'email', autocomplete: 'email' }),
  h('div', { class: 'field' }, h('label', { for: 'signup-phone' }, t('guest_phone_optional')), h('input', { id: 'signup-phone', name: 'signup-phone', type: 'tel', autocomplete: 'tel' })),
  field('signup-password', t('password'), { type: 'password', autocomplete: 'new-password', minlength: 10, 'aria-describedby': 'pw-hint' }),
  h('small', { id: 'pw-hint', class: 'muted' }, t('signup_password_rule')),
  h('button', { type: 'submit', class: 'primary' }, t('signup_submit')),
  upMessage);

  show(root, h('h1', {}, operator ? t('signin_operator_title') : t('signin_title')),
    h('div', { class: 'columns' }, signIn, operator ? null : signUp));
}
