import escapeHtml from 'escape-html';
import { layout } from '../../http/page';

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

export function renderConsentPage(model: ConsentPageModel): string {
  // Scope names are tokens: never split (`offline_access`, not `o` / `ffline_access`).
  const scopes = model.scopes.length
    ? `<ul>${model.scopes
        .map(
          (s) =>
            `<li>${escapeHtml(s.description)} <code class="scope">${escapeHtml(s.name)}</code></li>`,
        )
        .join('')}</ul>`
    : '<p>No specific permissions.</p>';
  return layout(
    `Authorize ${model.clientName}`,
    `<h1>Authorize ${escapeHtml(model.clientName)}</h1>
<p class="muted">Signed in as ${escapeHtml(model.subjectLabel)}</p>
<p><strong>${escapeHtml(model.clientName)}</strong> is asking to use ${escapeHtml(model.serviceName)} on your behalf:</p>
${scopes}
<p class="muted">Access is for <code>${breakableUrl(model.resource)}</code>. You will be sent back to <strong>${escapeHtml(model.redirectHost)}</strong>.</p>
${
  model.redirectIsLoopback
    ? '<p class="error">This application runs on your own computer. Approve only if you just started it yourself.</p>'
    : ''
}
<p class="muted">Redirect URI: <code>${breakableUrl(model.redirectUri)}</code></p>
<p class="muted">Client ID: <code>${breakableUrl(model.clientId)}</code></p>
<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrfToken)}">
<div class="actions">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="approve" class="primary">Approve</button>
</div>
</form>`,
  );
}
