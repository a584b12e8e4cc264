import { Logger } from '@nestjs/common';
import { SampleLogger } from './sample.logger';

/** Everything the logger writes while `run` runs. */
function output(run: () => void): string {
  let written = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written += String(chunk);
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return written;
}

/** What Nest's own classes log at start-up, through the logger given to NestFactory. */
function startUp(): void {
  new Logger('NestFactory').log('Starting Nest application...');
  new Logger('InstanceLoader').log('AppModule dependencies initialized');
  new Logger('RoutesResolver').log('McpController {/mcp}:');
  new Logger('RouterExplorer').log('Mapped {/mcp, POST} route');
  new Logger('NestApplication').log('Nest application successfully started');
}

describe('SampleLogger', () => {
  const level = process.env.NEST_LOG_LEVEL;
  afterEach(() => {
    if (level === undefined) delete process.env.NEST_LOG_LEVEL;
    else process.env.NEST_LOG_LEVEL = level;
    Logger.overrideLogger(false);
  });

  it('leaves out the route mapping and module initialization at the default level', () => {
    delete process.env.NEST_LOG_LEVEL;
    Logger.overrideLogger(new SampleLogger({ colors: false }));
    const text = output(startUp);
    expect(text).toContain('Starting Nest application...');
    expect(text).toContain('Nest application successfully started');
    expect(text).not.toMatch(/RoutesResolver|RouterExplorer|Mapped \{|InstanceLoader/);
  });

  it('shows them at debug level with NEST_LOG_LEVEL=debug', () => {
    process.env.NEST_LOG_LEVEL = 'debug';
    Logger.overrideLogger(new SampleLogger({ colors: false }));
    const text = output(startUp);
    expect(text).toMatch(/DEBUG \[RouterExplorer\] Mapped \{\/mcp, POST\} route/);
    expect(text).toMatch(/DEBUG \[RoutesResolver\] McpController/);
    expect(text).toMatch(/LOG \[NestApplication\] Nest application successfully started/);
  });

  it('in JSON mode too', () => {
    delete process.env.NEST_LOG_LEVEL;
    Logger.overrideLogger(new SampleLogger({ json: true }));
    const lines = output(startUp)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { context: string });
    expect(lines.map((line) => line.context)).toEqual(['NestFactory', 'NestApplication']);
  });
});
