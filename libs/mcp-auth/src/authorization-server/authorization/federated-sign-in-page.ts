import escapeHtml from 'escape-html';
import { layout } from '../../http/page';
import { type ConsentDetails, consentDetails, consentHeading } from './interaction-pages';

export interface FederatedSignInPageModel extends ConsentDetails {
  /** One button per upstream provider; each form post approves and goes upstream. */
  providers: { name: string; action: string }[];
  /** The consent CSRF token: the provider buttons and Deny answer the consent question. */
  csrfToken: string;
  denyAction: string;
  /** The password form, when an authenticator is configured too. */
  password?: { action: string; csrfToken: string; username?: string; error?: string };
}

/**
 * Sign-in with consent first (AS-17, confused deputy): the page says which client asks for
 * what before the browser leaves for the provider, so a provider that remembers the user can
 * never hand a client a code the user did not approve here. Plain forms, no script.
 */
export function renderFederatedSignInPage(model: FederatedSignInPageModel): string {
  const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(model.csrfToken)}">`;
  const providers = model.providers
    .map(
      (provider) => `<form method="post" action="${escapeHtml(provider.action)}">
${csrf}
<div class="actions"><button type="submit" class="primary">Approve and continue with ${escapeHtml(provider.name)}</button></div>
</form>`,
    )
    .join('\n');
  const password = model.password
    ? `<p class="muted">Or sign in with a password (you will be asked to approve after):</p>
${model.password.error ? `<p class="error" role="alert">${escapeHtml(model.password.error)}</p>` : ''}
<form method="post" action="${escapeHtml(model.password.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.password.csrfToken)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" required value="${escapeHtml(model.password.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`
    : '';
  return layout(
    `Authorize ${model.clientName}`,
    `${consentHeading(model)}${consentDetails(model)}
${providers}
<form method="post" action="${escapeHtml(model.denyAction)}">
${csrf}
<div class="actions"><button type="submit" name="decision" value="deny">Deny</button></div>
</form>
${password}`,
  );
}
