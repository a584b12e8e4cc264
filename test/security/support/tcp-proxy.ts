import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback between the app and Postgres, which a test can cut (every open
 * connection destroyed, new ones refused) and restore on the same port: a database outage
 * without touching the shared Postgres server.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private targetPort: number,
  ) {}

  /**
   * Sends new connections to another port (a load balancer switching backends). Open
   * connections are closed so that keep-alive clients reconnect to the new target.
   */
  async retarget(port: number): Promise<void> {
    this.targetPort = port;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    // Let keep-alive clients see the close before they send their next request.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  async start(): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : this.port;
    return this.port;
  }

  /** Destroys every connection and stops accepting: connects are refused from now on. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    await this.start();
  }

  async close(): Promise<void> {
    await this.cut();
  }

  get openConnections(): number {
    return this.sockets.size;
  }
}
