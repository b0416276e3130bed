/**
 * Who is looking at the dashboard, as far as the live stream and the pages care: which sites they
 * may see and which they may control. The security work supplies real viewers through an
 * `Authorize` function; until then every request gets `ALLOW_ALL`. Pure: no HTTP import, so the
 * auth code can implement it without pulling in the dashboard.
 */
export interface Viewer {
  canSee(site: string): boolean;
  canControl(site: string): boolean;
  /** The signed-in user (their notification centre's count is pushed to them alone). */
  readonly userId?: number;
}

/** Decides who sent a request: a Viewer, or undefined to refuse it (the route answers 401). */
export type Authorize<Req = unknown> = (req: Req) => Promise<Viewer | undefined>;

export const ALLOW_ALL: Viewer = Object.freeze({
  canSee: () => true,
  canControl: () => true,
});

export const allowAll: Authorize = () => Promise.resolve(ALLOW_ALL);
