import type { HttpRequest, HttpResponse } from '../../http/http-exchange';
import type { McpAuthConfig } from '../../mcp-auth.config';
import { RequestParameters } from '../../oauth/request-parameters';
import { hashSecret } from '../../tokens/secret-hash';
import { BrowserBinding } from './browser-binding';
import type { InteractionPageResponder } from './interaction-page.responder';
import type { McpAuthorizationService, PendingInteraction } from './mcp-authorization.service';

/** A pending interaction opened by the browser that started it. */
export interface InteractionSession {
  interaction: PendingInteraction;
  binding: BrowserBinding;
  idHash: string;
}

/** A submitted form: the browser's session plus its fields, CSRF token already checked. */
export interface PostedInteractionForm {
  interaction: PendingInteraction;
  binding: BrowserBinding;
  form: RequestParameters;
}

/**
 * Opens an interaction for a request: checks the built-in pages are in use, the interaction is
 * pending and this browser started it, and for forms the CSRF token. On refusal it has already
 * answered with a page and returns undefined.
 */
export class InteractionSessions {
  constructor(
    private readonly config: McpAuthConfig,
    private readonly authorization: McpAuthorizationService,
    private readonly pages: InteractionPageResponder,
  ) {}

  /** A submitted form, with a CSRF token minted for this form. */
  async posted(
    id: string,
    request: HttpRequest,
    response: HttpResponse,
    kind: 'login' | 'consent',
  ): Promise<PostedInteractionForm | undefined> {
    const session = await this.open(id, request, response);
    if (!session) return undefined;
    const form = new RequestParameters(request.body);
    if (!session.binding.checkCsrf(formField(form, 'csrf'), session.idHash, kind)) {
      this.pages.page(
        response,
        403,
        'Request refused',
        'The form is stale or came from another site.',
      );
      return undefined;
    }
    return { interaction: session.interaction, binding: session.binding, form };
  }

  /** Loads the interaction and checks that this browser started it. */
  async open(
    id: string,
    request: HttpRequest,
    response: HttpResponse,
  ): Promise<InteractionSession | undefined> {
    if (this.config.interaction.type !== 'built-in') {
      // The host runs its own login page; these routes do not exist for it.
      this.pages.page(response, 404, 'Not found', 'There is no such page.');
      return undefined;
    }
    const loaded = await this.authorization.loadInteraction(id);
    if (!loaded) {
      await this.pages.notPending(id, request, response);
      return undefined;
    }
    const binding = BrowserBinding.read(request, this.config.secureCookies);
    if (!binding || !binding.matches(loaded.browserBindingHash)) {
      this.pages.page(
        response,
        403,
        'Request refused',
        'This sign-in was started in another browser. Start again from the application.',
      );
      return undefined;
    }
    return { interaction: loaded.interaction, binding, idHash: hashSecret(id) };
  }
}

/** Form fields: a malformed (repeated, nested) one counts as absent. */
export function formField(form: RequestParameters, name: string): string | undefined {
  try {
    return form.optional(name);
  } catch {
    return undefined;
  }
}
