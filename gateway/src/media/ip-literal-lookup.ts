/**
 * The address lookup of a media socket (`dgram.createSocket({ lookup })`). Every RTP/RTCP destination is an IP
 * literal (the SDP's connection address, or a latched source), yet dgram runs every `send` to an address through
 * its lookup, and the default one (`dns.lookup`) answers even a literal on the next tick: a closure, a tick and an
 * `isIP` per packet. Here a literal answers at once, in the caller's own tick, and the last one is remembered (a
 * call sends to one address); a name still goes to `dns.lookup`, as before. One function per socket.
 */
import dns from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
export type SocketLookup = (hostname: string, options: dns.LookupOneOptions, callback: LookupCallback) => void;

export function createIpLiteralLookup(): SocketLookup {
  let lastAddress = '';
  let lastFamily = 0;
  return (hostname, options, callback) => {
    if (hostname === lastAddress) {
      callback(null, hostname, lastFamily);
      return;
    }
    const family = isIP(hostname);
    if (family === 0) {
      dns.lookup(hostname, options, callback);
      return;
    }
    lastAddress = hostname;
    lastFamily = family;
    callback(null, hostname, family);
  };
}
