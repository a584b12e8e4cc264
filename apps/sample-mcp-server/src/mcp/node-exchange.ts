import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { HttpRequest } from '@app/mcp-auth';

/** A Fastify reply, as far as handing its Node response to the MCP SDK goes. */
interface HijackableReply {
  readonly raw: ServerResponse;
  /** Tells Fastify the handler answers on `raw` itself: Fastify then sends nothing. */
  hijack(): unknown;
}

/** What a handler gets as `@Res()`: Express's response (a Node one) or a Fastify reply. */
export type HttpReply = ServerResponse | HijackableReply;

/** The Node request and response the SDK's Node transport reads and writes. */
export interface NodeExchange {
  req: IncomingMessage & { auth?: AuthInfo };
  res: ServerResponse;
}

function isFastifyReply(response: HttpReply): response is HijackableReply {
  return 'raw' in response && typeof response.hijack === 'function';
}

/**
 * The Node request and response under either adapter's objects. On Fastify the reply is
 * hijacked (Fastify must not answer as well). BearerGuard sets its `AuthInfo` on the Node
 * request as well as on Fastify's, where the SDK's Node transport reads it (`req.auth`): the
 * tools get exactly the guard's object on both adapters.
 */
export function nodeExchange(
  request: HttpRequest & { auth?: AuthInfo },
  response: HttpReply,
): NodeExchange {
  if (!isFastifyReply(response)) {
    return { req: request as unknown as NodeExchange['req'], res: response };
  }
  const req: NodeExchange['req'] = request.raw as IncomingMessage;
  if (!req) throw new Error('a Fastify request without its Node request (raw)');
  // BearerGuard put its AuthInfo on the Node request too: the SDK reads `req.auth` there.
  response.hijack();
  return { req, res: response.raw };
}
