import escapeHtml from 'escape-html';
import { layout } from '../http/page';
import type { ConnectedApp } from './connected-apps.service';

/** A date as people read it, in UTC (the page has no script to learn the user's zone). */
export function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface ConnectedAppsSignInModel {
  serviceName: string;
  /** The password form's action; absent without a password sign-in. */
  action?: string;
  /** "Continue with <name>" buttons, one form each (same CSRF token as the password form). */
  providers?: readonly { name: string; action: string }[];
  csrfToken: string;
  username?: string;
  error?: string;
}

export function renderConnectedAppsSignIn(model: ConnectedAppsSignInModel): string {
  return layout(
    `Connected apps - ${model.serviceName}`,
    `<h1>Connected apps</h1>
<p class="muted">Sign in to ${escapeHtml(model.serviceName)} to see the applications that can act on your behalf.</p>
${model.error ? `<p class="error" role="alert">${escapeHtml(model.error)}</p>` : ''}
${
  model.action
    ? `<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrfToken)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" required value="${escapeHtml(model.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>`
    : ''
}
${(model.providers ?? []).map((provider) => providerButton(provider, model.csrfToken)).join('\n')}`,
  );
}

function providerButton(provider: { name: string; action: string }, csrfToken: string): string {
  return `<form method="post" action="${escapeHtml(provider.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">
<div class="actions"><button type="submit">Continue with ${escapeHtml(provider.name)}</button></div>
</form>`;
}

/** External sign-in: the host's session found nobody. */
export function renderConnectedAppsSignedOut(serviceName: string, signInUrl?: string): string {
  return layout(
    `Connected apps - ${serviceName}`,
    `<h1>Connected apps</h1>
<p class="error" role="alert">You are not signed in.</p>
${signInUrl ? `<p><a href="${escapeHtml(signInUrl)}">Sign in</a>, then come back to this page.</p>` : `<p class="muted">Sign in to ${escapeHtml(serviceName)}, then come back to this page.</p>`}`,
  );
}

export interface ConnectedAppsListModel {
  serviceName: string;
  userLabel: string;
  apps: ConnectedApp[];
  revokeAction: string;
  revokeCsrf: string;
  /** Built-in sign-in only: the sign-out form. */
  logout?: { action: string; csrfToken: string };
  /** The next (older) page, when there is one. */
  moreUrl?: string;
  /** Said once, after a revocation. */
  notice?: string;
}

function appEntry(app: ConnectedApp, model: ConnectedAppsListModel): string {
  const name = escapeHtml(app.clientName);
  const origin = app.clientIdHost
    ? `<p class="muted">Published by <strong>${escapeHtml(app.clientIdHost)}</strong></p>`
    : app.registeredDynamically
      ? '<p class="muted">Registered dynamically: the name is the application&#39;s own claim.</p>'
      : '';
  // Scope names are tokens: never split.
  const scopes = app.scopes.length
    ? `<ul>${app.scopes
        .map(
          (s) =>
            `<li>${escapeHtml(s.description)} <code class="scope">${escapeHtml(s.name)}</code></li>`,
        )
        .join('')}</ul>`
    : '<p>No specific permissions.</p>';
  const resource = app.resourceName
    ? `${escapeHtml(app.resourceName)} (<code>${escapeHtml(app.resource).replaceAll('/', '/<wbr>')}</code>)`
    : `<code>${escapeHtml(app.resource).replaceAll('/', '/<wbr>')}</code>`;
  return `<section aria-label="${name}">
<hr>
<p class="origin"><strong>${name}</strong></p>
${origin}${scopes}
<p class="muted">Access to ${resource}</p>
<p class="muted">Connected ${formatDate(app.createdAt)} · Last used ${app.lastUsedAt ? formatDate(app.lastUsedAt) : 'never'}</p>
<form method="post" action="${escapeHtml(model.revokeAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.revokeCsrf)}">
<input type="hidden" name="grant" value="${escapeHtml(app.grantId)}">
<div class="actions"><button type="submit" aria-label="Revoke ${name}">Revoke access</button></div>
</form>
</section>`;
}

export function renderConnectedAppsList(model: ConnectedAppsListModel): string {
  const list = model.apps.length
    ? model.apps.map((app) => appEntry(app, model)).join('\n')
    : '<p>No application can act on your behalf.</p>';
  const logout = model.logout
    ? `<hr>
<form method="post" action="${escapeHtml(model.logout.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.logout.csrfToken)}">
<div class="actions"><button type="submit">Sign out</button></div>
</form>`
    : '';
  return layout(
    `Connected apps - ${model.serviceName}`,
    `<h1>Connected apps</h1>
<p class="muted">Signed in to ${escapeHtml(model.serviceName)} as ${escapeHtml(model.userLabel)}</p>
${model.notice ? `<p role="status">${escapeHtml(model.notice)}</p>` : ''}
<p>These applications can use ${escapeHtml(model.serviceName)} on your behalf. Revoking one ends its access at once; it must ask you again to connect.</p>
${list}
${model.moreUrl ? `<p><a href="${escapeHtml(model.moreUrl)}">Older connections</a></p>` : ''}
${logout}`,
  );
}
