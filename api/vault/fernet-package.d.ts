/** Types for the `fernet` npm package (0.4.x, untyped), used only as a cross-check in tests and bench/vault. */
declare module 'fernet' {
  class Secret {
    constructor(key: string);
  }
  interface TokenOptions {
    secret: Secret;
    token?: string;
    /** Seconds; the package's default is 60, so stored tokens need 0 (no limit). */
    ttl?: number;
    time?: string;
    iv?: number[];
  }
  class Token {
    constructor(options: TokenOptions);
    encode(message: string): string;
    decode(token?: string): string;
  }
  const fernet: { Secret: typeof Secret; Token: typeof Token };
  export default fernet;
}
