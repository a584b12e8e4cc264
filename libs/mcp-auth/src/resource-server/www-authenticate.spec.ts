import { formatBearerChallenge, quotedString } from './www-authenticate';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('formatBearerChallenge', () => {
  it('RS-1/RS-2/RS-3: no credentials → resource_metadata and scope, no error', () => {
    expect(formatBearerChallenge({ resourceMetadata: PRM, scope: ['mcp:tools', 'mcp:read'] })).toBe(
      `Bearer resource_metadata="${PRM}", scope="mcp:tools mcp:read"`,
    );
  });

  it('RS-1: invalid_token with a description', () => {
    expect(
      formatBearerChallenge({
        error: 'invalid_token',
        errorDescription: 'token expired',
        resourceMetadata: PRM,
        scope: ['mcp:tools'],
      }),
    ).toBe(
      `Bearer error="invalid_token", error_description="token expired", resource_metadata="${PRM}", scope="mcp:tools"`,
    );
  });

  it('RS-9: insufficient_scope', () => {
    expect(
      formatBearerChallenge({ error: 'insufficient_scope', resourceMetadata: PRM, scope: ['a'] }),
    ).toBe(`Bearer error="insufficient_scope", resource_metadata="${PRM}", scope="a"`);
  });

  it('omits an empty scope and never sends a description without an error', () => {
    expect(formatBearerChallenge({ errorDescription: 'x', scope: [] })).toBe('Bearer');
  });
});

describe('quotedString', () => {
  it('escapes quotes and backslashes (RFC 9110 §5.6.4)', () => {
    expect(quotedString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('neutralizes characters that could split or break the header', () => {
    expect(quotedString('a\r\nSet-Cookie: x')).toBe('"a??Set-Cookie: x"');
    expect(quotedString('\u0000\u2028é')).toBe('"??é"');
  });
});
