import { DEMO_ACCOUNTS } from './accounts';

/** Headers of every page: nothing loads from elsewhere, nothing frames it, nothing is cached. */
export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
} as const;

const STYLE = `
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:24rem;margin:3rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{font-size:1rem;padding:.5rem 1rem;margin:1rem .5rem 0 0;cursor:pointer}
.error{color:#a61b1b}.hint{color:#5b6270;font-size:.9rem}.badge{font-size:.8rem;color:#5b6270}
`;

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (char) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Development identity provider</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="badge">Development identity provider · not for production</p>
${body}
</main>
</body>
</html>
`;
}

/** Sign-in form: posts username and password to `/interaction/<uid>/login`. */
export function loginPage(model: {
  uid: string;
  clientName: string;
  username?: string;
  error?: string;
}): string {
  const base = `/interaction/${encodeURIComponent(model.uid)}`;
  const accounts = DEMO_ACCOUNTS.map(
    (account) =>
      `<li><code>${escapeHtml(account.username)}</code> / <code>${escapeHtml(account.password)}</code></li>`,
  ).join('');
  return layout(
    'Sign in',
    `<h1>Sign in to continue to ${escapeHtml(model.clientName)}</h1>
${model.error ? `<p class="error" role="alert">${escapeHtml(model.error)}</p>` : ''}
<form method="post" action="${base}/login">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${escapeHtml(model.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${base}/abort"><button type="submit">Cancel</button></form>
<p class="hint">Demo accounts:</p><ul class="hint">${accounts}</ul>`,
  );
}

/** Consent form: what the client asks for, Allow (`/confirm`) or Deny (`/abort`). */
export function consentPage(model: {
  uid: string;
  clientName: string;
  userName: string;
  scopes: string[];
  claims: string[];
}): string {
  const base = `/interaction/${encodeURIComponent(model.uid)}`;
  const items = [
    ...model.scopes.map((scope) => `scope <code>${escapeHtml(scope)}</code>`),
    ...model.claims.map((claim) => `claim <code>${escapeHtml(claim)}</code>`),
  ];
  return layout(
    'Allow access',
    `<h1>${escapeHtml(model.clientName)} wants to access your account</h1>
<p>Signed in as <strong>${escapeHtml(model.userName)}</strong>.</p>
${items.length ? `<p>It asks for:</p><ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>` : ''}
<form method="post" action="${base}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="${base}/abort"><button type="submit">Deny</button></form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="error">${escapeHtml(message)}</p>`);
}

/** RP-initiated logout: `form` is oidc-provider's hidden form, with its anti-forgery field. */
export function logoutPage(form: string, host: string): string {
  return layout(
    'Sign out',
    `<h1>Sign out of ${escapeHtml(host)}?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export function loggedOutPage(clientName: string | undefined): string {
  const from = clientName ? ` from ${escapeHtml(clientName)}` : '';
  return layout('Signed out', `<h1>Signed out</h1><p>You have signed out${from}.</p>`);
}
