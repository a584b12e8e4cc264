/** A parsed JSON value. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (what a metadata document or a JWK Set must parse to). */
export type JsonObject = { [key: string]: JsonValue };

/** Verdict of an operator policy hook; `reason` ends up in the error message (no secrets). */
export type OutboundPolicyVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Operator hook run before anything is resolved or fetched, e.g. an allow-list of domains.
 * The URL has already passed the built-in rules (https, no userinfo, no fragment; for a
 * client_id also a path, no query and no dot segments).
 */
export type OutboundUrlPolicy = (
  url: URL,
) => OutboundPolicyVerdict | Promise<OutboundPolicyVerdict>;

/** What the document hook is told besides the document itself. */
export interface OutboundDocumentContext {
  /** The URL that was fetched. */
  readonly url: URL;
  /** The address the connection went to (already checked against the address policy). */
  readonly address: string;
}

/** Operator hook run on a fetched, parsed JSON object before it is returned. */
export type OutboundDocumentPolicy = (
  document: JsonObject,
  context: OutboundDocumentContext,
) => OutboundPolicyVerdict | Promise<OutboundPolicyVerdict>;
