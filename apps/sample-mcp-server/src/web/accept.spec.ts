import { preferredMediaType } from './accept';

const OFFERED = ['application/json', 'text/event-stream', 'text/html'];

describe('preferredMediaType', () => {
  it('a browser navigation prefers text/html', () => {
    expect(
      preferredMediaType(
        'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
        OFFERED,
      ),
    ).toBe('text/html');
  });

  it('MCP clients get JSON or the event stream', () => {
    expect(preferredMediaType('application/json, text/event-stream', OFFERED)).toBe(
      'application/json',
    );
    expect(preferredMediaType('text/event-stream', OFFERED)).toBe('text/event-stream');
    expect(preferredMediaType('*/*', OFFERED)).toBe('application/json');
    expect(preferredMediaType(undefined, OFFERED)).toBe('application/json');
  });

  it('quality, then specificity, then the order of the header decide', () => {
    expect(preferredMediaType('text/*;q=0.5, application/json;q=0.4', OFFERED)).toBe(
      'text/event-stream',
    );
    expect(preferredMediaType('text/html;q=0.9, */*', OFFERED)).toBe('application/json');
    expect(preferredMediaType('*/*;q=0.5, text/html', OFFERED)).toBe('text/html');
    expect(preferredMediaType('text/html, application/json', OFFERED)).toBe('text/html');
    expect(preferredMediaType('text/html;q=0, */*', OFFERED)).toBe('application/json');
    expect(preferredMediaType('image/png', OFFERED)).toBeUndefined();
  });
});
