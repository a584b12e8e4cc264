import { Injectable, type BeforeApplicationShutdown, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How often idle keep-alive connections are closed while the server drains. */
const DRAIN_TICK_MS = 50;

/**
 * Lets `app.close()` end as soon as the requests in flight are answered. Node's
 * `server.close()` stops accepting and closes the connections idle at that moment, but a
 * keep-alive connection whose request was still running stays open after its answer until the
 * keep-alive timeout (5 s on Express, 72 s on Fastify), and the close waits for it. From the
 * start of the shutdown, answers carry `Connection: close` and connections that fall idle are
 * closed, so the close waits for the requests and nothing else. Requests are never cut short.
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  beforeApplicationShutdown(): void {
    // Two module instances share one server: the first one drains it.
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server || typeof server.closeIdleConnections !== 'function') return;
    if (DRAINING.has(server) || !server.listening) return;
    DRAINING.add(server);
    // Answers given from now on end their connection (Fastify merges headers set here).
    const closeAfterAnswer = (_request: IncomingMessage, response: ServerResponse) => {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    };
    server.on('request', closeAfterAnswer);
    const timer = setInterval(() => server.closeIdleConnections(), DRAIN_TICK_MS);
    timer.unref();
    server.once('close', () => {
      clearInterval(timer);
      server.off('request', closeAfterAnswer);
      DRAINING.delete(server);
    });
  }
}

const DRAINING = new WeakSet<Server>();
