/** One expectation of the story: what should have happened, and whether it did. */
export interface DemoCheck {
  readonly id: string;
  readonly ok: boolean;
  readonly what: string;
  readonly detail?: string;
}

/**
 * Prints the story for people and records every expectation so that the demo can fail loudly (exit non-zero)
 * and its test can check outcomes rather than wording.
 */
export class Narrator {
  readonly checks: DemoCheck[] = [];
  private step = 0;

  constructor(private readonly write: (text: string) => void) {}

  /** A new chapter of the story. */
  chapter(title: string): void {
    this.step++;
    this.write(`\n${this.step}. ${title}\n${'-'.repeat(title.length + 3 + String(this.step).length)}\n`);
  }

  /** A line of narration. */
  say(text: string): void {
    this.write(`   ${text.replaceAll('\n', '\n   ')}\n`);
  }

  /** A block printed as is (reports, tables). */
  block(text: string): void {
    this.write(`${text.replace(/^/gm, '      ')}\n`);
  }

  /** Records an expectation; prints a mark when it fails (successes are already narrated). */
  expect(id: string, ok: boolean, what: string, detail?: string): boolean {
    this.checks.push({ id, ok, what, ...(detail !== undefined && { detail }) });
    if (!ok) this.write(`   !! NOT AS NARRATED: ${what}${detail === undefined ? '' : ` (${detail})`}\n`);
    return ok;
  }

  /** True if every expectation held. */
  get allHeld(): boolean {
    return this.checks.every((c) => c.ok);
  }
}
