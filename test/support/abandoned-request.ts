/** POSTs a JSON body, goes away 200 ms later without reading the answer, and resolves once the request is abandoned. */
export async function postThenGoAway(url: string, body: string): Promise<void> {
  const gone = new AbortController();
  const pending = fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: gone.signal }).catch(
    (error: unknown) => error,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  gone.abort();
  await pending;
}
