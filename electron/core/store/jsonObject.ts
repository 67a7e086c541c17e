/**
 * The text of one of the data folder's JSON files (settings.json, deaths.json) as an object of keys, or a phrase
 * saying why it is not one; `notAnObject` names what the object should have been, for the operator.
 */
export function parseJsonObject(
  text: string,
  notAnObject: string,
): { ok: true; object: Record<string, unknown> } | { ok: false; problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, problem: notAnObject };
  return { ok: true, object: parsed as Record<string, unknown> };
}
