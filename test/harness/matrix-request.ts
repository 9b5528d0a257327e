// One client-server API request: JSON in, JSON out, and an error that carries the Matrix errcode and HTTP status so a
// test can assert on either.

export type Query = Record<string, string | number | boolean | undefined>;

export class MatrixRequestError extends Error {
  readonly status: number;
  readonly errcode: string | undefined;

  constructor(method: string, url: string, status: number, body: unknown) {
    const matrixError = body as { errcode?: unknown; error?: unknown } | null;
    const errcode = typeof matrixError?.errcode === "string" ? matrixError.errcode : undefined;
    const detail = typeof matrixError?.error === "string" ? matrixError.error : JSON.stringify(body);
    super(`${method} ${url} failed with ${status}${errcode ? ` ${errcode}` : ""}: ${detail}`);
    this.name = "MatrixRequestError";
    this.status = status;
    this.errcode = errcode;
  }
}

export async function matrixRequest<T>(
  method: string,
  url: string,
  options: { body?: unknown; query?: Query; accessToken?: string; signal?: AbortSignal } = {},
): Promise<T> {
  const target = new URL(url);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) target.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = {};
  if (options.accessToken) headers["Authorization"] = `Bearer ${options.accessToken}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(target, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal ?? null,
  });
  const text = await response.text();
  const parsed: unknown = text === "" ? {} : parseJson(text);
  if (!response.ok) {
    throw new MatrixRequestError(method, `${target.origin}${target.pathname}`, response.status, parsed);
  }
  return parsed as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
