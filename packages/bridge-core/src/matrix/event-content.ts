// The shapes of event content the bridge reads and writes through intents.

export type EventContent = Record<string, unknown>;

export interface PowerLevelsContent {
  users?: Record<string, number>;
  users_default?: number;
  events?: Record<string, number>;
  events_default?: number;
  state_default?: number;
  ban?: number;
  kick?: number;
  redact?: number;
  invite?: number;
  notifications?: Record<string, number>;
}
