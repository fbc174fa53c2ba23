/**
 * Whether one LeanIX connection works. It becomes *unauthorised* when LeanIX refuses the API token
 * twice running (a new access token did not help): then the token was replaced or deleted in
 * LeanIX and no retry will fix it. Others read the state (readiness, the notification that is sent
 * once, requests that fail with the reason); listeners hear each change once, when it happens.
 */

export type ConnectionHealth =
  | { state: 'connected' }
  | { state: 'unauthorised'; since: Date; reason: string };

type Listener = (health: ConnectionHealth) => void;

export class ConnectionState {
  private health: ConnectionHealth = { state: 'connected' };
  private readonly listeners = new Set<Listener>();

  get current(): ConnectionHealth {
    return this.health;
  }

  get unauthorised(): boolean {
    return this.health.state === 'unauthorised';
  }

  /** Returns true only for the call that moved the state (so "told once" is the caller's to keep). */
  markUnauthorised(at: Date, reason: string): boolean {
    if (this.health.state === 'unauthorised') return false;
    this.health = { state: 'unauthorised', since: at, reason };
    this.emit();
    return true;
  }

  markConnected(): boolean {
    if (this.health.state === 'connected') return false;
    this.health = { state: 'connected' };
    this.emit();
    return true;
  }

  /** Hears every change from now on; returns the way to stop listening. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of this.listeners) {
      try {
        l(this.health);
      } catch {
        // A listener's failure is its own; the state has changed whatever it does.
      }
    }
  }
}
