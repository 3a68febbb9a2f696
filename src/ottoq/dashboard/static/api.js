// Talking to OTTO-Q: the key this tab uses, and JSON requests that fail with a readable error.

export const F = "/functions/v1";
const KEY_SLOT = "ottoq.apikey";

export function storedKey() {
  try {
    return sessionStorage.getItem(KEY_SLOT) || "";
  } catch {
    return "";
  }
}

export function storeKey(key) {
  if (key) sessionStorage.setItem(KEY_SLOT, key);
  else sessionStorage.removeItem(KEY_SLOT);
}

export class ApiError extends Error {
  // status 0: the server could not be reached at all.
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  const key = storedKey();
  if (key) headers.apikey = key;
  if (body !== undefined) headers["content-type"] = "application/json";

  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "the server cannot be reached");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.error) || `HTTP ${response.status}`);
  }
  return data;
}
