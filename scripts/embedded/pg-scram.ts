import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as Postgres speaks it, without channel
 * binding (the embedded socket is plain TCP on loopback). Only the verifier is kept in memory:
 * the salted keys, never the password.
 */
export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
const ITERATIONS = 4096;

export interface ScramVerifier {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

export function scramVerifier(password: string, iterations = ITERATIONS): ScramVerifier {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { salt, iterations, storedKey: createHash('sha256').update(clientKey).digest(), serverKey: hmac(salted, 'Server Key') };
}

/** One client's exchange: first() takes the SASLInitialResponse, final() the SASLResponse; undefined means refused. */
export class ScramExchange {
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(private readonly verifier: ScramVerifier) {}

  /** The server-first-message for a SASLInitialResponse body (mechanism, length, client-first-message). */
  first(body: Buffer): string | undefined {
    const end = body.indexOf(0);
    if (end < 0 || body.subarray(0, end).toString('latin1') !== SCRAM_MECHANISM || body.length < end + 5) return undefined;
    const length = body.readInt32BE(end + 1);
    const data = body.subarray(end + 5);
    if (length !== data.length) return undefined;
    const text = data.toString('utf8');
    const match = /^([ny]),,(n=[^,]*,r=([\x21-\x2b\x2d-\x7e]+))$/.exec(text);
    if (!match) return undefined;
    this.gs2Header = `${match[1]},,`;
    this.clientFirstBare = match[2];
    this.nonce = match[3] + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** The server-final-message ("v=…") when the client proved it knows the password. */
  final(body: Buffer): string | undefined {
    if (!this.serverFirst) return undefined;
    const match = /^(c=([^,]*),r=([^,]*)),p=([A-Za-z0-9+/=]+)$/.exec(body.toString('utf8'));
    if (!match) return undefined;
    const [, withoutProof, binding, nonce, proofText] = match;
    if (binding !== Buffer.from(this.gs2Header).toString('base64') || nonce !== this.nonce) return undefined;
    const proof = Buffer.from(proofText, 'base64');
    if (proof.length !== 32) return undefined;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(this.verifier.storedKey, authMessage);
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = proof[i] ^ signature[i];
    const stored = createHash('sha256').update(clientKey).digest();
    if (!timingSafeEqual(stored, this.verifier.storedKey)) return undefined;
    return `v=${hmac(this.verifier.serverKey, authMessage).toString('base64')}`;
  }
}
