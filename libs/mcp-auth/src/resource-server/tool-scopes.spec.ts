import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { RequiredScopes } from './decorators/required-scopes.decorator';
import { RequiredToolScopes } from './decorators/required-tool-scopes.decorator';
import { RouteAuthSettingsReader } from './route-auth-settings';
import { ToolScopeRequirements } from './tool-scopes';

const call = (name: unknown, id: number = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: {} },
});

describe('ToolScopeRequirements', () => {
  const tools = ToolScopeRequirements.of(
    ['mcp:tools'],
    [{ 'delete-file': ['files:write'], stats: ['mcp:admin', 'mcp:tools'] }],
  ) as ToolScopeRequirements;

  it('is undefined for a route without tool scopes', () => {
    expect(ToolScopeRequirements.of(['mcp:tools'], [undefined, undefined])).toBeUndefined();
    expect(ToolScopeRequirements.of(['mcp:tools'], [{}])).toBeUndefined();
  });

  it('a call of a declared tool needs the route scopes, then the tool scopes, once each', () => {
    expect(tools.forBody(call('delete-file'))).toEqual(['mcp:tools', 'files:write']);
    expect(tools.forBody(call('stats'))).toEqual(['mcp:tools', 'mcp:admin']);
    expect(tools.forTool('stats')).toEqual(['mcp:tools', 'mcp:admin']);
    expect(tools.forTool('echo')).toBeUndefined();
  });

  it('other methods, undeclared tools and malformed messages need nothing more', () => {
    for (const body of [
      undefined,
      null,
      'tools/call',
      42,
      {},
      [],
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { name: 'delete-file' } },
      call('echo'),
      call(7),
      call(undefined),
      { jsonrpc: '2.0', id: 1, method: 'tools/call' },
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: 'delete-file' },
      call('constructor'),
      call('__proto__'),
      call('toString'),
      [null, 3, call('echo'), { method: 'tools/list' }],
    ]) {
      expect(tools.forBody(body)).toBeUndefined();
    }
  });

  it('a batch needs the union over its calls, route scopes first', () => {
    expect(tools.forBody([call('echo'), call('delete-file', 2)])).toEqual([
      'mcp:tools',
      'files:write',
    ]);
    expect(tools.forBody([call('delete-file'), call('stats', 2), call('delete-file', 3)])).toEqual([
      'mcp:tools',
      'files:write',
      'mcp:admin',
    ]);
    expect(tools.forBody([call('stats'), 'junk', call('stats', 2)])).toEqual([
      'mcp:tools',
      'mcp:admin',
    ]);
  });
});

describe('@RequiredToolScopes() read with the route settings', () => {
  @RequiredScopes('mcp:tools')
  @RequiredToolScopes({ 'delete-file': 'files:write', stats: ['mcp:admin'] })
  class Controller {
    @RequiredScopes('mcp:write')
    @RequiredToolScopes({ 'delete-file': ['files:admin'], purge: 'mcp:admin' })
    both(): void {}

    plain(): void {}
  }
  class Bare {
    handle(): void {}
  }

  const reader = new RouteAuthSettingsReader(new Reflector());
  const settingsOf = (cls: new () => object, handler: (...args: never[]) => unknown) =>
    reader.of(new ExecutionContextHost([], cls as never, handler));

  it('class and method both apply, per tool, after the route scopes of both', () => {
    const { toolScopes } = settingsOf(Controller, Controller.prototype.both);
    expect(toolScopes?.forTool('delete-file')).toEqual([
      'mcp:tools',
      'mcp:write',
      'files:write',
      'files:admin',
    ]);
    expect(toolScopes?.forTool('stats')).toEqual(['mcp:tools', 'mcp:write', 'mcp:admin']);
    expect(toolScopes?.forTool('purge')).toEqual(['mcp:tools', 'mcp:write', 'mcp:admin']);
  });

  it('a class declaration covers every handler; none leaves the route without, cached', () => {
    const plain = settingsOf(Controller, Controller.prototype.plain);
    expect(plain.toolScopes?.forTool('delete-file')).toEqual(['mcp:tools', 'files:write']);
    expect(plain.toolScopes?.forTool('purge')).toBeUndefined();
    expect(settingsOf(Controller, Controller.prototype.plain)).toBe(plain);
    expect(settingsOf(Bare, Bare.prototype.handle).toolScopes).toBeUndefined();
  });
});

describe('@RequiredToolScopes() validation', () => {
  it('refuses invalid scope tokens, empty tool names and non-objects', () => {
    expect(() => RequiredToolScopes({ t: 'two words' })).toThrow(/not a valid scope token/);
    expect(() => RequiredToolScopes({ t: ['ok', 'bad"quote'] })).toThrow(/bad"quote/);
    expect(() => RequiredToolScopes({ t: [''] })).toThrow(/not a valid scope token/);
    expect(() => RequiredToolScopes({ '': 'ok' })).toThrow(/tool name cannot be empty/);
    expect(() => RequiredToolScopes({ t: 3 as unknown as string })).toThrow(/must map to/);
    expect(() => RequiredToolScopes(['x'] as unknown as Record<string, string>)).toThrow(
      /takes an object/,
    );
    expect(() => RequiredToolScopes({ t: [], u: 'a:b' })).not.toThrow();
  });
});
