import { CliError, EXIT } from './errors.ts';
import type { Io } from './output.ts';

/**
 * Questions on the terminal. On a TTY it reads in raw mode (so hidden input is never echoed); when stdin is
 * a pipe it reads the piped text line by line, so scripts and tests can answer.
 */
export class Prompter {
  private piped: string[] | undefined;
  private pipedAll: Promise<string> | undefined;

  constructor(private readonly io: Io) {}

  /** Whether a person can answer (stdin is a terminal). */
  get interactive(): boolean {
    return this.io.stdin.isTTY === true && typeof this.io.stdin.setRawMode === 'function';
  }

  /** Asks `question` on stderr and returns the answer; `hidden` never echoes what is typed. */
  async ask(question: string, options: { hidden?: boolean } = {}): Promise<string> {
    if (this.interactive) return this.readRaw(question, options.hidden === true);
    this.io.stderr.write(question);
    const lines = await this.pipedLines();
    const line = lines.shift();
    this.io.stderr.write('\n');
    if (line === undefined) throw new CliError('No answer on stdin', EXIT.usage);
    return line;
  }

  /** Everything on stdin (for `secrets set NAME -`), without one trailing newline. */
  async readAll(): Promise<string> {
    return (await this.readStdin()).replace(/\r?\n$/, '');
  }

  /** Asks a yes/no question; anything but y/yes is no. */
  async confirm(question: string): Promise<boolean> {
    const answer = await this.ask(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  }

  private readStdin(): Promise<string> {
    this.pipedAll ??= new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      this.io.stdin.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
      this.io.stdin.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      this.io.stdin.once('error', reject);
      this.io.stdin.resume();
    });
    return this.pipedAll;
  }

  private async pipedLines(): Promise<string[]> {
    this.piped ??= (await this.readStdin()).split(/\r?\n/);
    return this.piped;
  }

  private readRaw(question: string, hidden: boolean): Promise<string> {
    const { stdin, stderr } = this.io;
    return new Promise((resolve, reject) => {
      let value = '';
      // Raw mode (no echo) before the question shows: an answer typed or pasted the moment it appears is not echoed.
      stdin.setRawMode?.(true);
      stderr.write(question);
      stdin.resume();
      const finish = (error?: Error) => {
        stdin.off('data', onData);
        stdin.setRawMode?.(false);
        stdin.pause();
        stderr.write('\n');
        if (error) reject(error);
        else resolve(value);
      };
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString()) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003') return finish(new CliError('Cancelled', EXIT.error));
          if (ch === '\u0004' && value === '') return finish(new CliError('Cancelled', EXIT.error));
          if (ch === '\u007f' || ch === '\b') {
            if (value.length > 0) {
              value = value.slice(0, -1);
              if (!hidden) stderr.write('\b \b');
            }
            continue;
          }
          if (ch < ' ') continue;
          value += ch;
          if (!hidden) stderr.write(ch);
        }
      };
      stdin.on('data', onData);
    });
  }
}
