// The parts of xmpp.js (and of ltx, its element type) the bridge and its tests use; the packages ship no types.

declare module "@xmpp/xml" {
  export type Child = Element | string;
  export class Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Child[];
    parent: Element | null;
    constructor(name: string, attrs?: Record<string, string | undefined>);
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    getText(): string;
    text(): string;
    append(...children: Child[]): Element;
    toString(): string;
  }
  /** The streaming parser xmpp.js reads the wire with: one `element` event per top-level child of the stream. */
  export class Parser {
    on(event: "element", listener: (element: Element) => void): void;
    on(event: "error", listener: (error: Error) => void): void;
    write(data: string): void;
  }
  export function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: (Child | null | undefined | false)[]
  ): Element;
  export default xml;
}

declare module "@xmpp/component" {
  import type { Element } from "@xmpp/xml";
  export interface Component {
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(element: Element): Promise<void>;
    on(event: "stanza", listener: (stanza: Element) => void): void;
    on(event: "online", listener: (jid: unknown) => void): void;
    on(event: "offline", listener: () => void): void;
    /** The socket went away; a reconnect follows unless the entity was stopped. */
    on(event: "disconnect", listener: (info: { clean: boolean; reason?: unknown }) => void): void;
    on(event: "error", listener: (error: Error) => void): void;
    on(event: "status", listener: (status: string) => void): void;
    readonly status: string;
    readonly reconnect: { delay: number; stop(): void };
    readonly iqCaller: { request(element: Element, timeoutMs?: number): Promise<Element> };
  }
  export function component(options: { service: string; domain: string; password: string }): Component;
}

declare module "@xmpp/client" {
  import type { Element } from "@xmpp/xml";

  export { xml } from "@xmpp/xml";
  export interface Client {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(element: Element): Promise<void>;
    on(event: "stanza", listener: (stanza: Element) => void): void;
    on(event: "online", listener: (jid: { toString(): string }) => void): void;
    on(event: "offline", listener: () => void): void;
    /** The socket went away; a reconnect follows unless the client was stopped. */
    on(event: "disconnect", listener: (info: { clean: boolean; reason?: unknown }) => void): void;
    on(event: "error", listener: (error: Error) => void): void;
    readonly jid: { toString(): string; bare(): { toString(): string } } | null;
    readonly reconnect: { stop(): void };
    readonly iqCaller: { request(element: Element, timeoutMs?: number): Promise<Element> };
  }
  export function client(options: {
    service: string;
    domain: string;
    username: string;
    password: string;
    resource?: string;
  }): Client;
}
