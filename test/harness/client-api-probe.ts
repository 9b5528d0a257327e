// Whether a homeserver's client API answers yet: the readiness probe of every homeserver the harness starts.

/** True once `/_matrix/client/versions` answers 200; otherwise what went wrong, for the start-up error. */
export async function clientApiAnswers(url: string): Promise<true | string> {
  try {
    const response = await fetch(`${url}/_matrix/client/versions`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200 || `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
