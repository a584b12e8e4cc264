import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, DEMO_ACCOUNTS } from './accounts';
import type { InteractionDetails, OidcProvider } from './oidc-provider';
import { consentPage, errorPage, loginPage, PAGE_HEADERS } from './pages';

/** `/interaction/<uid>` (GET: the page) and its forms' targets (POST). */
const ROUTE = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/;
const MAX_FORM_BYTES = 16 * 1024;

/** Whether a request is one of the interaction routes this module answers. */
export function isInteractionRequest(req: IncomingMessage): boolean {
  return new URL(req.url ?? '/', 'http://localhost').pathname.startsWith('/interaction/');
}

/**
 * The sign-in and consent steps oidc-provider hands over to the host: it redirects the
 * browser to `/interaction/<uid>` with a cookie naming the pending interaction; the result
 * goes back through `interactionFinished`, which redirects to the authorization endpoint.
 */
export async function handleInteraction(
  provider: OidcProvider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const match = ROUTE.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
  if (!match) return sendPage(res, 404, errorPage('Not found', 'There is no such page.'));
  const [, uid, action] = match;
  const allowed = action ? 'POST' : 'GET, HEAD';
  if (!allowed.split(', ').includes(req.method ?? '')) {
    res.setHeader('Allow', allowed);
    return sendPage(res, 405, errorPage('Method not allowed', `Use ${allowed}.`));
  }

  let details: InteractionDetails;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (error) {
    if ((error as Error).name !== 'SessionNotFound') throw error;
    return sendExpired(res);
  }
  // The cookie names the browser's own interaction; a link to another one is not followed.
  if (details.uid !== uid) return sendExpired(res);
  const client = await provider.Client.find(details.params.client_id);
  const clientName = client?.clientName ?? details.params.client_id;

  switch (action) {
    case undefined:
      return showPrompt(res, details, clientName);
    case 'login': {
      if (details.prompt.name !== 'login') return sendExpired(res);
      const form = await readForm(req);
      const username = form.get('username') ?? '';
      const account = authenticate(username, form.get('password') ?? '');
      if (!account) {
        const error = 'Wrong username or password.';
        return sendPage(res, 200, loginPage({ uid, clientName, username, error }));
      }
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.id } },
        { mergeWithLastSubmission: false },
      );
    }
    case 'confirm': {
      if (details.prompt.name !== 'consent') return sendExpired(res);
      const grantId = await grantConsent(provider, details);
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    }
    default:
      // `abort`: the user cancelled at sign-in or denied consent.
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user denied the request.' },
        { mergeWithLastSubmission: false },
      );
  }
}

function showPrompt(res: ServerResponse, details: InteractionDetails, clientName: string): void {
  const { uid, prompt } = details;
  if (prompt.name === 'login') return sendPage(res, 200, loginPage({ uid, clientName }));
  if (prompt.name !== 'consent') {
    return sendPage(res, 501, errorPage('Not supported', `Unknown prompt ${prompt.name}.`));
  }
  const account = DEMO_ACCOUNTS.find((candidate) => candidate.id === details.session?.accountId);
  const resourceScopes = Object.values(prompt.details.missingResourceScopes ?? {}).flat();
  return sendPage(
    res,
    200,
    consentPage({
      uid,
      clientName,
      userName: account?.claims.name ?? 'unknown user',
      scopes: [...(prompt.details.missingOIDCScope ?? []), ...resourceScopes],
      claims: prompt.details.missingOIDCClaims ?? [],
    }),
  );
}

/** Adds what the consent prompt found missing to the user's grant for the client. */
async function grantConsent(provider: OidcProvider, details: InteractionDetails): Promise<string> {
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent without a signed-in account');
  const grant =
    (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
    new provider.Grant({ accountId, clientId: details.params.client_id });
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString('utf8');
    if (body.length > MAX_FORM_BYTES) throw new Error('form too large');
  }
  return new URLSearchParams(type.startsWith('application/x-www-form-urlencoded') ? body : '');
}

function sendExpired(res: ServerResponse): void {
  sendPage(
    res,
    400,
    errorPage(
      'Sign-in expired',
      'This sign-in has expired, or was started in another browser. Go back to the application and start again.',
    ),
  );
}

export function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, PAGE_HEADERS);
  res.end(html);
}
