/**
 * The engine's bound on work in flight, shared by every source: input bytes admitted and not
 * yet acknowledged (transforming, waiting for a write, being written). A source waits here
 * before its batch enters, so memory stays flat however many sources submit at once. A batch
 * bigger than the whole budget is let in alone, so it cannot wait forever.
 */
export class ByteBudget {
  private used = 0;
  private highWater = 0;
  private readonly waiting: { bytes: number; admit: () => void }[] = [];

  /** `onWait` is told when a caller starts waiting, so whoever holds bytes can hurry to release them. */
  constructor(
    readonly limit: number,
    private readonly onWait: () => void = () => undefined,
  ) {}

  get inFlight(): number {
    return this.used;
  }

  /** The most bytes ever in flight at once. */
  get peak(): number {
    return this.highWater;
  }

  /** Someone is waiting for room: holding a partly filled write back now only delays them. */
  get contended(): boolean {
    return this.waiting.length > 0;
  }

  /** Would `acquire(bytes)` be granted at once? */
  admits(bytes: number): boolean {
    return this.waiting.length === 0 && this.fits(bytes);
  }

  acquire(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.take(bytes);
      return Promise.resolve();
    }
    const admitted = new Promise<void>((admit) => this.waiting.push({ bytes, admit }));
    this.onWait();
    return admitted;
  }

  release(bytes: number): void {
    this.used -= bytes;
    // First come, first served: a large batch is not overtaken forever by small ones.
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.take(next.bytes);
      next.admit();
    }
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.highWater) this.highWater = this.used;
  }
}

/** A plain counting semaphore: at most `size` holders at once, the rest wait in order. */
export class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}
