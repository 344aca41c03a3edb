// The signed-in session, kept in this browser (localStorage): the access token, refreshed with
// the refresh token shortly before it runs out. Tokens travel only in the Authorization header
// (never a cookie), so other sites cannot make requests in the guest's name.
const KEY = 'holdfast.session';

export function session() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function save(authSession) {
  localStorage.setItem(KEY, JSON.stringify(authSession));
  window.dispatchEvent(new Event('holdfast:session'));
}

export function forget() {
  localStorage.removeItem(KEY);
  window.dispatchEvent(new Event('holdfast:session'));
}

export function signedIn() {
  const s = session();
  return !!s && Date.parse(s.refreshTokenExpiresAt) > Date.now();
}

const FIELDS = 'accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt accountId guestId tenantId';

let refreshing = null;

// The access token to send, refreshed when it runs out within a minute (null: signed out).
export async function accessToken(base = '') {
  const s = session();
  if (!s) return null;
  if (Date.parse(s.accessTokenExpiresAt) - Date.now() > 60_000) return s.accessToken;
  if (Date.parse(s.refreshTokenExpiresAt) <= Date.now()) {
    forget();
    return null;
  }
  refreshing ??= (async () => {
    try {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          query: `mutation($t: String!) { refreshSession(refreshToken: $t) { ${FIELDS} } }`,
          variables: { t: s.refreshToken },
        }),
      });
      const body = await response.json();
      if (body.data?.refreshSession) {
        save(body.data.refreshSession);
        return body.data.refreshSession.accessToken;
      }
      forget();
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export const SESSION_FIELDS = FIELDS;
