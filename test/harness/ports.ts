import net from 'node:net';
import dgram from 'node:dgram';

/** A TCP port free on 127.0.0.1 right now (and, with `udp`, free for UDP too). */
export async function freePort(options: { udp?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!options.udp) return port;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port found on 127.0.0.1');
}
