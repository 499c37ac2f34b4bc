// What page.evaluate callbacks see of the softphone (they run in the page; the tests are typed
// without the DOM library).
interface SoftphoneHandle {
  readonly state: 'idle' | 'connecting' | 'connected' | 'ended';
  readonly stats: {
    framesSent: number;
    framesReceived: number;
    echoed: number;
    rttMs: number | null;
    rttAvgMs: number | null;
    micLevelDb: number | null;
    receivedLevelDb: number | null;
  };
  /** Final words the server heard on this call (its app transcribing). */
  readonly heard: string[];
  start(): Promise<void>;
  hangup(): void;
}
declare const window: { voicesocket: SoftphoneHandle };
declare function getComputedStyle(element: unknown): { color: string; fontStyle: string };
