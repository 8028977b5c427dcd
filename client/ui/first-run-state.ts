// What GET /api/first-run answers (docs/web-app.md §First run): shared by
// the server (first-run.ts) and the page (web/first-run.tsx), so it imports
// nothing.

export type FirstRunPhase = 'form' | 'creating' | 'created';
export type DaemonState = 'not-started' | 'starting' | 'running' | 'failed';

/** GET /api/first-run (docs/web-app.md §First run). */
export interface FirstRunState {
  /** false: the folder holds a profile; the app is served. */
  active: boolean;
  profileDir: string;
  phase: FirstRunPhase;
  /** The gateways of the network's current document by name (null: not known yet, or the document could not be had). */
  gateways: string[] | null;
  /** While the document for the gateway list is awaited: what is awaited, in words. */
  networkWaiting: string | null;
  /** Why the gateway list could not be had (the default gateway can still be used). */
  networkError: string | null;
  /** While init runs: what it waits for (its onWaiting), in words. */
  progress: string | null;
  /** The last create's failure, in words. */
  error: string | null;
  created: { address: string; gateway: string } | null;
  daemon: { state: DaemonState; message: string | null; command: string };
}
