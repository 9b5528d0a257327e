// What the bridge says about its own health: each part (homeserver link, store, a network's connection) reports
// whether it works, and the bridge is healthy only when every part is. The snapshot is served without
// authentication, so details are scrubbed of anything that looks like a credential before they are kept.

export interface ComponentHealth {
  ok: boolean;
  detail?: string;
  /** ISO time this component last changed between ok and not ok (or first reported). */
  since: string;
}

export interface HealthSnapshot {
  ok: boolean;
  components: Record<string, ComponentHealth>;
}

export interface HealthStateOptions {
  /** Parts that must report before the bridge counts as healthy; until they do they are "not reported yet". */
  required?: readonly string[];
  /** Extra scrubbing for details, e.g. removing the bridge's own tokens wherever they appear. */
  redact?: (text: string) => string;
  now?: () => Date;
}

const NOT_REPORTED = "not reported yet";
const MAX_DETAIL_LENGTH = 500;
const REDACTED = "[redacted]";
// Error messages often quote a URL or a header; these are the shapes in which a Matrix credential would appear.
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /((?:access_token|token|password|secret)=)[^&\s"']+/gi,
  /(bearer\s+)[^\s"',]+/gi,
  /(\/\/[^/\s:@]+:)[^/\s@]+(?=@)/g,
];

function scrubCredentials(text: string): string {
  let out = text;
  for (const pattern of CREDENTIAL_PATTERNS) out = out.replace(pattern, `$1${REDACTED}`);
  return out;
}

export class HealthState {
  private readonly components = new Map<string, ComponentHealth>();
  private readonly redact: (text: string) => string;
  private readonly now: () => Date;

  constructor(options: HealthStateOptions = {}) {
    this.redact = options.redact ?? ((text) => text);
    this.now = options.now ?? (() => new Date());
    for (const name of options.required ?? []) this.set(name, false, NOT_REPORTED);
  }

  /** Record `component`'s state; `since` moves only when ok changes, so it says how long the state has held. */
  set(component: string, ok: boolean, detail?: string): void {
    const previous = this.components.get(component);
    const since = previous !== undefined && previous.ok === ok ? previous.since : this.now().toISOString();
    const entry: ComponentHealth = { ok, since };
    if (detail !== undefined) entry.detail = this.clean(detail);
    this.components.set(component, entry);
  }

  /** Forget a part that no longer exists (a network unloaded, a puppet logged out), so it cannot hold health down. */
  delete(component: string): void {
    this.components.delete(component);
  }

  get ok(): boolean {
    for (const entry of this.components.values()) if (!entry.ok) return false;
    return true;
  }

  snapshot(): HealthSnapshot {
    const components: Record<string, ComponentHealth> = {};
    for (const [name, entry] of [...this.components].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      components[name] = { ...entry };
    }
    return { ok: this.ok, components };
  }

  private clean(detail: string): string {
    const scrubbed = scrubCredentials(this.redact(detail));
    return scrubbed.length > MAX_DETAIL_LENGTH ? `${scrubbed.slice(0, MAX_DETAIL_LENGTH)}…` : scrubbed;
  }
}
