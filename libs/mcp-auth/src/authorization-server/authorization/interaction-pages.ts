import escapeHtml from 'escape-html';
import { layout } from '../../http/page';

/** A refusal the user must read, with the way back to the application. */
export function renderRefusalPage(reason: string, returnUrl: string): string {
  return layout(
    'Access refused',
    `<h1>Access refused</h1>
<p class="error" role="alert">${escapeHtml(reason)}</p>
<p><a href="${escapeHtml(returnUrl)}">Return to the application</a></p>`,
  );
}

export interface LoginPageModel {
  serviceName: string;
  clientName: string;
  action: string;
  csrfToken: string;
  username?: string;
  error?: string;
}

export function renderLoginPage(model: LoginPageModel): string {
  return layout(
    `Sign in - ${model.serviceName}`,
    `<h1>Sign in to ${escapeHtml(model.serviceName)}</h1>
<p class="muted">${escapeHtml(model.clientName)} wants to access your account.</p>
${model.error ? `<p class="error" role="alert">${escapeHtml(model.error)}</p>` : ''}
<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrfToken)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" required value="${escapeHtml(model.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>`,
  );
}

export interface ConsentPageModel {
  serviceName: string;
  clientName: string;
  clientId: string;
  /**
   * Metadata-document clients: the host of the client_id URL. The name is the client's own
   * claim; this host is what vouches for it, so it is shown beside the name (AS-17).
   */
  clientIdHost?: string | null;
  /** Every redirect URI of a metadata-document client is on loopback: its name is unverified. */
  unverifiedLoopbackClient?: boolean;
  redirectHost: string;
  /** True when the code goes to a loopback address: any local program could be listening. */
  redirectIsLoopback: boolean;
  redirectUri: string;
  scopes: { name: string; description: string }[];
  resource: string;
  subjectLabel: string;
  action: string;
  csrfToken: string;
}

/**
 * A URL or URL-like identifier, escaped, with a line-break opportunity after each `/`: a long
 * one wraps between path segments rather than mid-word (the card's `overflow-wrap: anywhere`
 * only steps in for a single segment wider than the card).
 */
function breakableUrl(value: string): string {
  return escapeHtml(value).replaceAll('/', '/<wbr>');
}

/** AS-17: a code that goes to loopback can be caught by any program on the user's machine. */
function loopbackWarning(model: ConsentDetails, host: string | null): string {
  if (host && model.unverifiedLoopbackClient) {
    return `<p class="error" role="alert">This application receives your approval only on your own computer, where any program can claim to be ${host}. Approve only if you just started it yourself and expect it to come from ${host}.</p>`;
  }
  return model.redirectIsLoopback
    ? '<p class="error">This application runs on your own computer. Approve only if you just started it yourself.</p>'
    : '';
}

/** What a consent page describes: who asks, for what, and where the code goes (AS-17). */
export type ConsentDetails = Omit<ConsentPageModel, 'subjectLabel' | 'action' | 'csrfToken'>;

/** The title and the client's origin line of a consent page. */
export function consentHeading(model: ConsentDetails): string {
  const host = model.clientIdHost ? escapeHtml(model.clientIdHost) : null;
  return `<h1>Authorize ${escapeHtml(model.clientName)}</h1>
${host ? `<p class="origin">Published by <strong>${host}</strong></p>\n` : ''}`;
}

/** The body of a consent page: the request in words, with the warnings it calls for. */
export function consentDetails(model: ConsentDetails): string {
  // Scope names are tokens: never split (`offline_access`, not `o` / `ffline_access`).
  const scopes = model.scopes.length
    ? `<ul>${model.scopes
        .map(
          (s) =>
            `<li>${escapeHtml(s.description)} <code class="scope">${escapeHtml(s.name)}</code></li>`,
        )
        .join('')}</ul>`
    : '<p>No specific permissions.</p>';
  const host = model.clientIdHost ? escapeHtml(model.clientIdHost) : null;
  const name = escapeHtml(model.clientName);
  const who = host
    ? `<strong>${name}</strong> from <strong>${host}</strong>`
    : `<strong>${name}</strong>`;
  return `<p>${who} is asking to use ${escapeHtml(model.serviceName)} on your behalf:</p>
${scopes}
<p class="muted">Access is for <code>${breakableUrl(model.resource)}</code>. You will be sent back to <strong>${escapeHtml(model.redirectHost)}</strong>.</p>
${loopbackWarning(model, host)}
<p class="muted">Redirect URI: <code>${breakableUrl(model.redirectUri)}</code></p>
<p class="muted">Client ID: <code>${breakableUrl(model.clientId)}</code></p>`;
}

export function renderConsentPage(model: ConsentPageModel): string {
  return layout(
    `Authorize ${model.clientName}`,
    `${consentHeading(model)}<p class="muted">Signed in as ${escapeHtml(model.subjectLabel)}</p>
${consentDetails(model)}
<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrfToken)}">
<div class="actions">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="approve" class="primary">Approve</button>
</div>
</form>`,
  );
}
